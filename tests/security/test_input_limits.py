"""Review M10, L4, L5: hard limits on what ingest and the API read; one bad line never loses the good lines
around it."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from handoff.core import clock, ids
from handoff.ingest import reader
from handoff.requests.models import ImmigrationRequest
from tests.access import world as W
from tests.security.conftest import api

pytestmark = pytest.mark.django_db


def _ingest(kind: str, path: Path) -> tuple[dict[str, Any], int]:
    out = StringIO()
    code = 0
    try:
        call_command("ingest", kind, str(path), "--json", stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return json.loads(out.getvalue().strip().splitlines()[-1]), code


def _booking(number: str) -> dict[str, Any]:
    return {"facility": W.OWN_FACILITY, "booking_number": number, "booked_at": (clock.now() - timedelta(days=1)).isoformat(),
            "last_name": "Good", "first_name": "Row", "date_of_birth": "1990-01-01"}


def _numbers(world: W.World) -> set[str]:
    return set(world.facilities[W.OWN_FACILITY].bookings.values_list("booking_number", flat=True))


def test_m10_a_deeply_nested_line_is_one_rejected_row_and_the_good_rows_around_it_are_stored(
        world: W.World, tmp_path: Path) -> None:
    path = tmp_path / "bookings.jsonl"
    path.write_text(json.dumps(_booking("J-G1")) + "\n" + '{"a": ' * 50000 + "1" + "}" * 50000 + "\n"
                    + json.dumps(_booking("J-G2")) + "\n")
    result, code = _ingest("bookings", path)
    assert code == 1  # done, with rejected rows (not a crash)
    assert (result["accepted"], result["rejected"]) == (2, 1)
    assert {"J-G1", "J-G2"} <= _numbers(world)


def test_l4_an_over_long_line_is_skipped_without_being_held_and_reading_goes_on(
        world: W.World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 4096)
    path = tmp_path / "bookings.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps(_booking("J-L1")) + "\n")
        fh.write('{"last_name": "' + "x" * 100_000 + '"}\n')
        fh.write(json.dumps(_booking("J-L2")) + "\n")
    result, _ = _ingest("bookings", path)
    assert (result["accepted"], result["rejected"]) == (2, 1)
    assert {"J-L1", "J-L2"} <= _numbers(world)


def test_l4_a_decompression_bomb_stops_with_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "GZIP_RATIO_FLOOR", 1 << 16)
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        line = b'{"x": "' + b"a" * 1000 + b'"}\n'
        for _ in range(5000):  # 5 MB of the same line: compresses about 1000 times
            fh.write(line)
    info = reader.detect(path)
    with pytest.raises(reader.ReadError, match="expands more than"):
        for _ in reader.records(info, lambda _m: None):
            pass


def test_l3_control_characters_in_a_request_are_refused_at_ingest(world: W.World, tmp_path: Path) -> None:
    row = {"request_id": "ING-CTRL-1", "kind": "detainer", "issued_at": (clock.now() - timedelta(hours=1)).isoformat(),
           "office": W.OWN_OFFICE, "facility": W.OWN_FACILITY, "subject": {"last_name": "Evil\x1b[2J", "a_number": "A012345678"}}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(row) + "\n")
    result, _ = _ingest("requests", path)
    assert result["rejected"] == 1 and not ImmigrationRequest.objects.filter(request_id="ING-CTRL-1").exists()


def _request_body(request_id: str, **extra: Any) -> dict[str, Any]:
    return {"request_id": request_id, "kind": "notification", "issued_at": (clock.now() - timedelta(hours=1)).isoformat(),
            "office": W.OWN_OFFICE, "facility": W.OWN_FACILITY, "subject": {"a_number": "A012345678"}, **extra}


def test_l5_the_api_refuses_text_plain_bodies(world: W.World) -> None:
    answer = api(Client(), "post", "/requests", world.tokens["jail_clerk"], json.dumps(_request_body("L5-TP")),
                 content_type="text/plain")
    assert answer.status_code == 415 and answer.json()["error"] == "unsupported_media_type"
    assert not ImmigrationRequest.objects.filter(request_id="L5-TP").exists()


def test_l5_the_api_refuses_a_key_given_twice(world: W.World) -> None:
    body = json.dumps(_request_body("L5-DUP"))[:-1] + ', "facility": "DAL-LEW"}'
    answer = api(Client(), "post", "/requests", world.tokens["jail_clerk"], body)
    assert answer.status_code == 400 and "twice" in answer.json()["detail"]


def test_m10_the_api_refuses_deep_nesting_and_big_bodies_as_json(world: W.World) -> None:
    deep = '{"subject": ' * 100 + "{}" + "}" * 100
    answer = api(Client(), "post", "/requests", world.tokens["jail_clerk"], deep)
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request"
    big = json.dumps(_request_body("L5-BIG", form="x" * (2 << 20)))
    answer = api(Client(), "post", "/requests", world.tokens["jail_clerk"], big)
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"


def test_l5_issue_and_withdrawal_times_are_checked_for_range_and_order(world: W.World) -> None:
    token = world.tokens["federal_officer"]
    answer = api(Client(), "post", "/requests", token, _request_body("L5-2199", issued_at="2199-01-01T00:00:00Z"))
    assert answer.status_code == 422 and answer.json()["field"] == "issued_at"
    rid = world.requests["own"].request_id
    answer = api(Client(), "post", f"/requests/{rid}/withdraw", token, {"withdrawn_at": "1990-01-01T00:00:00Z"})
    assert answer.status_code == 422 and answer.json()["field"] == "withdrawn_at"
    answer = api(Client(), "post", f"/requests/{rid}/withdraw", token, {"withdrawn_at": "2199-01-01T00:00:00Z"})
    assert answer.status_code == 422
    world.requests["own"].refresh_from_db()
    assert world.requests["own"].withdrawn_at is None


def test_it_reads_json_within_limits() -> None:
    assert ids.loads('{"a": [1, {"b": "[[[[[[[[[[[[[[[[[[[[[["}]}') == {"a": [1, {"b": "[" * 22}]}
    with pytest.raises(ids.JsonProblem, match="deeper"):
        ids.loads("[" * 17 + "]" * 17)
    with pytest.raises(ids.JsonProblem, match="twice"):
        ids.loads('{"a": 1, "a": 2}', unique_keys=True)
