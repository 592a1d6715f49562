"""Security review M3: the audit log cannot be shortened silently. Every committed head is witnessed outside the
database; `handoff audit verify` fails when the chain is shorter than, or differs from, any witnessed head.

These run on both databases (the tamper statements are plain SQL both accept)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from handoff.access.actor import Actor
from handoff.audit import record, witness
from handoff.audit.models import AuditEvent
from handoff.audit.services import verify
from handoff.ops import jobs

ALICE = Actor(kind="user", role="jail_clerk", user_id=7, username="alice", ip="10.0.0.7")


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def run_verify(*args: str) -> tuple[int, dict[str, Any], str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", "--json", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue()), err.getvalue()


@pytest.fixture
def committed(db: None, django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[int], list[AuditEvent]]:
    """Append n entries, each in its own transaction whose commit hooks run (as in production)."""

    def append(n: int) -> list[AuditEvent]:
        out = []
        for i in range(n):
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                out.append(record(ALICE, "request.read", object_type="request", object_ids=[i + 1]))
        return out

    return append


def witnessed(target: Path) -> list[tuple[int, str]]:
    return [(w.seq, w.hash) for w in witness.entries(target) if isinstance(w, witness.Witnessed)]


def test_m3_it_witnesses_every_committed_head_outside_the_database(
        committed: Callable[[int], list[AuditEvent]], audit_witness: Path) -> None:
    events = committed(3)
    assert witnessed(audit_witness) == [(e.seq, e.hash) for e in events]
    code, result, _ = run_verify()
    assert code == 0 and result["ok"]
    assert result["witness"] == {"path": str(audit_witness), "heads": 3, "newest_seq": 3}


def test_m3_a_rolled_back_entry_is_never_witnessed(
        committed: Callable[[int], list[AuditEvent]], audit_witness: Path,
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    committed(2)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        record(ALICE, "request.read", object_ids=[9])
        with pytest.raises(RuntimeError), transaction.atomic():
            record(ALICE, "request.read", object_ids=[10])
            raise RuntimeError("the action failed")
    assert [seq for seq, _ in witnessed(audit_witness)] == [1, 2, 3]
    assert run_verify()[0] == 0


def test_m3_it_catches_the_newest_entries_deleted_together_with_the_head(
        committed: Callable[[int], list[AuditEvent]]) -> None:
    committed(6)
    sql("DELETE FROM audit_auditevent WHERE seq > 4")
    sql("UPDATE audit_chainhead SET last_seq = 4, last_hash = (SELECT hash FROM audit_auditevent WHERE seq = 4)")
    assert verify(witness_path=False).ok  # the chain alone cannot tell: this is the finding
    code, result, err = run_verify()
    assert code == 1 and not result["ok"]
    assert result["first_bad"]["problem"] == "deleted" and result["first_bad"]["seq"] == 5
    assert "saw the head at #6" in result["first_bad"]["detail"]


def test_m3_it_catches_a_truncated_log_whose_head_was_rebuilt_by_a_later_action(
        committed: Callable[[int], list[AuditEvent]]) -> None:
    committed(6)
    sql("DELETE FROM audit_auditevent WHERE seq > 4")
    sql("DELETE FROM audit_chainhead")
    committed(1)  # any audited action rebuilds the head from entry #4 and appends a new #5
    assert verify(witness_path=False).ok
    code, result, _ = run_verify()
    assert code == 1
    assert result["first_bad"]["seq"] == 5 and result["first_bad"]["problem"] == "changed"


def test_m3_an_empty_log_with_a_non_empty_witness_fails(committed: Callable[[int], list[AuditEvent]]) -> None:
    committed(3)
    sql("DELETE FROM audit_auditevent")
    sql("DELETE FROM audit_chainhead")
    code, result, _ = run_verify()
    assert code == 1 and result["checked"] == 0 and result["first_bad"]["problem"] == "deleted"
    # without a witness (a new installation) an empty log is fine
    assert run_verify("--no-witness")[0] == 0


def test_m3_it_checks_a_witness_copy_and_a_noted_head(
        committed: Callable[[int], list[AuditEvent]], audit_witness: Path, tmp_path: Path) -> None:
    events = committed(4)
    shipped = tmp_path / "offsite.log"
    shipped.write_bytes(audit_witness.read_bytes())
    audit_witness.unlink()  # the attacker removed the local witness too
    sql("DELETE FROM audit_auditevent WHERE seq > 2")
    sql("UPDATE audit_chainhead SET last_seq = 2, last_hash = (SELECT hash FROM audit_auditevent WHERE seq = 2)")
    assert run_verify()[0] == 0  # the local witness is gone: nothing to compare against
    assert run_verify("--witness", str(shipped))[0] == 1
    code, result, _ = run_verify("--no-witness", "--expect-head", f"4:{events[3].hash}")
    assert code == 1 and "--expect-head" in result["first_bad"]["detail"]


def test_m3_a_malformed_witness_line_fails_verification(
        committed: Callable[[int], list[AuditEvent]], audit_witness: Path) -> None:
    committed(1)
    with audit_witness.open("a") as fh:
        fh.write("garbage\n")
    code, result, _ = run_verify()
    assert code == 1 and result["first_bad"]["problem"] == "witness"


def test_m3_the_worker_witnesses_a_head_no_commit_hook_wrote(db: None, audit_witness: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with transaction.atomic():  # the test transaction never commits, so no hook writes: as a process that died
        event = record(ALICE, "request.read", object_ids=[1])
    assert not audit_witness.exists()
    monkeypatch.setattr(jobs, "_witnessed_at", 0.0)
    assert jobs.witness_audit_head() is True
    assert witnessed(audit_witness) == [(event.seq, event.hash)]
    assert jobs.witness_audit_head() is False  # at most once a minute
    monkeypatch.setattr(jobs, "_witnessed_at", 0.0)
    assert jobs.witness_audit_head() is False  # the head did not move: no new line


def test_m3_each_head_also_goes_to_syslog_when_configured(
        committed: Callable[[int], list[AuditEvent]], settings: Any) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    try:
        settings.HANDOFF_AUDIT_SYSLOG = f"127.0.0.1:{receiver.getsockname()[1]}"
        event = committed(1)[0]
        message = receiver.recv(4096).decode()
    finally:
        receiver.close()
    assert f"audit head seq={event.seq} hash={event.hash}" in message and "handoff-audit" in message
