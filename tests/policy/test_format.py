"""The policy format of issue 10: sources with checked_on, a stance per version, cited source ids and 287(g)
agreements. Every mistake is refused with the file, the line and the reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handoff.policy.documents import PolicyError, load_policy
from handoff.policy.engine import load_library

from .helpers import policy_yaml, write


def problems_of(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(PolicyError) as info:
        load_policy(path, {})
    assert all(p.file == str(path) for p in info.value.problems)
    return [(p.line, p.message) for p in info.value.problems]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    return [n for n, line in enumerate(text.splitlines(), 1) if needle in line][nth]


def test_it_loads_sources_stances_and_agreements(tmp_path: Path) -> None:
    text = policy_yaml(extra_top="""agreements_287g:
  - {agency: "Test County Sheriff", model: jail_enforcement, signed_on: 2019-02-01, ended_on: 2021-01-01,
     source: t-act, uncertain: false, note: null}
""")
    doc = load_policy(write(tmp_path / "x-test.yaml", text), {})
    assert [(s.id, s.kind, s.checked_on) for s in doc.sources] == [("t-act", "statute", date(2026, 12, 1))]
    assert doc.versions[0].stance == "prohibition"
    assert doc.versions[0].source_ids == ("t-act",)
    assert doc.stance_at(date(2024, 1, 1)) == "prohibition"
    agreement = doc.agreements_287g[0]
    assert (agreement.in_force(date(2020, 6, 1)), agreement.in_force(date(2021, 1, 1))) == (True, False)


def test_it_derives_the_policy_stance_from_the_latest_version_when_the_file_has_none(tmp_path: Path) -> None:
    text = policy_yaml(stance="mandate").replace("stance: mandate\n", "", 1)
    doc = load_policy(write(tmp_path / "x-test.yaml", text), {})
    assert doc.stance == "mandate"


def test_it_refuses_an_unknown_version_stance(tmp_path: Path) -> None:
    text = policy_yaml().replace("    stance: prohibition", "    stance: sanctuary")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert problems == [(line_of(text, "stance: sanctuary"),
                         "stance 'sanctuary' of version 1 is not one of prohibition, limit, neutral, mandate")]


def test_it_refuses_a_state_version_without_stance_or_sources(tmp_path: Path) -> None:
    text = policy_yaml().replace("    stance: prohibition\n", "").replace("    sources: [t-act]\n", "")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    at = line_of(text, "- effective_from: 2020-01-01")
    assert (at, "version 1 has no 'stance'") in problems
    assert (at, "version 1 has no 'sources'") in problems


def test_it_refuses_a_state_policy_without_sources(tmp_path: Path) -> None:
    text = policy_yaml().replace('sources:\n  - {id: t-act, kind: statute, cite: "Test Act 1", url: null, checked_on: 2026-12-01, note: null}\n', "")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert any(line == 1 and "a state policy has no 'sources'" in m for line, m in problems)
    assert any("cites source 't-act', which is not defined in 'sources'" in m for _l, m in problems)


def test_it_refuses_a_version_citing_an_undefined_source(tmp_path: Path) -> None:
    text = policy_yaml().replace("sources: [t-act]", "sources: [t-act, nj-itd]")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert problems == [(line_of(text, "sources: [t-act, nj-itd]"),
                         "version 1 cites source 'nj-itd', which is not defined in 'sources' (defined: t-act)")]


def test_it_refuses_a_source_without_checked_on(tmp_path: Path) -> None:
    text = policy_yaml().replace(", checked_on: 2026-12-01", "")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert problems == [(line_of(text, "- {id: t-act"), "source 't-act' has no 'checked_on'")]


def test_it_refuses_an_unknown_source_kind_and_a_bad_checked_on_date(tmp_path: Path) -> None:
    text = policy_yaml().replace("kind: statute", "kind: blog_post").replace("checked_on: 2026-12-01", "checked_on: last week")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    at = line_of(text, "- {id: t-act")
    assert (at, "source 't-act': kind 'blog_post' is not one of " + ", ".join([
        "statute", "constitution", "attorney_general_directive", "attorney_general_opinion", "executive_order",
        "case_law", "ordinance", "resolution", "sheriff_policy", "agreement_287g", "regulation", "news_report",
        "none_found"])) in problems
    assert (at, "'checked_on' of source 't-act' must be a date YYYY-MM-DD, not 'last week'") in problems


def test_it_refuses_a_duplicate_source_id(tmp_path: Path) -> None:
    text = policy_yaml().replace(
        "checked_on: 2026-12-01, note: null}\n",
        "checked_on: 2026-12-01, note: null}\n  - {id: t-act, kind: case_law, cite: \"X v. Y\", checked_on: 2026-12-01}\n",
    )
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert problems == [(line_of(text, "X v. Y"), f"duplicate source id 't-act' (first on line {line_of(text, 'Test Act 1')})")]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('{agency: "S", model: deputies, signed_on: 2019-01-01, ended_on: null, source: t-act, uncertain: false}',
         "287(g) agreement 1: model 'deputies' is not one of jail_enforcement, task_force, warrant_service_officer"),
        ('{agency: "S", model: task_force, signed_on: 2019-01-01, ended_on: 2018-01-01, source: t-act, uncertain: false}',
         "287(g) agreement 1 ends (2018-01-01) before it was signed (2019-01-01)"),
        ('{agency: "S", model: task_force, signed_on: 2019-01-01, ended_on: null, source: moa-1, uncertain: false}',
         "287(g) agreement 1 names source 'moa-1', which is not in this policy's sources"),
        ('{agency: "S", model: task_force, signed_on: null, ended_on: null, source: t-act, uncertain: false}',
         "287(g) agreement 1 has no signing date: allowed only with uncertain: true and a note"),
        ('{agency: "S", model: task_force, signed_on: null, ended_on: null, source: t-act, uncertain: true}',
         "287(g) agreement 1 is uncertain: true but has no 'note' explaining why"),
        ('{agency: "S", model: task_force, signed_on: 2019-01-01, source: t-act, uncertain: false, sheriff: x}',
         "unknown key 'sheriff' in 287(g) agreement 1; allowed: agency, ended_on, model, note, signed_on, source, uncertain"),
        ('{agency: "S", model: task_force, signed_on: 2019-01-01, source: t-act}',
         "287(g) agreement 1 has no 'uncertain' (true or false)"),
    ],
)
def test_it_refuses_a_bad_287g_agreement(tmp_path: Path, entry: str, message: str) -> None:
    text = policy_yaml(extra_top=f"agreements_287g:\n  - {entry}\n")
    problems = problems_of(write(tmp_path / "x-test.yaml", text))
    assert problems == [(line_of(text, "agency: \"S\""), message)]


def test_it_allows_an_uncertain_agreement_without_signing_date_and_says_it_is_unknown(tmp_path: Path) -> None:
    text = policy_yaml(extra_top='agreements_287g:\n  - {agency: "S", model: warrant_service_officer, signed_on: null, '
                                 'ended_on: null, source: t-act, uncertain: true, note: "MOA date not published"}\n')
    doc = load_policy(write(tmp_path / "x-test.yaml", text), {})
    assert doc.agreements_287g[0].in_force(date(2025, 1, 1)) is None


def test_it_lets_the_federal_baseline_go_without_sources() -> None:
    federal = load_library().policies["us-federal"]
    assert federal.sources == () and federal.versions[0].stance is None and federal.stance == "baseline"


def test_it_gives_every_shipped_state_and_local_version_a_stance_and_dated_sources() -> None:
    for doc in load_library().policies.values():
        if doc.level == "federal":
            continue
        assert doc.sources, doc.id
        ids = {s.id for s in doc.sources}
        for v in doc.versions:
            assert v.stance in ("prohibition", "limit", "neutral", "mandate"), (doc.id, v.effective_from)
            assert v.source_ids and set(v.source_ids) <= ids, (doc.id, v.effective_from)
            for rule in v.rules:
                assert rule.cite.strip(), (doc.id, rule.id)


def test_it_shows_each_versions_stance_sources_and_the_rules_citations_as_json() -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("policy", "show", "us-mt", "--json", stdout=out)
    shown = json.loads(out.getvalue())
    assert [(v["effective_from"], v["stance"]) for v in shown["versions"]] == [
        ("2017-04-02", "neutral"), ("2020-03-25", "prohibition"), ("2021-03-31", "mandate")]
    assert shown["versions"][1]["sources"] == ["ramon-v-short"]
    assert all(r["cite"] for v in shown["versions"] for r in v["rules"])
    assert {s["id"]: s["checked_on"] for s in shown["sources"]}["ramon-v-short"] == "2026-12-05"
