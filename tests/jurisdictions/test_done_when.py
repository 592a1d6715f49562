"""Issue 10 ("the law of every state and D.C. and of the 25 largest jail jurisdictions, with its history"), its
build list, interfaces, bad input and "done when" lines, each as a test that fails when the line stops being
true.

Why one file: the issue is closed by reading its list, and a later change (a policy file edited, a state
removed, a command's JSON reshaped) must fail a test named after the line it breaks. Other files test the same
machinery in depth (tests/policy/test_no_policy.py, test_counties.py, test_history.py, test_format.py,
tests/web/test_national_view.py); this one checks what a user of the library gets, through the commands and
pages a user runs: `handoff jurisdiction show`, `handoff policy show|changes|stale|check`, scenario files and
/policies.

Not here, and why: "the library loads in <= 1 s" and ">= 50,000 decisions/s" are speeds, which a test may not
assert on a shared 2-core CI box (team rule 1): bench/library_load.py and bench/evaluate.py measure them. The
axe scan of /policies is a browser test (tests/web/test_browser_pages.py).
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from handoff.core.places import places
from handoff.policy.chain import chain_at
from handoff.policy.composition import NO_POLICY
from handoff.policy.documents import PolicyError, load_policy
from handoff.policy.engine import load_library
from handoff.policy.facts import Decision, Facts
from handoff.policy.scenarios import run_file
from tests.policy.helpers import library_with, policy_yaml, write
from tests.policy.test_counties import COUNTIES

REG = load_library()
STATES = sorted((p for p in places().values() if p.kind == "state" and p.postal and p.postal not in
                 ("PR", "GU", "VI", "AS", "MP", "UM")), key=lambda p: p.postal)
STANCES = {"prohibition", "limit", "neutral", "mandate"}
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
ADMIN_DETAINER = {"kind": "detainer", "form": "I-247A", "basis": ["biometric_match"],
                  "warrant": {"type": "administrative", "form": "I-200"}}


def _policy(*args: str) -> str:
    out = StringIO()
    call_command("policy", *args, stdout=out)
    return out.getvalue()


def _decide(fips: str, day: date, request: dict[str, object] | None = None) -> Decision:
    return REG.evaluate(Facts.from_dict({"request": request or ADMIN_DETAINER}), day, chain_at(fips, REG.policies))


def _is_no_policy(d: Decision) -> bool:
    return (d.review and (d.notify, d.hold, d.transfer) == (False, "prohibited", "prohibited")
            and any(r.rule == "no-policy" and r.detail == NO_POLICY for r in d.reasons))


# ---- Build 1: a state-level policy for every state and D.C.

def test_it_counts_fifty_states_and_dc_in_the_place_list() -> None:
    """The other tests loop over STATES: if the place list lost a state they would pass on fewer places."""
    assert len(STATES) == 51 and {"DC", "NJ", "MA", "NC"} <= {p.postal for p in STATES}


@pytest.mark.parametrize("postal", [p.postal for p in STATES])
def test_it_gives_each_state_and_dc_a_us_state_policy_composed_on_the_federal_baseline(postal: str) -> None:
    """Build 1: `us-<postal code>`, level state, composed on us-federal (the chain a jail there gets)."""
    place = next(p for p in STATES if p.postal == postal)
    pid = f"us-{postal.lower()}"
    doc = REG.policies[pid]
    assert doc.level == "state" and doc.jurisdictions == (place.fips,)
    assert chain_at(place.fips, REG.policies) == ["us-federal", pid]


@pytest.mark.parametrize("postal", [p.postal for p in STATES])
def test_it_dates_cites_and_sources_every_state_version_and_rule(postal: str) -> None:
    """Build 1: sources with a checked_on date; dated versions with a stance and their sources; rules with
    citations; uncertain rules say why."""
    doc = REG.policies[f"us-{postal.lower()}"]
    assert doc.sources
    for s in doc.sources:
        assert s.cite.strip() and s.kind and isinstance(s.checked_on, date), (doc.id, s.id)
    ids = {s.id for s in doc.sources}
    for v in doc.versions:
        assert isinstance(v.effective_from, date) and v.source.strip(), (doc.id, v.label)
        assert v.stance in STANCES, (doc.id, v.label, v.stance)
        assert v.source_ids and set(v.source_ids) <= ids, (doc.id, v.label)
        for rule in v.rules:
            assert rule.cite.strip(), (doc.id, v.label, rule.id)
            assert not rule.uncertain or (rule.note or "").strip(), (doc.id, rule.id)


@pytest.mark.parametrize("postal", [p.postal for p in STATES])
def test_it_runs_at_least_three_passing_scenarios_per_state_each_naming_its_law_in_a_real_place(postal: str) -> None:
    """Build 1 and 4: at least 3 scenarios, each naming its law (`statute:`), run by `jurisdiction:` so the
    chain is what `handoff setup` gives a jail there, and all pass."""
    path = SCENARIOS / f"us-{postal.lower()}.yaml"
    result = run_file(path, REG, strict=True)
    assert len(result.results) >= 3
    bad = [r.name for r in result.results if not r.ok]
    assert not bad, bad
    assert all(r.statute and r.statute.strip() for r in result.results)
    data = yaml.safe_load(path.read_text())
    by_place = [s for s in data["scenarios"] if isinstance(s.get("jurisdiction", data.get("jurisdiction")), str)]
    assert by_place, "at least one scenario runs by place (`jurisdiction: <FIPS>`)"


def test_it_keeps_new_york_state_apart_from_nyc_and_maryland_apart_from_montgomery_county() -> None:
    """Build 1: Suffolk County NY gets New York State's law and not NYC's; Baltimore County MD gets Maryland's
    and not Montgomery County's; Manhattan and Montgomery get both, the state first."""
    assert chain_at("36103", REG.policies) == ["us-federal", "us-ny"]
    assert chain_at("36061", REG.policies) == ["us-federal", "us-ny", "us-ny-nyc"]
    assert chain_at("24005", REG.policies) == ["us-federal", "us-md"]
    assert chain_at("24031", REG.policies) == ["us-federal", "us-md", "us-md-montgomery"]


def test_it_says_so_where_a_state_has_no_statute_either_way() -> None:
    """Build 1: a state whose every version is neutral still has a policy, and it rests on a `none_found` source
    that says what was searched and when."""
    neutral = [d for d in (REG.policies[f"us-{p.postal.lower()}"] for p in STATES)
               if all(v.stance == "neutral" for v in d.versions)]
    assert len(neutral) >= 5  # Alaska, Delaware, Hawaii, Michigan, Minnesota at least
    for doc in neutral:
        found = [s for s in doc.sources if s.kind == "none_found"]
        assert found and all(s.checked_on and (s.note or s.cite).strip() for s in found), doc.id


def test_it_never_simply_permits_a_hold_where_arrest_authority_is_unsettled_and_cites_the_case_law() -> None:
    """Build 1: on every day of every neutral state version, an administrative detainer is not a plain
    "hold permitted": it goes to review (or is refused until counsel decides, as Maryland's is), and the
    reason that says so cites case law ("X v. Y")."""
    checked = 0
    for p in STATES:
        doc = REG.policies[f"us-{p.postal.lower()}"]
        for v in doc.versions:
            if v.stance != "neutral":
                continue
            d = _decide(p.fips, v.effective_from)
            assert d.review or d.hold == "prohibited", (doc.id, v.label, d.hold)
            unsettled = [r for r in d.reasons if r.holds and r.rule.endswith("-hold-authority-unsettled")]
            assert unsettled and " v. " in unsettled[0].cite, (doc.id, v.label)
            checked += 1
    assert checked >= 20


# ---- Build 2: local policies for the 25 largest jail jurisdictions

def test_it_ships_the_25_largest_jail_jurisdictions_the_issue_names() -> None:
    named = ["los-angeles", "harris", "nyc", "cook", "maricopa", "dallas", "miami-dade", "philadelphia",
             "san-bernardino", "riverside", "ca-orange", "san-diego", "tarrant", "bexar", "shelby", "fulton",
             "broward", "clark", "sacramento", "fl-orange", "duval", "hillsborough", "santa-clara", "king", "travis"]
    assert len(COUNTIES) == 25
    for name in named:
        assert [pid for pid in COUNTIES if pid.endswith(name)], name


@pytest.mark.parametrize("pid", sorted(COUNTIES))
def test_it_records_each_countys_sources_287g_status_and_dated_versions(pid: str) -> None:
    """Build 2: ordinances/orders/sheriff's policies as sources; 287(g) agreements with dates (or, where there
    are none, a `none_found` source checked on a date that says so); dated, sourced versions."""
    doc = REG.policies[pid]
    assert doc.level in ("county", "city") and doc.sources
    assert all(isinstance(s.checked_on, date) for s in doc.sources)
    kinds = {s.kind for s in doc.sources}
    if not doc.agreements_287g:
        assert "none_found" in kinds, "no 287(g) agreement must rest on a search that found none"
    for a in doc.agreements_287g:
        assert a.signed_on is not None or a.uncertain, (pid, a.agency)
    for v in doc.versions:
        assert v.stance in STANCES and v.source_ids and v.source.strip(), (pid, v.label)
        assert all(r.cite.strip() for r in v.rules), (pid, v.label)
    assert len(run_file(SCENARIOS / f"{pid}.yaml", REG, strict=True).results) >= 3


def test_it_records_miami_dades_2013_resolution_and_its_january_2017_reversal_as_a_change() -> None:
    """Build 2 and 5: the reversal is data `handoff policy changes` lists, with stance before and after."""
    data = json.loads(_policy("changes", "--since", "2013-01-01", "--json"))
    mine = [c for c in data["changes"] if c["policy"] == "us-fl-miami-dade"]
    assert any(c["date"] == "2017-01-26" and (c["stance_before"], c["stance_after"]) == ("limit", "mandate")
               and c["stance_changed"] for c in mine), mine
    assert any(c["date"].startswith("2013-") for c in mine), "the 2013 resolution itself is a dated version"


# ---- Build 3: no policy, no permission

@pytest.mark.parametrize("postal", [p.postal for p in STATES])
def test_it_decides_review_the_day_before_each_states_first_version(postal: str) -> None:
    """Build 3: a date before the state's first encoded version never falls to the permissive baseline."""
    place = next(p for p in STATES if p.postal == postal)
    first = min(v.effective_from for v in REG.policies[f"us-{postal.lower()}"].versions)
    before = _decide(place.fips, first - timedelta(days=1))
    assert _is_no_policy(before), (postal, before.hold, before.review)
    assert not _is_no_policy(_decide(place.fips, first))


def test_it_decides_review_in_a_territory_and_with_only_the_federal_baseline() -> None:
    """Build 3: places with no state-level policy at all (Puerto Rico, Guam) and a chain of the baseline alone."""
    for fips in ("72", "72127", "66"):
        for request in (ADMIN_DETAINER, {"kind": "notification", "warrant": "none"}):
            assert _is_no_policy(_decide(fips, date(2025, 6, 1), request)), (fips, request)
    alone = REG.evaluate(Facts.from_dict({"request": ADMIN_DETAINER}), date(2025, 6, 1), ["us-federal"])
    assert _is_no_policy(alone)


# ---- Build 4 and bad input: scenarios by place

def test_it_runs_a_scenario_by_fips_with_the_chain_setup_assigns_and_fails_an_unknown_fips(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", """policy: us-nj
scenarios:
  - name: Newark under the Immigrant Trust Directive
    statute: "N.J. AG Directive 2018-6"
    jurisdiction: "34013"
    as_of: 2025-06-01
    request: {kind: detainer, basis: [biometric_match], form: I-247A, warrant: {type: administrative, form: I-200}}
    expect: {hold: prohibited}
  - name: nowhere
    statute: "none"
    jurisdiction: "34999"
    as_of: 2025-06-01
    request: {kind: detainer}
    expect: {hold: prohibited}
""")
    essex, nowhere = run_file(path, REG, strict=True).results
    assert essex.ok, essex.error or essex.mismatches()
    assert {r["policy"] for r in essex.reasons} >= {"us-federal", "us-nj"}
    assert not nowhere.ok and "unknown FIPS code '34999'" in (nowhere.error or "")


# ---- Build 5: the history as data

def test_it_lists_every_change_of_version_since_a_date_with_place_stances_and_source() -> None:
    """Build 5: `handoff policy changes [--since DATE] [--json]`: one entry per version start in the library."""
    data = json.loads(_policy("changes", "--json"))
    starts = sum(len(d.versions) for d in REG.policies.values())
    assert len([c for c in data["changes"] if c["version_after"] is not None]) == starts
    for c in data["changes"]:
        assert {"policy", "jurisdictions", "date", "stance_before", "stance_after", "source"} <= set(c)
    later = json.loads(_policy("changes", "--since", "2024-01-01", "--json"))["changes"]
    assert later and all(c["date"] >= "2024-01-01" for c in later)
    assert len(later) < len(data["changes"])
    with pytest.raises(CommandError):
        _policy("changes", "--since", "yesterday")


@pytest.mark.django_db
def test_it_shows_the_national_view_as_of_a_date_with_a_table_alternative_and_recent_changes(client: Client) -> None:
    """Build 5: /policies has a map and the same stances as a table, places by stance over time and recent
    changes, for any date; New Jersey before and after its Directive shows the change of side."""
    before = client.get("/policies?as_of=2018-06-01").content.decode()
    after = client.get("/policies?as_of=2020-06-01").content.decode()
    for html in (before, after):
        assert "<svg" in html and "<table" in html and "usa-table" in html
        assert "New Jersey" in html
    nj = re.compile(r"New Jersey.*?</tr>", re.S)
    assert "No law either way" in nj.search(before).group(0)  # type: ignore[union-attr]
    assert "Prohibits holds" in nj.search(after).group(0)  # type: ignore[union-attr]


# ---- Build 6: a library that stays true

def test_it_checks_the_whole_shipped_library_clean_with_no_file_named() -> None:
    """Build 6: `handoff policy check` alone validates every policy and offence table of the library."""
    data = json.loads(_policy("check", "--json"))
    assert data["ok"] is True, [p for f in data["files"] for p in f["problems"]]
    checked = {Path(f["file"]).stem for f in data["files"]}
    assert set(REG.policies) <= checked


def test_it_names_file_and_line_when_the_whole_library_check_finds_a_bad_file(tmp_path: Path) -> None:
    lib = library_with(tmp_path, {"x-bad": re.sub(r'^ *cite: "Test Code 1"\n', "", policy_yaml("x-bad"), flags=re.M)},
                       copy=("us-federal",))
    with pytest.raises(CommandError) as failed:
        _policy("check", "--library", str(lib))
    assert failed.value.returncode == 1
    out = _policy_capture("check", "--library", str(lib), "--json")
    problems = [p for f in json.loads(out)["files"] for p in f["problems"]]
    assert problems and all(p["file"].endswith("x-bad.yaml") and p["line"] > 0 for p in problems), problems


def test_it_lists_sources_not_checked_within_the_days_given(tmp_path: Path) -> None:
    """Build 6: `handoff policy stale --days N` names the old sources and exits 1 so a scheduled job fails."""
    old = policy_yaml("x-old").replace("checked_on: 2026-12-01", "checked_on: 2020-01-01")
    lib = library_with(tmp_path, {"x-old": old}, copy=("us-federal",))
    with pytest.raises(CommandError) as stopped:
        _policy("stale", "--library", str(lib), "--days", "180")
    assert stopped.value.returncode == 1
    data = json.loads(_policy_capture("stale", "--library", str(lib), "--days", "180", "--json"))
    assert [(s["policy"], s["source"], s["checked_on"]) for s in data["stale"]] == [("x-old", "t-act", "2020-01-01")]
    # where to re-check it: the file and the line of the source, which names the same source id
    [found] = data["stale"]
    assert found["file"].endswith("x-old.yaml")
    assert "id: t-act" in Path(found["file"]).read_text().splitlines()[found["line"] - 1]
    assert f"x-old.yaml:{found['line']}" in _policy_capture("stale", "--library", str(lib), "--days", "180")


def _policy_capture(*args: str) -> str:
    """The command's output even when it exits 1 (done, but something was found)."""
    out = StringIO()
    try:
        call_command("policy", *args, stdout=out)
    except CommandError as exc:
        assert exc.returncode == 1, exc
    return out.getvalue()


# ---- Bad input

@pytest.mark.parametrize(("change", "message"), [
    (lambda y: y.replace("stance: prohibition\n    sources", "stance: sideways\n    sources"), "stance"),
    (lambda y: re.sub(r'^ *cite: "Test Code 1"\n', "", y, flags=re.M), "cite"),
    (lambda y: y.replace("    rules:", """    rules: []
  - effective_from: 2021-01-01
    effective_to: null
    stance: neutral
    sources: [t-act]
    source: "Overlapping Act"
    rules:""", 1), "overlap"),
], ids=["unknown-stance", "missing-citation", "overlapping-versions"])
def test_it_refuses_a_bad_policy_file_naming_file_and_line(tmp_path: Path, change: object, message: str) -> None:
    good = policy_yaml("x-bad")
    bad = change(good)  # type: ignore[operator]
    assert bad != good
    path = write(tmp_path / "x-bad.yaml", bad)
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    text = str(refused.value)
    assert re.search(rf"{re.escape(str(path))}:\d+:", text), text
    assert message in text.lower(), text


# ---- Interfaces and "done when"

@pytest.mark.django_db
def test_it_names_a_policy_at_state_level_in_jurisdiction_show_for_every_state_and_dc(reference: None) -> None:
    """Done when: `handoff jurisdiction show FIPS --json` keeps its chain shape, and its state level lists the
    `us-<st>` policy, for each of the 50 states and D.C."""
    for p in STATES:
        out = StringIO()
        call_command("jurisdiction", "show", p.fips, "--json", stdout=out)
        chain = json.loads(out.getvalue())["chain"]
        assert chain[0]["jurisdiction"] == "us" and '"us-federal"' in json.dumps(chain[0]), p.postal
        assert chain[1]["jurisdiction"] == p.fips, p.postal
        assert f'"us-{p.postal.lower()}"' in json.dumps(chain[1]), (p.postal, chain[1])


@pytest.mark.django_db
def test_it_names_a_policy_at_county_level_in_jurisdiction_show_for_the_25_largest_jails(reference: None) -> None:
    for pid, fips_codes in COUNTIES.items():
        for fips in fips_codes:
            out = StringIO()
            call_command("jurisdiction", "show", fips, "--json", stdout=out)
            chain = json.loads(out.getvalue())["chain"]
            assert chain[-1]["jurisdiction"] == fips and f'"{pid}"' in json.dumps(chain[-1]), (pid, fips)


def test_it_shows_versions_with_dates_sources_stances_and_rules_with_cites_for_every_policy() -> None:
    """Interfaces + done when: `handoff policy show ID --json` lists each version (`effective_from`, `source`,
    `stance`) and each rule's `cite`, for every state and local policy: every version and rule dated and cited."""
    for pid, doc in REG.policies.items():
        if doc.level == "federal":
            continue
        shown = json.loads(_policy("show", pid, "--json"))
        assert shown["versions"], pid
        for v in shown["versions"]:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", v["effective_from"]), (pid, v)
            assert v["source"] and v["stance"] in STANCES, (pid, v["effective_from"])
            assert all(r["cite"] for r in v["rules"]), (pid, v["effective_from"])


def test_it_decides_review_for_places_without_a_policy_on_every_state_on_a_sample_of_dates() -> None:
    """Done when: "places without a policy decide review" - and places with one do not fall to no-policy."""
    for p in STATES:
        assert not _is_no_policy(_decide(p.fips, date(2026, 6, 1))), p.postal
        assert _is_no_policy(_decide(p.fips, date(2010, 1, 1))), p.postal  # before any encoded version
