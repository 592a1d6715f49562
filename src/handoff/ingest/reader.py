"""Streaming reader for jail exports: CSV or JSON Lines, plain or gzip, any 8-bit encoding.

Why line by line from bytes: a million-row export must not be loaded whole, a truncated gzip must still
yield every complete line before the break (and say where it broke), and a file that is mostly UTF-8 with
a few Latin-1 names (common when exports are concatenated from different systems) must be read correctly
rather than rejected whole. So each line is decoded on its own: UTF-8 first, Latin-1 when that fails.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from handoff.core import ids
from handoff.ingest.contract import Problem

GZIP_MAGIC = b"\x1f\x8b"
DELIMITERS = (",", "|", "\t", ";")
#: the longest line read (bytes). Why: nothing capped it, and a 300 KB .gz holding one 300 MB line took
#: 737 MB of memory (review L4). A real booking or request row is under 4 KB; a longer line is refused
#: with its number and the lines around it are read on.
MAX_LINE_BYTES = 1 << 20
csv.field_size_limit(MAX_LINE_BYTES)
#: decompression limits for gzip input (review M10/L4): at most this many bytes in all, and never more than
#: GZIP_MAX_RATIO times the compressed bytes read once past GZIP_RATIO_FLOOR (ordinary exports compress 5-20x)
GZIP_MAX_BYTES = 16 << 30
GZIP_MAX_RATIO = 200
GZIP_RATIO_FLOOR = 16 << 20


class ReadError(Exception):
    """The input cannot be read on (exit 2). `line` is where reading failed, if known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class EmptyInput(ReadError):
    pass


@dataclass(frozen=True, slots=True)
class Record:
    """One record as read: `values` keyed by the source's column names, or a problem if it is unusable."""

    number: int
    values: dict[str, Any] | None
    problem: Problem | None = None


@dataclass
class SourceInfo:
    path: Path
    format: str
    gzip: bool
    encoding: str | None
    delimiter: str | None = None
    header: list[str] | None = None


Warn = Callable[[str], None]


def detect(path: Path, *, fmt: str | None = None, gz: bool | None = None, encoding: str | None = None,
           delimiter: str | None = None) -> SourceInfo:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ReadError(f"cannot open {path}: {exc.strerror or exc}") from None
    is_gzip = head[:2] == GZIP_MAGIC if gz is None else gz
    if fmt is None:
        name = path.name.lower().removesuffix(".gz")
        if name.endswith((".jsonl", ".ndjson", ".json")):
            fmt = "jsonl"
        elif name.endswith((".csv", ".tsv", ".txt", ".psv")):
            fmt = "csv"
        else:
            sample = head
            if is_gzip:
                try:
                    sample = _gunzip_head(path)
                except (OSError, EOFError, zlib.error):
                    sample = b""
            fmt = "jsonl" if sample.lstrip().startswith(b"{") else "csv"
    if fmt not in ("csv", "jsonl"):
        raise ReadError(f"unknown format {fmt!r} (use csv or jsonl)")
    return SourceInfo(path, fmt, is_gzip, encoding, delimiter)


def _gunzip_head(path: Path) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read(512)


def _open_binary(info: SourceInfo) -> tuple[IO[bytes], IO[bytes] | None]:
    """The decoded byte stream, and for gzip the compressed file under it (to measure the ratio)."""
    try:
        if info.gzip:
            raw = info.path.open("rb")
            return gzip.GzipFile(fileobj=raw, mode="rb"), raw  # type: ignore[return-value]
        return info.path.open("rb"), None
    except OSError as exc:
        raise ReadError(f"cannot open {info.path}: {exc.strerror or exc}") from None


class _Lines:
    """Decoded lines with their physical line numbers; remembers where reading stopped. A line longer than
    MAX_LINE_BYTES is skipped (read in pieces, never held whole) and its number kept in `overlong`; the
    reader turns it into a rejected record and goes on."""

    def __init__(self, fh: IO[bytes], encoding: str | None, warn: Warn, compressed: IO[bytes] | None = None) -> None:
        self.fh = fh
        self.encoding = encoding
        self.warn = warn
        self.line = 0
        self.fell_back = False
        self.compressed = compressed
        self.total = 0
        self.overlong: list[int] = []

    def _read(self) -> bytes:
        try:
            raw = self.fh.readline(MAX_LINE_BYTES + 1)
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            reason = str(exc) or exc.__class__.__name__
            if isinstance(exc, EOFError):
                reason = "the compressed file ends early (truncated gzip)"
            raise ReadError(f"reading failed at line {self.line + 1}: {reason}", self.line + 1) from None
        self.total += len(raw)
        if self.compressed is not None:
            if self.total > GZIP_MAX_BYTES:
                raise ReadError(f"reading stopped at line {self.line + 1}: the compressed file expands past "
                                f"{GZIP_MAX_BYTES >> 30} GiB", self.line + 1)
            if self.total > GZIP_RATIO_FLOOR and self.total > GZIP_MAX_RATIO * max(1, self.compressed.tell()):
                raise ReadError(f"reading stopped at line {self.line + 1}: the compressed file expands more than "
                                f"{GZIP_MAX_RATIO} times (a decompression bomb?)", self.line + 1)
        return raw

    def __iter__(self) -> Iterator[str]:
        while True:
            raw = self._read()
            if not raw:
                return
            self.line += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line, a piece at a time
                    raw = self._read()
                self.overlong.append(self.line)
                yield ""
                continue
            if self.line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            yield self._decode(raw)

    def problems(self) -> Iterator[Record]:
        """Records for the over-long lines met so far (each once)."""
        while self.overlong:
            n = self.overlong.pop(0)
            yield Record(n, None, Problem("", "", f"line longer than {MAX_LINE_BYTES} bytes; not read"))

    def _decode(self, raw: bytes) -> str:
        if self.encoding:
            try:
                return raw.decode(self.encoding)
            except UnicodeDecodeError as exc:
                raise ReadError(
                    f"reading failed at line {self.line}: not valid {self.encoding} ({exc.reason} at byte "
                    f"{exc.start}); fix the file or set `encoding:` in the mapping", self.line) from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            if not self.fell_back:
                self.fell_back = True
                self.warn(f"line {self.line} is not valid UTF-8; reading such lines as Latin-1 (ISO-8859-1). "
                          "Set `encoding:` in a mapping to be explicit.")
            return raw.decode("latin-1")


def records(info: SourceInfo, warn: Warn) -> Iterator[Record]:
    """Every record of the file in order. Raises EmptyInput for a file with nothing in it and ReadError
    where reading fails (after yielding every record before that point)."""
    fh, compressed = _open_binary(info)
    try:
        lines = _Lines(fh, info.encoding, warn, compressed)
        if info.format == "jsonl":
            yield from _jsonl(lines)
        else:
            yield from _csv(lines, info, warn)
        yield from lines.problems()
    finally:
        fh.close()
        if compressed is not None:
            compressed.close()


def _jsonl(lines: _Lines) -> Iterator[Record]:
    seen_any = False
    for text in lines:
        if lines.overlong:
            seen_any = True
            yield from lines.problems()
        if not text.strip():
            continue
        seen_any = True
        n = lines.line
        try:
            # depth-limited: a line nested 50,000 deep is one rejected row, not a crash (review M10)
            obj = ids.loads(text)
        except ValueError as exc:
            reason = str(exc) if isinstance(exc, ids.JsonProblem) else f"not valid JSON: {exc}"
            yield Record(n, None, Problem("", _clip(text.strip()), reason))
            continue
        if not isinstance(obj, dict):
            yield Record(n, None, Problem("", _clip(text.strip()), "expected a JSON object"))
            continue
        yield Record(n, trim(obj))
    if not seen_any:
        raise EmptyInput("empty file", 1)


def _sniff(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    return best if counts[best] else ","


def _csv(lines: _Lines, info: SourceInfo, warn: Warn) -> Iterator[Record]:
    it = iter(lines)
    first: str | None = None
    for text in it:
        if text.strip():
            first = text
            break
    if first is None:
        raise EmptyInput("empty file", 1)
    delimiter = info.delimiter or _sniff(first)
    info.delimiter = delimiter
    header_line = lines.line

    def rest() -> Iterator[str]:
        yield first
        yield from it

    reader = csv.reader(rest(), delimiter=delimiter)
    consumed = header_line - 1
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise ReadError(f"reading failed at line {header_line}: {exc}", header_line) from None
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise ReadError(f"the header names a column twice: {', '.join(dupes)}", header_line)
    info.header = header
    consumed = lines.line
    width = len(header)
    while True:
        start = consumed + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ReadError(f"reading failed at line {lines.line}: {exc}", lines.line) from None
        consumed = lines.line
        if lines.overlong:
            yield from lines.problems()
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if len(fields) != width:
            yield Record(start, None, Problem(
                "", _clip(delimiter.join(fields)),
                f"row has {len(fields)} fields but the header has {width}"))
            continue
        yield Record(start, {h: v.strip() for h, v in zip(header, fields, strict=True) if h})


def trim(values: dict[str, Any]) -> dict[str, Any]:
    """Spaces around keys and text values removed. Why: exports pad ("a, b" after every comma in the FEBRL
    files, fixed-width columns elsewhere), and " 19151111" is the same date as "19151111"; nested values
    (a request's subject) are trimmed by the field parsers that read them."""
    return {(k.strip() if isinstance(k, str) else k): (v.strip() if isinstance(v, str) else v)
            for k, v in values.items()}


def _clip(s: str) -> str:
    return s if len(s) <= 200 else s[:197] + "..."
