"""A broken policy file is refused with the file, the line and the reason - for every kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.policy.documents import PolicyError, load_policy, load_table
from handoff.policy.engine import Registry

from .helpers import MINIMAL_RULE, policy_yaml, write


def problems_of(path: Path, tables: dict | None = None) -> list[tuple[int, str]]:
    with pytest.raises(PolicyError) as info:
        load_policy(path, tables if tables is not None else {})
    for p in info.value.problems:
        assert p.file == str(path)
    assert str(path) in str(info.value)
    return [(p.line, p.message) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    for n, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_it_loads_a_valid_minimal_policy(tmp_path: Path) -> None:
    doc = load_policy(write(tmp_path / "x-test.yaml", policy_yaml()), {})
    assert doc.id == "x-test"
    assert [r.id for r in doc.versions[0].rules] == ["r1"]


def test_it_names_the_line_of_a_yaml_syntax_error(tmp_path: Path) -> None:
    text = policy_yaml().replace("title: Test policy x-test", "title: [unclosed")
    path = write(tmp_path / "x-test.yaml", text)
    problems = problems_of(path)
    assert len(problems) == 1
    assert "YAML syntax" in problems[0][1]
    assert problems[0][0] >= line_of(text, "title: [unclosed")


def test_it_refuses_an_unknown_top_level_key(tmp_path: Path) -> None:
    text = policy_yaml(extra_top="jurisdiction_typo: x\n")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert problems == [(line_of(text, "jurisdiction_typo"), problems[0][1])]
    assert "unknown key 'jurisdiction_typo'" in problems[0][1]


def test_it_refuses_an_unknown_rule_key(tmp_path: Path) -> None:
    rules = MINIMAL_RULE + "        severity: high\n"
    text = policy_yaml(rules=rules)
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert (line_of(text, "severity: high"), "unknown key 'severity' in rule 'r1'; allowed: because, cite, id, note, otherwise, task, then, title, uncertain, when") in problems


def test_it_refuses_a_rule_without_a_citation(tmp_path: Path) -> None:
    rules = MINIMAL_RULE.replace('        cite: "Test Code 1"\n', "")
    text = policy_yaml(rules=rules)
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert any("rule 'r1' has no 'cite'" in m and line == line_of(text, "- id: r1") for line, m in problems)


def test_it_reports_a_cel_syntax_error_on_the_when_line(tmp_path: Path) -> None:
    rules = MINIMAL_RULE.replace("request.kind == 'detainer'", "request.kind == ")
    text = policy_yaml(rules=rules)
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert len(problems) == 1
    line, message = problems[0]
    assert line == line_of(text, "when:")
    assert "CEL syntax error in rule 'r1'" in message


def test_it_refuses_an_unknown_variable(tmp_path: Path) -> None:
    rules = MINIMAL_RULE.replace("request.kind == 'detainer'", "inmate.kind == 'detainer'")
    text = policy_yaml(rules=rules)
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert [(line, m.split(";")[0]) for line, m in problems] == [
        (line_of(text, "when:"), "unknown variable 'inmate' in rule 'r1'")
    ]


def test_it_refuses_an_unknown_field_even_inside_a_macro(tmp_path: Path) -> None:
    rules = MINIMAL_RULE.replace(
        "request.kind == 'detainer'", "request.warant.type == 'judicial' || convictions.exists(c, c.within5y)"
    )
    text = policy_yaml(rules=rules)
    messages = [m for _line, m in problems_of(write(tmp_path / "x-test.yaml", text))]
    assert any("unknown field 'request.warant'" in m for m in messages)
    assert any("unknown field 'c.within5y'" in m for m in messages)


def test_it_refuses_an_unknown_setting_reference(tmp_path: Path) -> None:
    rules = MINIMAL_RULE.replace("request.kind == 'detainer'", "settings.notify_everyone")
    messages = [m for _l, m in problems_of(write(tmp_path / "x-test.yaml", policy_yaml(rules=rules)))]
    assert any("unknown field 'settings.notify_everyone'" in m for m in messages)


def test_it_refuses_a_when_that_is_not_true_or_false(tmp_path: Path) -> None:
    rules = MINIMAL_RULE.replace("request.kind == 'detainer'", "request.lead_time_hours + 1")
    messages = [m for _l, m in problems_of(write(tmp_path / "x-test.yaml", policy_yaml(rules=rules)))]
    assert any("must give true or false" in m for m in messages)


def test_it_refuses_unknown_outcome_fields_and_values(tmp_path: Path) -> None:
    rules = MINIMAL_RULE.replace("then: {notify: true}", "then: {notify: true, hold: maybe, detain: true}")
    text = policy_yaml(rules=rules, defaults="{notify: no-way, hold: prohibited}")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    messages = [m for _l, m in problems]
    assert any("'hold: maybe'" in m for m in messages)
    assert any("unknown outcome field 'detain'" in m for m in messages)
    assert any("'notify: no-way'" in m for m in messages)
    assert all(line > 0 for line, _m in problems)


def test_it_refuses_overlapping_versions(tmp_path: Path) -> None:
    versions = """
  - effective_from: 2020-01-01
    effective_to: 2022-01-01
    stance: limit
    sources: [t-act]
    source: "Test Act"
    rules: []
  - effective_from: 2021-06-01
    effective_to: null
    stance: prohibition
    sources: [t-act]
    source: "Test Act, amended"
    rules: []"""
    text = policy_yaml(versions=versions)
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert len(problems) == 1
    assert problems[0][0] == line_of(text, "effective_from: 2021-06-01")
    assert "overlaps the version from 2020-01-01" in problems[0][1]


def test_it_refuses_two_open_ended_versions(tmp_path: Path) -> None:
    versions = """
  - {effective_from: 2020-01-01, stance: neutral, sources: [t-act], source: "A"}
  - {effective_from: 2021-01-01, stance: neutral, sources: [t-act], source: "B"}"""
    problems = problems_of(write(tmp_path / "x-test.yaml", policy_yaml(versions=versions)))
    assert any("runs to open end" in m for _l, m in problems)


def test_it_refuses_duplicate_rule_ids(tmp_path: Path) -> None:
    text = policy_yaml(rules=MINIMAL_RULE + MINIMAL_RULE)
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert len(problems) == 1
    assert "duplicate rule id 'r1'" in problems[0][1]
    assert problems[0][0] == [n for n, line in enumerate(text.splitlines(), 1) if "- id: r1" in line][1]


def test_it_refuses_an_unknown_offence_table(tmp_path: Path) -> None:
    text = policy_yaml(tables="[ca-serious-felonies, ca-nonexistent]")
    path = write(tmp_path / "x-test.yaml", text)
    table = load_table(Path(__file__).resolve().parents[2] / "src/handoff/policy/library/offences/ca-serious-felonies.yaml")
    problems = problems_of(path, {"ca-serious-felonies": table})
    assert [(line, m.split(" (")[0]) for line, m in problems] == [
        (line_of(text, "offence_tables"), "unknown offence table 'ca-nonexistent'")
    ]


def test_it_requires_a_note_on_an_uncertain_rule(tmp_path: Path) -> None:
    text = policy_yaml(rules=MINIMAL_RULE + "        uncertain: true\n")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert problems == [(line_of(text, "uncertain: true"), "rule 'r1' is uncertain: true but has no 'note' explaining why")]


def test_it_refuses_a_duplicate_yaml_key(tmp_path: Path) -> None:
    text = policy_yaml().replace("stance: prohibition\n", "stance: prohibition\nstance: mandate\n", 1)
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert problems[0][0] == line_of(text, "stance: mandate")
    assert "duplicate key 'stance'" in problems[0][1]


def test_it_reports_every_problem_not_just_the_first(tmp_path: Path) -> None:
    rules = MINIMAL_RULE.replace('        cite: "Test Code 1"\n', "") + """
      - id: r2
        cite: "Test Code 2"
        when: "nobody.knows"
        then: {hold: sometimes}
"""
    problems = problems_of(write(tmp_path / "x-test.yaml", policy_yaml(rules=rules, stance="lenient")))
    assert len(problems) >= 4


def test_it_refuses_bad_offence_table_entries_with_their_lines(tmp_path: Path) -> None:
    text = """id: xx-table
title: Test table
state: CA
codes:
  PC: ["Penal Code", "PC"]
entries:
  - {statute: PC 211, categories: [serious_felony], cite: "PC 1192.7(c)(19)", effective_from: 2018-01-01}
  - {statute: PC 212, categories: [serious_felony], effective_from: 2018-01-01}
  - {statute: PC 213, categories: [very_bad], cite: "x", effective_from: 2018-01-01}
  - {statute: "Vehicle 10851", categories: [theft_burglary_robbery_fraud], cite: "x", effective_from: 2018-01-01}
  - {statute: PC 214, categories: [weapons], cite: "x", effective_from: 2018-01-01, uncertain: true}
"""
    path = write(tmp_path / "xx-table.yaml", text)
    with pytest.raises(PolicyError) as info:
        load_table(path)
    got = {(p.line, p.message.split(";")[0].split(" (")[0]) for p in info.value.problems}
    assert (8, "entry 'PC 212' has no 'cite'") in got
    assert (9, "unknown category 'very_bad' in entry 'PC 213'") in got
    assert any(line == 10 and "must start with a code of this table" in m for line, m in got)
    assert (11, "entry 'PC 214' is uncertain: true but has no 'note' explaining why") in got


def test_it_requires_the_file_name_to_match_the_policy_id(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "x-other.yaml", policy_yaml("x-test"))
    (tmp_path / "lib" / "offences").mkdir()
    with pytest.raises(PolicyError, match="must match the file name 'x-other'"):
        Registry.from_directory(tmp_path / "lib")
