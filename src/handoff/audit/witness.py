"""The audit chain's head, witnessed outside the database (security review M3).

Why: the hash chain proves that no entry in the middle was changed, but someone who can write the database can
delete the newest entries together with the head row (or rebuild the head from the last surviving entry) and the
shortened chain still verifies. So every committed head (sequence number and hash) is also appended to a file
the database cannot rewrite (`HANDOFF_AUDIT_WITNESS`, default `var/audit-witness.log`), and optionally sent as a
syslog line (`HANDOFF_AUDIT_SYSLOG`) to a machine the database's owner does not control. `handoff audit verify`
then fails when the chain is shorter than, or differs from, any head the witness saw.

Lines look like `2026-12-05T13:07:12.123456+00:00 271 3f0c...`: time written, sequence number, hash. The file is
opened for append only (O_APPEND), a line for each committed head newer than the last one written, plus one a minute from the worker when the head moved without a line (a process
that died between commit and write). Lines are never rewritten; `chattr +a` makes the kernel enforce that.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction

from handoff.audit.models import ChainHead

log = logging.getLogger(__name__)

_LINE = re.compile(r"^(?P<at>\S+) (?P<seq>\d+) (?P<hash>[0-9a-f]{64})$")

_lock = threading.Lock()
#: newest head written, per witness path (so a head is not written twice by one process)
_written: dict[str, int] = {}
_syslog: dict[str, logging.Logger] = {}


@dataclass(frozen=True)
class Witnessed:
    line: int
    seq: int
    hash: str


def path() -> Path | None:
    """The witness file, or None when witnessing is switched off (`HANDOFF_AUDIT_WITNESS=off`)."""
    value = str(getattr(settings, "HANDOFF_AUDIT_WITNESS", "") or "")
    if value.lower() in {"off", "none", "0", "false"}:
        return None
    if not value:
        return Path(settings.VAR_DIR) / "audit-witness.log"
    return Path(value)


def _syslog_logger(address: str) -> logging.Logger:
    """A logger that sends to `address`: a socket path (/dev/log) or host:port (UDP)."""
    logger = _syslog.get(address)
    if logger is None:
        target: str | tuple[str, int]
        if address.startswith("/"):
            target = address
        else:
            host, _, port = address.rpartition(":")
            target = (host or "127.0.0.1", int(port or 514))
        handler = logging.handlers.SysLogHandler(address=target, facility=logging.handlers.SysLogHandler.LOG_AUTH,
                                                 socktype=socket.SOCK_DGRAM)
        handler.setFormatter(logging.Formatter("handoff-audit: %(message)s"))
        logger = logging.getLogger(f"handoff.audit.witness.syslog.{address}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        _syslog[address] = logger
    return logger


def write(seq: int, hash_: str) -> bool:
    """Append one head to the witness (and syslog). Returns whether a line was written (False: this process
    already witnessed this head or a newer one, or witnessing is off). Never raises: a full disk must not
    undo a committed action; the failure is logged and the worker's minute check writes the head later."""
    target = path()
    if target is None:
        return False
    key = str(target)
    with _lock:
        if _written.get(key, 0) >= seq:
            return False
        line = f"{datetime.now(UTC).isoformat(timespec='microseconds')} {seq} {hash_}\n"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line.encode("ascii"))  # one write(2) with O_APPEND: lines never interleave
            finally:
                os.close(fd)
        except OSError:
            log.exception("audit witness: could not append head #%s to %s", seq, target)
            return False
        _written[key] = seq
    address = str(getattr(settings, "HANDOFF_AUDIT_SYSLOG", "") or "")
    if address:
        try:
            _syslog_logger(address).info("audit head seq=%s hash=%s", seq, hash_)
        except (OSError, ValueError):
            log.exception("audit witness: could not send head #%s to syslog %s", seq, address)
    return True


def note(seq: int, hash_: str, using: str) -> None:
    """Called by `record` inside the transaction that appended entry `seq`: once that transaction commits, the
    head is witnessed. Why one callback per entry rather than one per transaction: Django drops the callbacks
    of a rolled-back savepoint, so each surviving callback names an entry that really committed; `write`
    skips heads older than one already written, so a transaction of many entries costs a few short appends."""
    transaction.on_commit(lambda: write(seq, hash_), using=using)


def entries(target: Path | None = None) -> Iterator[Witnessed | str]:
    """The witnessed heads in file order; a malformed line is yielded as its error text."""
    target = target or path()
    if target is None or not target.exists():
        return
    with target.open("r", encoding="ascii", errors="replace") as fh:
        for number, raw in enumerate(fh, start=1):
            text = raw.rstrip("\n")
            if not text.strip():
                continue
            m = _LINE.match(text)
            if m is None:
                yield f"line {number} of {target} is not a witnessed head (time, sequence, hash)"
                continue
            yield Witnessed(number, int(m["seq"]), m["hash"])


def catch_up() -> bool:
    """The worker's minute check: witness the current head if this process has not (a head committed by a
    process that died before writing its line, or by a command run with witnessing elsewhere). Returns
    whether a line was written."""
    head = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    if head is None or head[0] == 0:
        return False
    target = path()
    if target is None:
        return False
    key = str(target)
    if key not in _written:
        last = 0
        for item in entries(target):
            if isinstance(item, Witnessed):
                last = max(last, item.seq)
        with _lock:
            _written[key] = max(_written.get(key, 0), last)
    return write(head[0], head[1])


def reset_cache() -> None:
    """Forget what this process wrote (tests point the witness at a new file per test)."""
    with _lock:
        _written.clear()
