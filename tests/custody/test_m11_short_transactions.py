"""Security review M11: an import writes in short transactions and lets go of the database between them.

Why these tests look the way they do: whether a reader gets in during an import depends on the machine's
speed, so nothing here counts what happened "during" an import. Instead (1) the way rows are cut into
transactions is shown never to change what is stored or counted, whatever the cut, and (2) at each moment
between two transactions the test itself takes the write lock with no waiting at all, which succeeds only if
the import really let go of it. How much faster readers are is measured in bench/sqlite_contention.py.
"""

from __future__ import annotations

import tempfile
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.audit import record
from handoff.audit.models import AuditEvent, ChainHead
from handoff.audit.services import system_actor
from handoff.custody.models import Booking, Person
from handoff.ingest import runner
from handoff.ingest.contract import BatchResult, Row
from handoff.ingest.handlers import BookingHandler
from handoff.ingest.runner import Committed, Pace, run_ingest

from .helpers import BOOKING_HEADER, booking, booking_rows, write_csv

SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
COUNTS = ("rows", "accepted", "updated", "unchanged", "rejected", "repeated")


class Poisoned:
    """The booking handler, except that a write containing one of the `poison` rows fails after writing: the
    runner must roll that transaction back and keep the other rows (a row that breaks a write)."""

    kind = "bookings"
    known_fields = BookingHandler.known_fields
    key_field = BookingHandler.key_field

    def __init__(self, poison: frozenset[int]) -> None:
        self.inner = BookingHandler(source="m11 test")
        self.poison = poison

    def validate(self, row: Row) -> Any:
        return self.inner.validate(row)

    def key(self, cleaned: Any) -> Hashable:
        return self.inner.key(cleaned)

    def apply_batch(self, items: list[tuple[Row, Any]]) -> BatchResult:
        result = self.inner.apply_batch(items)
        if any(r.number in self.poison for r, _ in items):
            raise RuntimeError("this row breaks the write")
        return result


@st.composite
def files(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rows of one bookings file: booking numbers from a small pool (so a file repeats some), people shared
    between bookings (so one transaction finds a person another created) and renamed by their booking's row
    (so a later row must find them by the new name, not the old), some rows invalid."""
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=16))):
        n = draw(st.integers(min_value=0, max_value=15))
        person = draw(st.integers(min_value=0, max_value=5))
        row = booking(n, last_name=f"LAST{person}", first_name=f"FIRST{person}",
                      release_type=draw(st.sampled_from(["", "scheduled", "bail"])))
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            row["facility"] = "NO-SUCH-JAIL"
        out.append(row)
    return out


def _snapshot() -> tuple[Any, ...]:
    """What is stored, independent of row ids: each booking's values and its person's name, and which
    bookings share a person."""
    bookings = sorted((b.facility.code, b.booking_number, b.release_type, b.person.last_name, b.person_id)
                      for b in Booking.objects.select_related("facility", "person"))
    people: dict[int, set[str]] = {}
    for _, number, _, _, person in bookings:
        people.setdefault(person, set()).add(number)
    return (tuple(b[:4] for b in bookings), frozenset(frozenset(v) for v in people.values()),
            Person.objects.count())


def _import_twice(folder: Path, first: Path, second: Path, poison: frozenset[int], batch_size: int,
                  pace: Pace) -> tuple[Any, ...]:
    """Both files imported one after the other, then everything rolled back (the next way of cutting starts
    from the same empty database)."""
    with transaction.atomic():
        reports = [run_ingest(path, Poisoned(poison), batch_size=batch_size, pace=pace,
                              rejects_path=folder / f"{path.name}.rejects.csv").as_json()
                   for path in (first, second)]
        stored = _snapshot()
        transaction.set_rollback(True)
    return tuple(tuple(r[k] for k in COUNTS) for r in reports), stored


@pytest.mark.django_db
@SETTINGS
@given(first=files(), second=files(), poison=st.frozensets(st.integers(min_value=2, max_value=25), max_size=3),
       batch_size=st.integers(min_value=1, max_value=12), tx_rows=st.integers(min_value=1, max_value=12))
def test_m11_it_counts_and_stores_the_same_however_the_rows_are_cut_into_transactions(
        jails: dict, first: list[dict[str, Any]], second: list[dict[str, Any]], poison: frozenset[int],
        batch_size: int, tx_rows: int) -> None:
    """An import cut into many small transactions reports exactly the accepted, updated, unchanged,
    rejected and repeated rows, and stores exactly the bookings and people, that one transaction gives."""
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        a = write_csv(folder / "a.csv", BOOKING_HEADER, booking_rows(first))
        b = write_csv(folder / "b.csv", BOOKING_HEADER, booking_rows(second))
        whole = _import_twice(folder, a, b, poison, 10**6, Pace(rows=10**6, max_rows=10**6, adapt=False))
        cut = _import_twice(folder, a, b, poison, batch_size, Pace(rows=tx_rows, adapt=False, pause=False))
    assert cut == whole


def test_m11_no_transaction_holds_more_rows_than_the_cap_whatever_the_batch_size() -> None:
    """`--batch-size 100000` (the review's 60,000-row import) is still written 2,000 rows at a time, and a
    slow database shrinks the transactions to the floor while a fast one grows them back to the cap."""
    pace = Pace(rows=10**6, target=0.1, pause=False)
    assert max(len(c) for c in pace.chunks(list(range(100_000)))) == runner.MAX_TX_ROWS
    for _ in range(20):
        pace.done(5.0)
    assert pace.rows == runner.MIN_TX_ROWS
    for _ in range(20):
        pace.done(0.0)
    assert pace.rows == runner.MAX_TX_ROWS


def test_m11_pacing_switched_off_writes_each_batch_in_one_transaction_without_pausing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """HANDOFF_INGEST_TX_SECONDS=0 is the operator's switch for a first bulk load nobody reads during: the
    batch is one transaction, it never shrinks, and the import never sleeps between transactions."""
    pace = Pace(target=0)
    assert [len(c) for c in pace.chunks(list(range(5000)))] == [5000]
    slept: list[float] = []
    monkeypatch.setattr(runner.time, "sleep", slept.append)
    pace.done(5.0)
    pace.before()
    assert slept == [] and [len(c) for c in pace.chunks(list(range(5000)))] == [5000]


class _Other:
    """A second connection to the test database, as another process (an API call) would have, that never
    waits for a lock: `try_write()` says whether it could start a write transaction at this very moment."""

    def __init__(self) -> None:
        self.conn = connections.create_connection("default")
        with self.conn.cursor() as cur:
            if self.conn.vendor == "sqlite":
                cur.execute("PRAGMA busy_timeout = 0")

    def try_write(self) -> bool:
        head = ChainHead._meta.db_table
        with self.conn.cursor() as cur:
            try:
                if self.conn.vendor == "sqlite":
                    cur.execute("BEGIN IMMEDIATE")  # the write lock an audited read needs
                else:
                    cur.execute("BEGIN")
                    cur.execute(f'SELECT last_seq FROM "{head}" WHERE id = 1 FOR UPDATE NOWAIT')
            except Exception as exc:
                if "lock" not in str(exc).lower():
                    raise
                if self.conn.vendor != "sqlite":
                    cur.execute("ROLLBACK")
                return False
            cur.execute("ROLLBACK")
            return True

    def bookings(self) -> int:
        with self.conn.cursor() as cur:
            cur.execute(f'SELECT COUNT(*) FROM "{Booking._meta.db_table}"')
            return int(cur.fetchone()[0])

    def close(self) -> None:
        self.conn.close()


@pytest.mark.django_db(transaction=True)
def test_m11_between_two_import_transactions_another_connection_can_write_at_once(
        jails: dict, tmp_path: Path) -> None:
    """While an import's transaction is open another connection cannot take the lock an audited read needs
    (the control); after each commit it can, at once and with no waiting, and it already sees those rows."""
    path = write_csv(tmp_path / "b.csv", BOOKING_HEADER, booking_rows([booking(n) for n in range(30)]))
    other = _Other()
    inside: list[bool] = []
    between: list[tuple[int, bool, int]] = []
    actor = system_actor("cli:ingest")
    record(actor, "ingest.bookings.part", object_type="ingest")  # the chain's head row exists from here on

    def journal(part: Committed) -> None:
        record(actor, "ingest.bookings.part", object_type="ingest", detail={"created": part.created})
        inside.append(other.try_write())

    def after_commit(part: Committed) -> None:
        between.append((part.last_row, other.try_write(), other.bookings()))

    try:
        report = run_ingest(path, BookingHandler(source="m11 test"), pace=Pace(rows=7, adapt=False),
                            journal=journal, after_commit=after_commit, rejects_path=tmp_path / "r.csv")
    finally:
        other.close()
    assert report.accepted == 30
    assert inside == [False] * 5
    # data rows are numbered from 2 (the header is row 1): 7 + 7 + 7 + 7 + 2 rows, each seen once committed
    assert between == [(8, True, 7), (15, True, 14), (22, True, 21), (29, True, 28), (31, True, 30)]


class Killed(BaseException):
    """Stands for kill -9: nothing in the importer catches it or gets to clean up."""


@pytest.mark.django_db(transaction=True)
def test_m11_an_import_killed_halfway_leaves_an_audit_entry_for_every_row_it_wrote(
        jails: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows an import committed before it died are accounted for in the audit log: each transaction
    commits its own entry with its counts, so the log never holds fewer rows than the database."""
    path = write_csv(tmp_path / "b.csv", BOOKING_HEADER, booking_rows([booking(n) for n in range(900)]))
    starts = {"n": 0}
    real_before = Pace.before

    def before(self: Pace) -> None:
        starts["n"] += 1
        if starts["n"] == 3:  # the process dies before its third transaction
            raise Killed
        real_before(self)

    monkeypatch.setattr(Pace, "before", before)
    with pytest.raises(Killed):
        call_command("ingest", "bookings", str(path), "--json", "--rejects", str(tmp_path / "r.csv"))
    parts = list(AuditEvent.objects.filter(action="ingest.bookings.part").order_by("seq"))
    assert len(parts) == 2
    assert 0 < sum(p.detail["created"] for p in parts) == Booking.objects.count() < 900
    assert parts[0].detail["rows"][0] == 2 and parts[1].detail["rows"][0] == parts[0].detail["rows"][1] + 1
    assert not AuditEvent.objects.filter(action="ingest.bookings").exists()  # the closing entry never came
