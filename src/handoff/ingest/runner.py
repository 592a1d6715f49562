"""Drive one import: read, map, validate, de-duplicate, write in batches, report.

Why short transactions: a million-row file must not hold one write lock for minutes, and a file that
breaks at row 900,000 keeps the 899,999 rows before it (re-running the repaired file then finds them all
`unchanged`). A batch (`--batch-size`, the rows de-duplicated together) is written in one or more transactions
of at most MAX_TX_ROWS rows, sized by `Pace` to last about HANDOFF_INGEST_TX_SECONDS; on SQLite the import lets
go of the write lock between them (security review M11). How the rows are cut into transactions never changes
what is stored or counted. Memory stays flat: at most one batch is held, and the keys seen so far (to catch the same
booking twice in one file) live in a temporary SQLite file, not in a Python dict.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction

from handoff.ingest.contract import BatchResult, Handler, Problem, Row
from handoff.ingest.mapping import Mapping, Section
from handoff.ingest.reader import EmptyInput, ReadError, Record, detect, records

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
#: rows per write transaction never exceed this, whatever --batch-size says (security review M11)
MAX_TX_ROWS = 2000
MIN_TX_ROWS = 25
REJECT_HEADER = ("row", "field", "value", "reason")


@dataclass
class Report:
    kind: str
    path: str
    format: str = ""
    rows: int = 0
    accepted: int = 0  # created
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    repeated: int = 0
    rejects_path: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: values dropped on the way in because the facility's law forbids keeping them, by field
    dropped: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    error_line: int | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return 2
        return 1 if self.rejected else 0

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "rejects_path": self.rejects_path, "rows": self.rows,
                "skipped": self.skipped, "repeated": self.repeated, "kind": self.kind, "path": self.path,
                "format": self.format, "warnings": self.warnings, "dropped": self.dropped, "error": self.error,
                "error_line": self.error_line}


@dataclass(frozen=True)
class Committed:
    """What one write transaction of an import wrote: handed to `journal` inside the transaction (so an audit
    entry commits with the rows it counts, and survives a kill -9 of the import), then to `after_commit`."""

    first_row: int
    last_row: int
    created: int
    updated: int
    unchanged: int
    rejected: int


class Pace:
    """How many rows go into one write transaction, and the pause between transactions on SQLite.

    Why (security review M11): on SQLite every read of personal data appends an audit entry, so it needs the
    one write lock; a 60,000-row transaction held that lock for 30 s and API calls failed. The size adapts to
    take about `target` seconds (halved when a transaction took longer, doubled when it took under a third),
    within MIN_TX_ROWS..MAX_TX_ROWS. On SQLite the import then waits half as long as the last transaction
    took (2..100 ms) before it takes the lock again, so a reader's busy handler, which polls, finds it free.
    `adapt=False` keeps the size fixed (tests cut the rows at chosen places)."""

    def __init__(self, *, rows: int = 250, max_rows: int = MAX_TX_ROWS, min_rows: int = MIN_TX_ROWS,
                 target: float | None = None, adapt: bool = True, pause: bool | None = None) -> None:
        self.max_rows = max(1, max_rows)
        self.min_rows = max(1, min(min_rows, self.max_rows))
        self.rows = max(1, min(rows, self.max_rows))
        self.target = float(settings.HANDOFF_INGEST_TX_SECONDS if target is None else target)
        # 0 (or less) switches pacing off: one transaction per --batch-size batch and no pause, the fastest
        # way to make a first bulk load while nobody reads (1,000,000 rows: bench/ingest.py --unpaced)
        self.unpaced = self.target <= 0
        self.adapt = adapt and not self.unpaced
        self._pause = False if self.unpaced else pause
        self._last: float | None = None  # how long the last transaction took, until the pause is spent

    def chunks(self, items: list[Any]) -> Iterator[list[Any]]:
        if self.unpaced:
            yield items
            return
        start = 0
        while start < len(items):
            size = self.rows
            yield items[start:start + size]
            start += size

    def before(self) -> None:
        """Before taking the write lock again: on SQLite, leave it free for a moment."""
        last, self._last = self._last, None
        pause = connection.vendor == "sqlite" if self._pause is None else self._pause
        if last is not None and pause:
            time.sleep(min(0.1, max(0.002, last / 2)))

    def done(self, elapsed: float) -> None:
        self._last = elapsed
        if not self.adapt:
            return
        if elapsed > self.target:
            self.rows = max(self.min_rows, self.rows // 2)
        elif elapsed < self.target / 3:
            self.rows = min(self.max_rows, self.rows * 2)


class _Rejects:
    """The rejects CSV, opened on the first problem (or at once when the user named the file)."""

    def __init__(self, path: Path, *, always: bool) -> None:
        self.path = path
        self.fh: IO[str] | None = None
        self.writer: Any = None
        if always:
            self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = self.path.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.fh)
        self.writer.writerow(REJECT_HEADER)

    def write(self, number: int, p: Problem) -> None:
        if self.fh is None:
            self._open()
        self.writer.writerow((number, p.field, _safe(p.value), p.reason))

    @property
    def opened(self) -> bool:
        return self.fh is not None

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _safe(value: str) -> str:
    """Spreadsheet programs execute cells starting with = + - @; rejects files are opened in them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not _numberish(value) else value


def _numberish(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


class _SeenKeys:
    """Keys already accepted in this file -> (row, digest of its values), on disk."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="handoff-ingest-", suffix=".sqlite3")
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE seen (k TEXT PRIMARY KEY, row INTEGER, digest TEXT) WITHOUT ROWID")

    def lookup(self, keys: list[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = f"SELECT k, row, digest FROM seen WHERE k IN ({','.join('?' * len(chunk))})"
            for k, row, digest in self.db.execute(q, chunk):
                found[k] = (row, digest)
        return found

    def add(self, entries: list[tuple[str, int, str]]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", entries)

    def close(self) -> None:
        self.db.close()
        with suppress(OSError):
            os.unlink(self.path)


def default_rejects_path(path: Path) -> Path:
    """Beside the input when that folder is writable (where the person will look), else the temp folder."""
    candidate = path.with_name(path.name + ".rejects.csv")
    if os.access(candidate.parent, os.W_OK):
        return candidate
    return Path(tempfile.gettempdir()) / candidate.name


def _fold(values: dict[str, Any]) -> dict[str, Any]:
    """CSV columns `subject.last_name` -> {"subject": {"last_name": ...}}; blanks dropped."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if v is None or (isinstance(v, str) and v == ""):
            continue
        if "." in k and isinstance(v, str):
            head, _, tail = k.partition(".")
            nested = out.setdefault(head, {})
            if isinstance(nested, dict):
                nested[tail] = v
            continue
        out[k] = v
    return out


def _digest(values: dict[str, Any]) -> str:
    return hashlib.sha1(repr(sorted(values.items())).encode()).hexdigest()


def _key_text(key: Hashable) -> str:
    return "\x1f".join(map(str, key)) if isinstance(key, tuple) else str(key)


def run_ingest(path: str | Path, handler: Handler, *, fmt: str | None = None, mapping: Mapping | None = None,
               rejects_path: str | Path | None = None, delimiter: str | None = None, encoding: str | None = None,
               batch_size: int = BATCH_SIZE, warn: Callable[[str], None] | None = None,
               progress: Callable[..., None] | None = None, pace: Pace | None = None,
               journal: Callable[[Committed], None] | None = None,
               after_commit: Callable[[Committed], None] | None = None) -> Report:
    """Import one file. Never raises for bad input: the report says what happened (exit_code 0/1/2).
    `progress(advance=n)` is told after each batch how many more rows were read (the command's progress bar).
    `journal(c)` runs inside each write transaction, last, and `after_commit(c)` once it has committed and
    before the next one starts (the write lock is free then)."""
    p = Path(path)
    report = Report(kind=handler.kind, path=str(p))
    warnings = report.warnings

    def _warn(msg: str) -> None:
        warnings.append(msg)
        if warn is not None:
            warn(msg)

    section: Section | None = mapping.section(handler.kind) if mapping else None
    try:
        info = detect(p, fmt=fmt or (mapping.format if mapping else None),
                      gz=mapping.gzip if mapping else None,
                      encoding=encoding or (mapping.encoding if mapping else None),
                      delimiter=delimiter or (mapping.delimiter if mapping else None))
    except ReadError as exc:
        report.error, report.error_line = str(exc), exc.line
        return report
    report.format = info.format
    with _sqlite_cache():
        writer = _Writer(handler, pace or Pace(), journal, after_commit)
        _run(info, p, writer, section, report, rejects_path, batch_size, _warn, progress)
    for name, (count, cite) in sorted((getattr(handler, "dropped", None) or {}).items()):
        report.dropped[name] = count
        _warn(f"dropped {name} from {count} row(s): the facility's law forbids keeping it ({cite})")
    return report


@contextmanager
def _sqlite_cache() -> Iterator[None]:
    """A bigger page cache for the length of an import on SQLite. Why: the person and booking indexes of a
    county-sized database outgrow SQLite's default 2 MB cache, and every insert then re-reads index pages;
    64 MB keeps them in memory (well inside the importer's memory budget). Restored afterwards."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        before = cur.fetchone()[0]
        cur.execute("PRAGMA cache_size = -65536")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {int(before)}")


def _run(info: Any, p: Path, writer: _Writer, section: Section | None, report: Report,
         rejects_path: str | Path | None, batch_size: int, _warn: Callable[[str], None],
         progress: Callable[..., None] | None = None) -> None:
    handler = writer.handler
    rejects = _Rejects(Path(rejects_path) if rejects_path else default_rejects_path(p), always=bool(rejects_path))
    seen = _SeenKeys()
    merge = section is not None and section.repeated_rows == "merge"
    unknown: set[str] = set()
    batch: list[tuple[Row, Any, str, str]] = []  # row, cleaned, key text, digest
    shown = 0  # rows the progress bar has been told about
    try:
        try:
            known = handler.known_fields
            for rec in _mapped(records(info, _warn), section, report, rejects):
                raw = rec.values or {}
                values = {k: v for k, v in raw.items() if k in known and v is not None and v != ""}
                extra = raw.keys() - known
                if extra:
                    nested = _fold({k: raw[k] for k in extra if "." in k})
                    for k, v in nested.items():
                        if k in known and k not in values:
                            values[k] = v
                    unknown.update(k for k in extra if not ("." in k and k.partition(".")[0] in known))
                row = Row(rec.number, values)
                try:
                    cleaned = handler.validate(row)
                except Exception as exc:  # a handler bug must not lose the rest of the file
                    cleaned = [Problem(getattr(exc, "field", "") or "", "", f"could not validate: {exc}")]
                if isinstance(cleaned, list):
                    _reject(report, rejects, row.number, cleaned)
                    continue
                key = handler.key(cleaned)
                batch.append((row, cleaned, "" if key is None else _key_text(key), _digest(values) if merge else ""))
                if len(batch) >= batch_size:
                    _flush(batch, writer, seen, merge, report, rejects)
                    batch = []
                    if progress is not None:
                        progress(advance=report.rows - shown)
                        shown = report.rows
        except EmptyInput as exc:
            report.error, report.error_line = str(exc), exc.line
        except ReadError as exc:
            report.error, report.error_line = str(exc), exc.line
        except Exception as exc:  # a bug met while reading must not lose the rows read before it (review M10)
            log.exception("ingest of %s stopped after row %d", p, report.rows)
            report.error, report.error_line = f"reading stopped after row {report.rows}: {exc!r}", None
        # Rows read before a failure were accepted: they are written, as the user would expect.
        _flush(batch, writer, seen, merge, report, rejects)
    finally:
        rejects.close()
        seen.close()
    if unknown:
        _warn(f"ignored unknown columns: {', '.join(sorted(unknown))}")
    if report.error is None and report.rows == 0:
        _warn("no data rows (the file has a header only)" if info.format == "csv" else "no data rows")
    if rejects.opened:
        report.rejects_path = str(rejects.path)


def _mapped(recs: Iterator[Record], section: Section | None, report: Report, rejects: _Rejects) -> Iterator[Record]:
    for rec in recs:
        report.rows += 1
        if rec.problem is not None or rec.values is None:
            _reject(report, rejects, rec.number, [rec.problem or Problem("", "", "unreadable row")])
            continue
        if section is None:
            yield rec
            continue
        if section.skip(rec.values):
            report.skipped += 1
            continue
        try:
            values, problems = section.apply(rec.values)
        except Exception as exc:  # one row the map cannot read is one rejected row (review M10)
            values, problems = {}, [Problem("", "", f"could not map the row: {exc!r}")]
        if problems:
            _reject(report, rejects, rec.number, problems)
            continue
        yield Record(rec.number, values)
    if section is not None:
        for name, n in sorted(section.unknowns.items()):
            report.warnings.append(f"{n} row(s): {name} unreadable with the map's format, taken as unknown "
                                   "(unknown_if_invalid)")


def _reject(report: Report, rejects: _Rejects, number: int, problems: list[Problem]) -> None:
    report.rejected += 1
    for p in problems:
        rejects.write(number, p)


@dataclass
class _Writer:
    handler: Handler
    pace: Pace
    journal: Callable[[Committed], None] | None
    after_commit: Callable[[Committed], None] | None

    def write(self, items: list[tuple[Row, Any]]) -> BatchResult:
        """The rows in short transactions (see Pace); a transaction that fails is replayed row by row, so
        the row that broke it is rejected and the others are kept. The counts do not depend on the cuts."""
        result = BatchResult()
        for chunk in self.pace.chunks(items):
            self.pace.before()
            started = time.monotonic()
            committed: list[Committed] = []
            try:
                committed.append(self._one(chunk, result))
            except Exception:
                for item in chunk:  # find the row that broke the chunk; keep the others
                    try:
                        committed.append(self._one([item], result))
                    except Exception as exc:
                        result.problems.append(
                            (item[0].number, Problem(getattr(exc, "field", "") or "", "", str(exc))))
            self.pace.done(time.monotonic() - started)
            if self.after_commit is not None:
                for done in committed:  # outside the try: a committed chunk is never replayed
                    self.after_commit(done)
        return result

    def _one(self, chunk: list[tuple[Row, Any]], result: BatchResult) -> Committed:
        """One transaction; its counts join `result` only once it has committed."""
        with transaction.atomic():
            part = self.handler.apply_batch(chunk)
            done = Committed(chunk[0][0].number, chunk[-1][0].number, part.created, part.updated,
                             part.unchanged, len({n for n, _ in part.problems}))
            if self.journal is not None:
                self.journal(done)  # last, so a lock it takes (the audit head) is held only to the commit
        result.add(part)
        return done


def _flush(batch: list[tuple[Row, Any, str, str]], writer: _Writer, seen: _SeenKeys, merge: bool, report: Report,
           rejects: _Rejects) -> None:
    if not batch:
        return
    handler = writer.handler
    earlier = seen.lookup(sorted({k for _, _, k, _ in batch if k}))
    in_batch: dict[str, tuple[int, str]] = {}
    items: list[tuple[Row, Any]] = []
    new_keys: list[tuple[str, int, str]] = []
    for row, cleaned, key, digest in batch:
        if key:
            first = earlier.get(key) or in_batch.get(key)
            if first is not None:
                first_row, first_digest = first
                if merge and digest == first_digest:
                    report.repeated += 1
                    continue
                reason = f"duplicate of row {first_row}"
                if merge:
                    reason += " with different values"
                _reject(report, rejects, row.number, [Problem(_key_field(handler), _show_key(key), reason)])
                continue
            in_batch[key] = (row.number, digest)
            new_keys.append((key, row.number, digest))
        items.append((row, cleaned))
    seen.add(new_keys)
    if not items:
        return
    result = writer.write(items)
    report.accepted += result.created
    report.updated += result.updated
    report.unchanged += result.unchanged
    rejected_rows: set[int] = set()
    for number, problem in result.problems:
        rejected_rows.add(number)
        rejects.write(number, problem)
    report.rejected += len(rejected_rows)


def _key_field(handler: Handler) -> str:
    return str(getattr(handler, "key_field", "") or "")


def _show_key(key: str) -> str:
    return key.split("\x1f")[-1]
