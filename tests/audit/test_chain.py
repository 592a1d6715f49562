"""The audit log cannot be rewritten unnoticed: `handoff audit verify` names the first changed, deleted or
inserted entry; the application has no path to change or delete one."""

from __future__ import annotations

import json
import threading
from io import StringIO
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.db import connection, transaction
from django.test import RequestFactory

from handoff.access.actor import Actor
from handoff.audit import record
from handoff.audit.models import AppendOnlyError, AuditEvent
from handoff.audit.services import entry_hash, verify

ALICE = Actor(kind="user", role="jail_clerk", user_id=7, username="alice", ip="10.0.0.7")


@pytest.fixture
def log(db: None) -> list[AuditEvent]:
    events = []
    for i in range(6):
        with transaction.atomic():
            events.append(record(ALICE, "request.read", object_type="request", object_ids=[i + 1],
                                 outcome="success" if i != 2 else "denied", detail={"booking": 100 + i}))
    return events


def run_verify() -> tuple[int, dict[str, Any]]:
    out = StringIO()
    try:
        call_command("audit", "verify", "--json", stdout=out)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def test_it_verifies_an_intact_chain(log: list[AuditEvent]) -> None:
    code, result = run_verify()
    assert code == 0 and result["ok"] and result["checked"] == 6
    assert result["head"] == {"seq": 6, "hash": log[-1].hash}
    assert [e.seq for e in log] == [1, 2, 3, 4, 5, 6]
    assert all(log[i].prev_hash == log[i - 1].hash for i in range(1, 6))


def test_it_names_an_entry_edited_in_sql(log: list[AuditEvent]) -> None:
    sql("UPDATE audit_auditevent SET outcome = 'success' WHERE seq = 3")
    code, result = run_verify()
    assert code == 1
    assert result["first_bad"]["seq"] == 3 and result["first_bad"]["problem"] == "changed"


def test_it_names_an_entry_edited_and_rehashed(log: list[AuditEvent]) -> None:
    row = AuditEvent.objects.filter(seq=3).values().get()
    row["outcome"] = "success"
    sql("UPDATE audit_auditevent SET outcome = 'success', hash = %s WHERE seq = 3", [entry_hash(row)])
    result = verify()
    assert not result.ok and result.first_bad is not None
    assert (result.first_bad.seq, result.first_bad.problem) == (3, "changed")


def test_it_names_an_entry_deleted_in_sql(log: list[AuditEvent]) -> None:
    sql("DELETE FROM audit_auditevent WHERE seq = 4")
    code, result = run_verify()
    assert code == 1
    assert result["first_bad"]["seq"] == 4 and result["first_bad"]["problem"] == "deleted"


def test_it_names_the_last_entry_deleted_in_sql(log: list[AuditEvent]) -> None:
    sql("DELETE FROM audit_auditevent WHERE seq = 6")
    result = verify()
    assert result.first_bad is not None and (result.first_bad.seq, result.first_bad.problem) == (6, "deleted")


def _forged(after: AuditEvent, seq: int) -> dict[str, Any]:
    """An entry forged by someone who knows the algorithm: well formed, correctly hashed and linked."""
    fields = {"seq": seq, "at": after.at, "actor_kind": "user", "actor_user_id": 1, "actor": "mallory",
              "role": "admin", "source": "10.6.6.6", "action": "login.success", "outcome": "success",
              "object_type": "user", "object_ids": [1], "detail": {}, "prev_hash": after.hash}
    fields["hash"] = entry_hash(fields)
    return fields


def _insert(fields: dict[str, Any]) -> None:
    cols = list(fields)
    values = [json.dumps(v) if isinstance(v, list | dict) else v for v in fields.values()]
    sql(f"INSERT INTO audit_auditevent ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})", values)


def test_it_names_an_entry_inserted_in_sql_at_the_end(log: list[AuditEvent]) -> None:
    _insert(_forged(log[-1], 7))
    code, result = run_verify()
    assert code == 1
    assert result["first_bad"]["seq"] == 7 and result["first_bad"]["problem"] == "inserted"


def test_it_names_an_entry_inserted_in_sql_in_the_middle(log: list[AuditEvent]) -> None:
    # make room at #3 by renumbering the later entries, as a careful forger would
    sql("UPDATE audit_auditevent SET seq = -seq WHERE seq >= 3")
    sql("UPDATE audit_auditevent SET seq = 1 - seq WHERE seq < 0")
    _insert(_forged(log[1], 3))
    result = verify()
    assert result.first_bad is not None and (result.first_bad.seq, result.first_bad.problem) == (3, "inserted")


def test_it_offers_no_way_to_change_or_delete_an_entry(log: list[AuditEvent]) -> None:
    entry = AuditEvent.objects.get(seq=2)
    entry.outcome = "denied"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=2).update(outcome="denied")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    request = RequestFactory().get("/admin/")
    admin = site._registry[AuditEvent]
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, entry)
    assert not admin.has_delete_permission(request, entry)
    assert verify().ok


def test_it_refuses_names_and_dates_of_birth_in_an_entry(db: None) -> None:
    for key in ("last_name", "first_name", "date_of_birth", "dob", "subject", "name"):
        with pytest.raises(ValueError), transaction.atomic():
            record(ALICE, "person.read", detail={"booking": 1, key: "x"})
    with pytest.raises(ValueError), transaction.atomic():
        record(ALICE, "person.read", detail={"nested": {"last_name": "x"}})
    with pytest.raises(ValueError), transaction.atomic():
        record(ALICE, "person.read", outcome="maybe")


def test_it_writes_the_entry_in_the_same_transaction_as_the_action(db: None) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        record(ALICE, "booking.upsert", object_ids=[1])
        raise Boom
    assert not AuditEvent.objects.exists()
    with transaction.atomic():
        record(ALICE, "booking.upsert", object_ids=[1])
    assert verify().ok and AuditEvent.objects.get().seq == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_serialises_concurrent_appends() -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with transaction.atomic():
                    record(ALICE, "request.read", object_ids=[n * 100 + i])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 91))
    assert verify().ok
