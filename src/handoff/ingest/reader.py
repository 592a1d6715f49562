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
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from handoff.ingest.contract import Problem

GZIP_MAGIC = b"\x1f\x8b"
DELIMITERS = (",", "|", "\t", ";")
csv.field_size_limit(1 << 20)


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


def _open_binary(info: SourceInfo) -> IO[bytes]:
    try:
        if info.gzip:
            return gzip.open(info.path, "rb")  # type: ignore[return-value]
        return info.path.open("rb")
    except OSError as exc:
        raise ReadError(f"cannot open {info.path}: {exc.strerror or exc}") from None


class _Lines:
    """Decoded lines with their physical line numbers; remembers where reading stopped."""

    def __init__(self, fh: IO[bytes], encoding: str | None, warn: Warn) -> None:
        self.fh = fh
        self.encoding = encoding
        self.warn = warn
        self.line = 0
        self.fell_back = False

    def __iter__(self) -> Iterator[str]:
        it = iter(self.fh)
        while True:
            try:
                raw = next(it)
            except StopIteration:
                return
            except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
                reason = str(exc) or exc.__class__.__name__
                if isinstance(exc, EOFError):
                    reason = "the compressed file ends early (truncated gzip)"
                raise ReadError(f"reading failed at line {self.line + 1}: {reason}", self.line + 1) from None
            self.line += 1
            if self.line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            yield self._decode(raw)

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
    fh = _open_binary(info)
    try:
        lines = _Lines(fh, info.encoding, warn)
        if info.format == "jsonl":
            yield from _jsonl(lines)
        else:
            yield from _csv(lines, info, warn)
    finally:
        fh.close()


def _jsonl(lines: _Lines) -> Iterator[Record]:
    seen_any = False
    for text in lines:
        if not text.strip():
            continue
        seen_any = True
        n = lines.line
        try:
            obj = json.loads(text)
        except ValueError as exc:
            yield Record(n, None, Problem("", _clip(text.strip()), f"not valid JSON: {exc}"))
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
