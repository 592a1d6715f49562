"""Scenario files (INTERFACES.md "Policy scenarios"): the law's expected answers, run against the engine.

Why scenarios are data, not pytest code: counsel can read and write them, `handoff policy test` runs them
anywhere, and the test suite runs every file in tests/scenarios/ so a policy change that breaks an expected
answer fails CI.

A file:
    policy: us-ca                  # shipped policy id
    chain: [us-federal, us-ca]     # optional, default [us-federal, <policy>]; a scenario may override it
    jurisdiction: "06037"          # optional instead of `chain`: the chain `handoff setup` gives a jail in
                                   # that place (policy.chain.chain_at); a scenario may name its own too
    scenarios:
      - name: ...
        statute: "Cal. Gov. Code 7282.5(a)(1)"    # the provision checked (required with strict=True)
        as_of: 2025-06-01                          # a date, or a date-time with offset
        request / booking / charges / convictions / registrant / federal / person: facts (see facts.py)
        expect: {notify: true, hold: prohibited, ...}
                  # or duties (policy.duties): interview_consent: consent_form | no_access | none,
                  # interview_consent_uncertain, collection_limits: [place_of_birth], collection_limits_uncertain

Public surface: `run_file(path, registry, strict=False) -> FileResult`, `ScenarioResult`, `ScenarioFileError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from handoff.core.vocab import COLLECTION_FIELDS, INTERVIEW_RULES
from handoff.policy import duties
from handoff.policy.chain import UnknownPlace, chain_at
from handoff.policy.documents import Problem, YList, YMap, read_yaml
from handoff.policy.engine import Registry, UnknownPolicy
from handoff.policy.facts import CALENDARS, HOLD_VALUES, TRANSFER_VALUES, Facts, FactsError
from handoff.policy.registry import chain_for_policy

EXPECT_FIELDS: dict[str, Any] = {
    "notify": bool,
    "hold": HOLD_VALUES,
    "transfer": TRANSFER_VALUES,
    "individual_notice": bool,
    "attorney_notice": bool,
    "lead_time_hours": int,
    "review": bool,
    "calendar": CALENDARS,
    "answer_declined": bool,
    # duties beside the answer (policy.duties): the interview consent rule and the collection limits
    "interview_consent": ("none", *INTERVIEW_RULES),
    "interview_consent_uncertain": bool,
    "collection_limits": list,
    "collection_limits_uncertain": list,
}
FACT_KEYS = ("request", "booking", "charges", "convictions", "registrant", "federal", "person", "request_id")
SCENARIO_KEYS = {"name", "as_of", "chain", "jurisdiction", "statute", "expect", "note", "notes", *FACT_KEYS}
FILE_KEYS = {"policy", "chain", "jurisdiction", "scenarios", "notes"}


class ScenarioFileError(ValueError):
    """The file cannot be run at all (exit 2): unreadable, not a scenario file, or an unknown policy."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ScenarioResult:
    name: str
    ok: bool
    expected: dict[str, Any]
    actual: dict[str, Any]
    reasons: list[dict[str, Any]]
    file: str = ""
    line: int = 0
    statute: str = ""
    error: str = ""

    def mismatches(self) -> list[str]:
        return [k for k, v in self.expected.items() if self.actual.get(k) != v]

    def to_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "ok": self.ok,
            "expected": self.expected,
            "actual": self.actual,
            "reasons": self.reasons,
            "file": self.file,
            "line": self.line,
            "statute": self.statute,
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class FileResult:
    file: str
    policy: str
    results: list[ScenarioResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.results)


def _as_of(value: Any) -> date | datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if "T" not in value and " " not in value:
            return parsed.date()
        return parsed if parsed.tzinfo is not None else None
    return None


def run_file(path: str | Path, registry: Registry, strict: bool = False) -> FileResult:
    """Run every scenario of one file. Raises ScenarioFileError when the file as a whole is unusable.

    strict: a scenario without `statute:` fails (shipped scenario files must name what they check).
    """
    file = str(path)
    data, problems = read_yaml(path)
    if data is None or problems:
        raise ScenarioFileError(problems or [Problem(file, 1, "not a scenario file")])
    if not isinstance(data, YMap) or not isinstance(data.get("scenarios"), YList):
        raise ScenarioFileError([Problem(file, 1, "a scenario file is a mapping with `policy:` and a `scenarios:` list")])
    for key in data:
        if key not in FILE_KEYS:
            problems.append(Problem(file, data.key_lines[key], f"unknown key '{key}'; allowed: {', '.join(sorted(FILE_KEYS))}"))
    policy = data.get("policy")
    if not isinstance(policy, str) or policy not in registry.policies:
        known = ", ".join(sorted(registry.policies))
        problems.append(Problem(file, data.key_lines.get("policy", 1), f"policy {policy!r} is not a known policy ({known})"))
    file_chain = data.get("chain")
    if "jurisdiction" in data:
        if "chain" in data:
            problems.append(Problem(file, data.key_lines["jurisdiction"], "name either `chain` or `jurisdiction`, not both"))
        else:
            file_chain, problem = _place_chain(data["jurisdiction"], registry)
            if problem:
                problems.append(Problem(file, data.key_lines["jurisdiction"], problem))
    if problems:
        raise ScenarioFileError(problems)
    assert isinstance(policy, str)
    default_chain = list(file_chain) if isinstance(file_chain, list) else chain_for_policy(policy, registry)
    out = FileResult(file=file, policy=policy)
    scenarios: YList = data["scenarios"]
    for i, raw in enumerate(scenarios):
        line = scenarios.item_lines[i]
        out.results.append(_run_one(raw, file, line, i, default_chain, registry, strict))
    return out


def _run_one(raw: Any, file: str, line: int, index: int, default_chain: list[str], registry: Registry, strict: bool) -> ScenarioResult:
    name = raw.get("name") if isinstance(raw, dict) else None
    name = name if isinstance(name, str) and name else f"scenario {index + 1}"

    def fail(message: str, at: int = line) -> ScenarioResult:
        return ScenarioResult(name, False, {}, {}, [], file, at, "", f"{file}:{at}: {message}")

    if not isinstance(raw, YMap):
        return fail("a scenario must be a mapping")
    for key in raw:
        if key not in SCENARIO_KEYS:
            return fail(f"unknown key '{key}'; allowed: {', '.join(sorted(SCENARIO_KEYS))}", raw.key_lines[key])
    statute = raw.get("statute") or ""
    if strict and not (isinstance(statute, str) and statute.strip()):
        return fail("no `statute:` naming the provision this scenario checks")
    at = _as_of(raw.get("as_of"))
    if at is None:
        return fail("`as_of` must be a date (YYYY-MM-DD) or a date-time with an offset", raw.key_lines.get("as_of", line))
    expect_raw = raw.get("expect")
    if not isinstance(expect_raw, YMap) or not expect_raw:
        return fail("`expect` must name at least one outcome field", raw.key_lines.get("expect", line))
    expected: dict[str, Any] = {}
    for key, value in expect_raw.items():
        kind = EXPECT_FIELDS.get(key)
        kl = expect_raw.key_lines[key]
        if kind is None:
            return fail(f"unknown expect field '{key}'; allowed: {', '.join(EXPECT_FIELDS)}", kl)
        if kind is bool and not isinstance(value, bool):
            return fail(f"expect.{key} must be true or false", kl)
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            return fail(f"expect.{key} must be a whole number", kl)
        if isinstance(kind, tuple) and value not in kind:
            return fail(f"expect.{key} must be one of {', '.join(kind)}", kl)
        if kind is list:
            if not isinstance(value, list) or not all(v in COLLECTION_FIELDS for v in value):
                return fail(f"expect.{key} must be a list of {', '.join(COLLECTION_FIELDS)}", kl)
            value = sorted(value)
        expected[key] = value
    chain = raw.get("chain", default_chain)
    if "jurisdiction" in raw:
        if "chain" in raw:
            return fail("name either `chain` or `jurisdiction`, not both", raw.key_lines["jurisdiction"])
        place_chain, problem = _place_chain(raw["jurisdiction"], registry)
        if problem or place_chain is None:
            return fail(problem, raw.key_lines["jurisdiction"])
        chain = place_chain
    if not isinstance(chain, list) or not all(isinstance(c, str) for c in chain) or not chain:
        return fail("`chain` must be a list of policy ids", raw.key_lines.get("chain", line))
    try:
        facts = Facts.from_dict({k: _plain(raw[k]) for k in FACT_KEYS if k in raw})
    except FactsError as exc:
        top = exc.path.split(".")[0].split("[")[0]
        return fail(f"bad fact {exc}", raw.key_lines.get(top, line))
    try:
        decision = registry.evaluate(facts, at, chain)
    except UnknownPolicy as exc:
        return fail(str(exc), raw.key_lines.get("chain", line))
    actual = decision.outcome()
    if any(k in duties.DUTY_EXPECT_FIELDS for k in expected):
        actual.update(duties.duty_outcome(chain, at, registry))
    ok = all(actual.get(k) == v for k, v in expected.items())
    return ScenarioResult(
        name=name,
        ok=ok,
        expected=expected,
        actual=actual,
        reasons=[r.to_dict() for r in decision.reasons],
        file=file,
        line=line,
        statute=statute if isinstance(statute, str) else str(statute),
    )


def _place_chain(value: Any, registry: Registry) -> tuple[list[str] | None, str]:
    """(the chain a jail in that place gets, "") or (None, why not)."""
    if not isinstance(value, str) or not value.strip():
        return None, (f"`jurisdiction` must be a FIPS code in quotes, e.g. \"06037\" (YAML reads {value!r} "
                      "as a number, which loses leading zeros)")
    try:
        return chain_at(value.strip(), registry.policies), ""
    except UnknownPlace as exc:
        return None, str(exc)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
