"""Ingest trims spaces around headers and values (the FEBRL files put one after every comma): property tests of
the reader, and of a booking read from a padded file."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.ingest.reader import detect, records, trim

# cell text without the characters CSV quoting or our line reader would change (those have their own tests)
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12)
PAD = st.text(" ", max_size=3)  # tabs would change the sniffed delimiter of a one-column file
NAMES = st.lists(st.text("abcdefghij_", min_size=1, max_size=8), min_size=1, max_size=5, unique=True)


def _read(text: str, suffix: str) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"f{suffix}"
        path.write_text(text, encoding="utf-8")
        info = detect(path)
        return [r.values for r in records(info, lambda _: None) if r.values is not None]


@settings(max_examples=60, deadline=None)
@given(names=NAMES, data=st.data())
def test_it_trims_every_header_and_value_of_a_csv(names: list[str], data: st.DataObject) -> None:
    rows = [[data.draw(TEXT) for _ in names] for _ in range(data.draw(st.integers(1, 3)))]
    rows = [r for r in rows if any(v.strip() for v in r)] or [["x"] * len(names)]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([data.draw(PAD) + n + data.draw(PAD) for n in names])
    for r in rows:
        w.writerow([data.draw(PAD) + v + data.draw(PAD) for v in r])
    got = _read(buf.getvalue(), ".csv")
    assert got == [{n: v.strip() for n, v in zip(names, r, strict=True)} for r in rows]


@settings(max_examples=60, deadline=None)
@given(values=st.dictionaries(st.text("abcxyz", min_size=1, max_size=5),
                              st.one_of(TEXT, st.integers(), st.booleans(), st.none()), min_size=1, max_size=5),
       pads=st.lists(PAD, min_size=10, max_size=10))
def test_it_trims_keys_and_text_values_of_json_lines_and_leaves_other_values(values: dict[str, object],
                                                                            pads: list[str]) -> None:
    padded = {pads[i % 10] + k + pads[(i + 1) % 10]: (pads[i % 10] + v if isinstance(v, str) else v)
              for i, (k, v) in enumerate(values.items())}
    got = _read(json.dumps(padded) + "\n", ".jsonl")
    assert got == [trim(padded)]
    assert all(k == k.strip() for k in got[0]) and all(v == v.strip() for v in got[0].values() if isinstance(v, str))
    assert [v for v in got[0].values() if not isinstance(v, str)] == [v for v in padded.values()
                                                                      if not isinstance(v, str)]


@settings(max_examples=40, deadline=None)
@given(a=PAD, b=PAD, c=PAD)
def test_it_reads_a_padded_febrl_style_date_and_sex(a: str, b: str, c: str) -> None:
    from handoff.custody.services import Facilities, validate_booking

    values = {"facility": "NOWHERE", "date_of_birth": f"{a}1915-11-11{b}", "sex": f"{c}F{a}"}
    [row] = _read("facility, date_of_birth, sex\n" + ", ".join(values.values()) + "\n", ".csv")
    assert row["date_of_birth"] == "1915-11-11" and row["sex"] == "F"
    facilities = Facilities()
    facilities._by_code["NOWHERE"] = None  # an unknown jail, without asking the database
    problems = validate_booking(row, facilities)
    assert isinstance(problems, list) and {p.field for p in problems} >= {"booking_number"}
    assert "date_of_birth" not in {p.field for p in problems} and "sex" not in {p.field for p in problems}
