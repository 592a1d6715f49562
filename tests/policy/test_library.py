"""The shipped library: the nine original policies and the states of issue 10, every rule cited, every version
dated, uncertainty explained."""

from __future__ import annotations

from handoff.core.places import places
from handoff.policy.engine import LIBRARY_DIR, load_library

SHIPPED = {"us-federal", "us-ca", "us-il", "us-ny-nyc", "us-tx", "us-fl", "us-or", "us-wa", "us-md-montgomery"}
# Issue 10, first half of the alphabet (law-a); the rest of the states arrive with their own list below.
STATES_A_TO_M = {"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
                 "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT"}
# ... and the second half (law-b).
STATES_N_TO_Z = {"NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
                 "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"}


def test_it_ships_the_original_policies_and_one_file_per_policy() -> None:
    ids = set(load_library().policies)
    assert ids >= SHIPPED
    assert {p.stem for p in LIBRARY_DIR.glob("*.yaml")} == ids


def test_it_gives_each_state_a_state_level_policy_named_after_its_postal_code() -> None:
    docs = load_library().policies
    fips_of = {p.postal: p.fips for p in places().values() if p.kind == "state"}
    for postal in sorted(STATES_A_TO_M | STATES_N_TO_Z):
        doc = docs.get(f"us-{postal.lower()}")
        assert doc is not None, postal
        assert doc.level == "state" and doc.jurisdictions == (fips_of[postal],), postal
        assert doc.sources and all(s.checked_on for s in doc.sources), postal
        assert all(v.stance for v in doc.versions), postal


def test_it_cites_every_rule_and_dates_every_version() -> None:
    for doc in load_library().policies.values():
        assert doc.versions, doc.id
        for v in doc.versions:
            assert v.effective_from is not None, doc.id
            assert v.effective_to is None or v.effective_to > v.effective_from, doc.id
            assert v.source.strip(), (doc.id, v.label)
            for rule in v.rules:
                assert rule.cite.strip(), (doc.id, rule.id)
                if rule.uncertain:
                    assert rule.note, (doc.id, rule.id)


def test_it_cites_and_dates_every_offence_table_entry() -> None:
    tables = load_library().tables
    assert {"ca-serious-felonies", "ca-violent-felonies", "ca-7282-5-categories"} <= set(tables)
    for table in tables.values():
        assert table.entries, table.id
        for entry in table.entries:
            assert entry.cite.strip() and entry.effective_from is not None, (table.id, entry.statute)
            assert not entry.uncertain or entry.note, (table.id, entry.statute)


def test_it_names_every_7282_5_a_3_subparagraph_it_encodes() -> None:
    cites = {e.cite.split(" (")[0] for e in load_library().tables["ca-7282-5-categories"].entries}
    for sub in ("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "Q", "S", "T", "U",
                "V", "W", "X", "Y", "Z", "AA", "AB", "AC", "AD", "AE"):
        assert f"Cal. Gov. Code 7282.5(a)(3)({sub})" in cites, sub


def test_it_marks_the_uncertain_parts_domain_md_names() -> None:
    docs = load_library().policies
    for pid in ("us-ny-nyc", "us-tx", "us-wa", "us-md-montgomery"):
        doc = docs[pid]
        flagged = any(r.uncertain for v in doc.versions for r in v.rules) or "uncertain" in doc.notes.lower()
        assert flagged, pid
