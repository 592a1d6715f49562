"""`handoff ingest requests|withdrawals`: JSON Lines (and CSV) through the same services as the API."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from tests.requests.conftest import make_booking, make_person

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2025-06-02T12:00:00+00:00")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _ingest(kind: str, path: Path, *extra: str) -> tuple[dict, int]:
    out = StringIO()
    try:
        call_command("ingest", kind, str(path), "--json", *extra, stdout=out)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return json.loads(out.getvalue().strip().splitlines()[-1]), code


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _rows() -> list[dict]:
    return [
        {"request_id": "R-1", "kind": "detainer", "form": "I-247A", "issued_at": "2025-06-01T09:00:00",
         "office": "LOS", "facility": "LA-MCJ", "booking_number": "24-001",
         "subject": {"last_name": "Doe", "first_name": "John", "date_of_birth": "1990-01-01"},
         "basis": ["biometric_match"], "warrant": {"type": "administrative", "form": "I-200"},
         "federal": {"aggravated_felony_conviction": False, "outstanding_federal_felony_warrant": True}},
        {"request_id": "R-2", "kind": "notification", "issued_at": "2025-06-01T10:00:00-07:00", "office": "LOS",
         "facility": "LA-MCJ", "subject": {"a_number": "A099999999"}, "lead_time_hours": 72},
        {"request_id": "R-3", "kind": "detainer", "issued_at": "2025-06-01T09:00:00", "office": "NOPE",
         "facility": "LA-MCJ", "subject": {"a_number": "A011111111"}},
        {"request_id": "R-4", "kind": "detainer", "issued_at": "2025-06-01T09:00:00", "office": "LOS",
         "facility": "LA-MCJ", "subject": {"a_number": "A011111111"}, "warrant": {"type": "judical"}},
        {"request_id": "R-5", "kind": "detainer", "office": "LOS", "facility": "LA-MCJ",
         "subject": {"a_number": "A011111111"}},
    ]


def test_it_imports_requests_rejects_bad_rows_with_reasons_and_a_rerun_is_unchanged(place, tmp_path):
    from handoff.requests.models import Decision, ImmigrationRequest

    make_booking(place["facility"], make_person(), number="24-001")
    path = _write_jsonl(tmp_path / "requests.jsonl", _rows())
    result, code = _ingest("requests", path)
    assert code == 1  # done, but rows were rejected
    assert (result["accepted"], result["updated"], result["unchanged"], result["rejected"]) == (2, 0, 0, 3)
    with open(result["rejects_path"], newline="") as fh:
        rejects = {(r["row"], r["field"]): r["reason"] for r in csv.DictReader(fh)}
    assert "unknown office 'NOPE'" in rejects[("3", "office")]
    assert "judical" in rejects[("4", "warrant.type")]
    assert rejects[("5", "issued_at")] == "missing required field"

    r1 = ImmigrationRequest.objects.get(request_id="R-1")
    assert r1.status == "matched" and r1.current_decision is not None
    assert r1.federal_outstanding_felony_warrant is True
    r2 = ImmigrationRequest.objects.get(request_id="R-2")
    assert (r2.status, r2.lead_time_hours) == ("waiting", 72)
    decisions = Decision.objects.count()

    again, _ = _ingest("requests", path)
    assert (again["accepted"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 2, 3)
    assert Decision.objects.count() == decisions


def test_a_changed_row_is_updated(place, tmp_path):
    make_booking(place["facility"], make_person(), number="24-001")
    rows = _rows()[:1]
    _ingest("requests", _write_jsonl(tmp_path / "a.jsonl", rows))
    rows[0]["warrant"] = {"type": "judicial", "form": "AO 442"}
    result, code = _ingest("requests", _write_jsonl(tmp_path / "b.jsonl", rows))
    assert code == 0
    assert (result["accepted"], result["updated"], result["unchanged"]) == (0, 1, 0)


def test_it_reads_csv_with_dotted_columns(place, tmp_path):
    from handoff.requests.models import ImmigrationRequest

    path = tmp_path / "requests.csv"
    path.write_text(
        "request_id,kind,issued_at,office,facility,subject.last_name,subject.first_name,subject.date_of_birth,"
        "subject.a_number,basis,warrant.type,warrant.form,lead_time_hours\n"
        "C-1,detainer,2025-06-01T09:00:00,LOS,LA-MCJ,Doe,John,1990-01-01,A012345678,"
        "final_order;biometric_match,administrative,I-205,48\n",
        encoding="utf-8",
    )
    result, code = _ingest("requests", path)
    assert (code, result["accepted"]) == (0, 1)
    req = ImmigrationRequest.objects.get(request_id="C-1")
    assert req.basis == ["final_order", "biometric_match"]
    assert (req.warrant_type, req.warrant_form, req.subject_a_number) == ("administrative", "I-205", "A012345678")


def test_it_imports_withdrawals(place, tmp_path):
    from handoff.requests.models import ImmigrationRequest

    make_booking(place["facility"], make_person(), number="24-001")
    _ingest("requests", _write_jsonl(tmp_path / "r.jsonl", _rows()[:2]))
    path = _write_jsonl(tmp_path / "w.jsonl", [
        {"request_id": "R-1", "withdrawn_at": "2025-06-02T08:00:00"},
        {"request_id": "R-404", "withdrawn_at": "2025-06-02T08:00:00"},
        {"request_id": "R-2", "withdrawn_at": "not a time"},
    ])
    result, code = _ingest("withdrawals", path)
    assert code == 1
    assert (result["accepted"], result["rejected"]) == (1, 2)
    r1 = ImmigrationRequest.objects.get(request_id="R-1")
    assert r1.status == "withdrawn"
    assert r1.current_decision.notify is False
    again, _ = _ingest("withdrawals", path)
    assert (again["accepted"], again["unchanged"], again["rejected"]) == (0, 1, 2)
