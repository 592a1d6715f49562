"""Appending to the audit log and verifying its hash chain.

Why the chain covers every field: an entry whose outcome was changed from "denied" to "success" must fail
verification as surely as a deleted one. Why `record` opens (or joins) the caller's transaction: the entry
must commit or roll back together with the action it describes.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.db import IntegrityError, transaction

from handoff.audit import witness
from handoff.audit.models import AuditEvent, ChainHead
from handoff.core import clock

if TYPE_CHECKING:
    from django.http import HttpRequest


class Actor(Protocol):
    """Who acted, as the audit log needs it. Why a protocol: access builds actors and sits above audit; the
    log only reads these five attributes (access.actor.Actor has them)."""

    @property
    def kind(self) -> str: ...
    @property
    def user_id(self) -> int | None: ...
    @property
    def who(self) -> str: ...
    @property
    def role(self) -> str | None: ...
    @property
    def ip(self) -> str: ...


@dataclass(frozen=True)
class PlainActor:
    """An actor for code below access (a signed link, a command): just what the log records."""

    kind: str
    who: str
    ip: str = ""
    user_id: int | None = None
    role: str | None = None


def system_actor(name: str = "") -> PlainActor:
    """Commands and jobs, named after the OS user and the tool (as access.actor.Actor.system)."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = "unknown"
    return PlainActor(kind="system", who=f"system:{user}" + (f":{name}" if name else ""),
                      ip=f"cli@{socket.gethostname()}"[:80])

GENESIS = "0" * 64
OUTCOMES = ("success", "denied", "failure", "not_found")
#: keys that would carry personal data of people in custody; AU-3 content never includes them
FORBIDDEN_DETAIL_KEYS = frozenset({
    "name", "names", "last_name", "first_name", "middle_name", "full_name", "date_of_birth", "dob",
    "birth_date", "subject", "person_name", "a_number", "fbi_number", "state_id", "ssn", "password",
    "token",
})
HASHED_FIELDS = ("seq", "at", "actor_kind", "actor_user_id", "actor", "role", "source", "action", "outcome",
                 "object_type", "object_ids", "detail", "prev_hash")


def _plain(value: Any, path: str = "detail") -> Any:
    """JSON values that survive both backends' JSON columns unchanged (no floats: PostgreSQL's jsonb may
    print them differently, which would break the hash)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            key = str(k)
            if key.lower() in FORBIDDEN_DETAIL_KEYS:
                raise ValueError(f"audit {path} must not carry personal data ({key!r})")
            out[key] = _plain(v, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, path) for v in value]
    return str(value)


def canonical(fields: Mapping[str, Any]) -> str:
    data = {k: fields[k] for k in HASHED_FIELDS}
    at = data["at"]
    if isinstance(at, datetime):
        data["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(fields).encode("ascii")).hexdigest()


def _create_head() -> tuple[int, str]:
    """The chain head, created on first use (or after a test flush) from the last entry, so the chain
    carries on rather than restarting."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    try:
        with transaction.atomic():
            ChainHead.objects.create(pk=1, last_seq=last[0] if last else 0, last_hash=last[1] if last else GENESIS)
    except IntegrityError:
        pass  # another writer created it first
    head = ChainHead.objects.select_for_update().get(pk=1)
    return head.last_seq, head.last_hash


_EVENT_COLUMNS = ("seq", "at", "actor_kind", "actor_user_id", "actor", "role", "source", "action", "outcome",
                  "object_type", "object_ids", "detail", "prev_hash", "hash")


def record(
    actor: Actor,
    action: str,
    *,
    outcome: str = "success",
    object_type: str = "",
    object_ids: Iterable[int | str] = (),
    detail: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one entry. Call inside the transaction of the action it describes.

    Why plain SQL here: this runs on every read of personal data, so it is the product's hottest write; three
    short statements (lock and read the head, insert, move the head) cost less than the ORM's compilation.
    The head row is locked (SELECT ... FOR UPDATE) on PostgreSQL; on SQLite the IMMEDIATE transaction
    already holds the database's write lock, so appends are serialised either way."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    source = actor.ip
    if not source and request is not None:
        source = str(request.META.get("REMOTE_ADDR", ""))
    ids = [i if isinstance(i, int) and not isinstance(i, bool) else str(i) for i in object_ids]
    clean_detail = _plain(dict(detail or {}))
    now = clock.now()
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    conn = transaction.get_connection()
    events, heads = AuditEvent._meta.db_table, ChainHead._meta.db_table
    lock = " FOR UPDATE" if conn.features.has_select_for_update else ""
    with transaction.atomic(savepoint=False), conn.cursor() as cursor:
        cursor.execute(f'SELECT last_seq, last_hash FROM "{heads}" WHERE id = 1{lock}')
        row = cursor.fetchone()
        last_seq, last_hash = row if row is not None else _create_head()
        fields: dict[str, Any] = {
            "seq": last_seq + 1,
            "at": now,
            "actor_kind": actor.kind[:10],
            "actor_user_id": actor.user_id,
            "actor": actor.who[:150],
            "role": (actor.role or "")[:20],
            "source": (source or "")[:80],
            "action": action[:60],
            "outcome": outcome,
            "object_type": object_type[:40],
            "object_ids": ids,
            "detail": clean_detail,
            "prev_hash": last_hash,
        }
        fields["hash"] = entry_hash(fields)
        params = [fields[c] for c in _EVENT_COLUMNS]
        params[1] = conn.ops.adapt_datetimefield_value(now)
        params[10] = conn.ops.adapt_json_value(ids, None)
        params[11] = conn.ops.adapt_json_value(clean_detail, None)
        cols = ", ".join(f'"{c}"' for c in _EVENT_COLUMNS)
        marks = ", ".join(["%s"] * len(_EVENT_COLUMNS))
        cursor.execute(f'INSERT INTO "{events}" ({cols}) VALUES ({marks}) RETURNING id', params)
        pk = cursor.fetchone()[0]
        cursor.execute(f'UPDATE "{heads}" SET last_seq = %s, last_hash = %s WHERE id = 1',
                       [fields["seq"], fields["hash"]])
    witness.note(fields["seq"], fields["hash"], conn.alias)
    event = AuditEvent(pk=pk, **fields)
    event._state.adding = False
    event._state.db = conn.alias
    return event


@dataclass(frozen=True)
class Problem:
    seq: int
    id: int | None
    problem: str  # changed | deleted | inserted
    detail: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad: Problem | None
    #: the witness compared against: its path, how many heads it holds, the newest one
    witness: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "checked": self.checked, "head": {"seq": self.head_seq, "hash": self.head_hash},
            "first_bad": asdict(self.first_bad) if self.first_bad else None,
            "witness": self.witness,
        }


@dataclass(frozen=True)
class Expected:
    """A head the chain must still contain: from the witness file or given on the command line."""

    seq: int
    hash: str
    where: str


def _expected(witness_path: Path | None, extra: Iterable[tuple[int, str]]) -> tuple[
        dict[int, list[Expected]], list[str], dict[str, Any] | None]:
    """The heads to hold the chain to, keyed by sequence number; malformed witness lines; a summary."""
    heads: dict[int, list[Expected]] = {}
    errors: list[str] = []
    summary: dict[str, Any] | None = None
    if witness_path is not None:
        count, newest = 0, 0
        for item in witness.entries(witness_path):
            if isinstance(item, str):
                errors.append(item)
                continue
            count += 1
            newest = max(newest, item.seq)
            heads.setdefault(item.seq, []).append(
                Expected(item.seq, item.hash, f"line {item.line} of the witness {witness_path}"))
        summary = {"path": str(witness_path), "heads": count, "newest_seq": newest}
    for seq, hash_ in extra:
        heads.setdefault(seq, []).append(Expected(seq, hash_, "the head given with --expect-head"))
    return heads, errors, summary


def _rows() -> Iterator[dict[str, Any]]:
    cols = ("id", "hash", *HASHED_FIELDS)
    for values in AuditEvent.objects.order_by("seq").values_list(*cols).iterator(chunk_size=5000):
        yield dict(zip(cols, values, strict=True))


def verify(*, witness_path: Path | None | bool = True, expect: Iterable[tuple[int, str]] = ()) -> VerifyResult:
    """Walk the chain from the first entry. Names the first entry that was changed, deleted or inserted.

    Why the extra recomputations: when rows were renumbered to hide an insertion or deletion, the first
    renumbered row still hashes correctly under its old number; that tells an insertion (seq - 1) from a
    deletion (seq + 1).

    Why the witness (security review M3): deleting the newest entries together with the head leaves a chain
    that is consistent with itself. Every head witnessed outside the database (`witness_path`: True = the
    configured file, a path = a copy shipped elsewhere, False = none) and every head in `expect` must still be
    in the chain with the same hash; a chain shorter than any of them, or an empty log, fails."""
    target = witness.path() if witness_path is True else (witness_path or None)
    expected, witness_errors, summary = _expected(target, expect)
    if witness_errors:
        return VerifyResult(False, 0, 0, "", Problem(0, None, "witness", witness_errors[0]), summary)
    head = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    expected_seq = 1
    prev = GENESIS
    prev_row: dict[str, Any] | None = None
    checked = 0

    def bad(seq: int, row_id: int | None, kind: str, why: str) -> VerifyResult:
        return VerifyResult(False, checked, head[0] if head else 0, head[1] if head else "",
                            Problem(seq, row_id, kind, why), summary)

    for row in _rows():
        seq = row["seq"]
        if head is not None and seq > head[0]:
            return bad(seq, row["id"], "inserted",
                       f"entry #{seq} is beyond the chain head #{head[0]}: it was added outside the application")
        if seq != expected_seq:
            return bad(expected_seq, None, "deleted",
                       f"entry #{expected_seq} is missing (the chain jumps from #{expected_seq - 1} to #{seq})")
        computed = entry_hash(row)
        if computed != row["hash"]:
            if entry_hash({**row, "seq": seq - 1}) == row["hash"]:
                return bad(seq - 1, prev_row["id"] if prev_row else None, "inserted",
                           f"entry #{seq - 1} was inserted: the entries after it were renumbered")
            if entry_hash({**row, "seq": seq + 1}) == row["hash"]:
                return bad(seq, None, "deleted",
                           f"an entry before #{seq} was deleted: the entries after it were renumbered")
            return bad(seq, row["id"], "changed", f"entry #{seq} does not match its hash: its content was changed")
        if row["prev_hash"] != prev:
            if prev_row is not None:
                return bad(seq - 1, prev_row["id"], "changed",
                           f"entry #{seq - 1} was changed and re-hashed: entry #{seq} links to a different hash")
            return bad(seq, row["id"], "inserted", f"entry #{seq} does not link to the start of the chain")
        for want in expected.get(seq, ()):
            if want.hash != row["hash"]:
                return bad(seq, row["id"], "changed",
                           f"entry #{seq} differs from the head witnessed at {want.where}: the log was cut back "
                           f"and rewritten from there")
        prev = row["hash"]
        prev_row = row
        expected_seq += 1
        checked += 1
    beyond = [want for seq, wants in expected.items() if seq > checked for want in wants]
    if beyond:
        want = max(beyond, key=lambda w: w.seq)
        return bad(checked + 1, None, "deleted",
                   f"the log ends at entry #{checked} but {want.where} saw the head at #{want.seq}: "
                   f"the newest entries were deleted")
    if head is not None:
        if head[0] > checked:
            return bad(checked + 1, None, "deleted",
                       f"entry #{checked + 1} is missing: the chain head says the log ends at #{head[0]}")
        if head[1] != prev:
            return bad(checked, prev_row["id"] if prev_row else None, "changed",
                       f"entry #{checked} does not match the hash recorded in the chain head")
    elif checked:
        return VerifyResult(False, checked, 0, "", Problem(checked, None, "deleted", "the chain head row is missing"),
                            summary)
    return VerifyResult(True, checked, head[0] if head else 0, head[1] if head else GENESIS, None, summary)

