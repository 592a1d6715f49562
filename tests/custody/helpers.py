"""Small writers for test input files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def write_csv(path: Path, header: list[str], rows: list[list[Any]], *, delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


BOOKING_HEADER = ["facility", "booking_number", "booked_at", "last_name", "first_name", "date_of_birth", "sex",
                  "fbi_number", "state_id", "a_number", "scheduled_release_at", "release_type", "released_at",
                  "release_reason"]


def booking(n: int, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "facility": "LA-MCJ", "booking_number": f"B{n:05d}", "booked_at": "2024-03-01 08:00",
        "last_name": f"LAST{n}", "first_name": f"FIRST{n}", "date_of_birth": "1990-05-17", "sex": "M",
        "fbi_number": "", "state_id": "", "a_number": "", "scheduled_release_at": "", "release_type": "",
        "released_at": "", "release_reason": "",
    }
    row.update(over)
    return row


def booking_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[r.get(h, "") for h in BOOKING_HEADER] for r in rows]
