"""Duties of the law that are not part of the jail's answer to ICE: the written consent form before an ICE
interview (`interview_consent`) and the fields a place's law forbids collecting or keeping
(`collection_limits`). Both are version settings of a policy file, each with its citation, its own effective
date and whether its reading is uncertain; this module checks their shape (for the policy validator) and reads
them along a chain (for the apps that perform the duty: custody's interview records, ingest, the collection
command).

Pure Python: imports nothing of Handoff but core and the registry (policy imports only core).

    interview_consent:                       # the most specific policy in the chain that sets it decides
      rule: consent_form                     # consent_form: written consent first; no_access: no interview
      effective_from: 2017-01-01
      cite: "Cal. Gov. Code 7283.1(a)"
      languages: [en, es, zh, tl, vi, ko]    # the form must be available in these (empty: the law names none)
      uncertain: false
      note: "..."
    collection_limits:                       # every policy in the chain adds its own (state law binds below)
      - field: place_of_birth                # one of core.vocab.COLLECTION_FIELDS
        effective_from: 2021-08-02
        cite: "5 ILCS 805/15(e)"
        uncertain: false                     # uncertain limits are listed for counsel, never enforced alone
        note: "..."
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handoff.core import vocab

INTERVIEW_KEYS = {"rule", "effective_from", "cite", "languages", "uncertain", "note"}
LIMIT_KEYS = {"field", "effective_from", "cite", "uncertain", "note"}


def as_day(value: Any) -> date | None:
    """A YAML date, datetime or ISO string as a date; None for anything else (the caller says what is wrong)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def interview_problems(value: Any) -> list[str]:
    """Why an `interview_consent` setting is malformed (empty: it is well formed)."""
    if not isinstance(value, Mapping):
        return ["must be a mapping with rule, effective_from, cite"]
    out = [f"unknown key {k!r}; allowed: {', '.join(sorted(INTERVIEW_KEYS))}" for k in value if k not in INTERVIEW_KEYS]
    if value.get("rule") not in vocab.INTERVIEW_RULES:
        out.append(f"rule must be one of {', '.join(vocab.INTERVIEW_RULES)}")
    if as_day(value.get("effective_from")) is None:
        out.append("effective_from must be a date (YYYY-MM-DD)")
    if not isinstance(value.get("cite"), str) or not str(value.get("cite")).strip():
        out.append("cite is required")
    if not isinstance(value.get("uncertain", False), bool):
        out.append("uncertain must be true or false")
    languages = value.get("languages", [])
    if not isinstance(languages, list) or not all(isinstance(x, str) and x for x in languages):
        out.append("languages must be a list of language codes (empty: the law names none)")
    return out


def limits_problems(value: Any) -> list[str]:
    """Why a `collection_limits` setting is malformed (empty: it is well formed)."""
    if not isinstance(value, list):
        return ["must be a list of limits (field, effective_from, cite)"]
    out: list[str] = []
    for i, item in enumerate(value):
        where = f"limit {i + 1}"
        if not isinstance(item, Mapping):
            out.append(f"{where} must be a mapping")
            continue
        out += [f"{where}: unknown key {k!r}; allowed: {', '.join(sorted(LIMIT_KEYS))}" for k in item if k not in LIMIT_KEYS]
        if item.get("field") not in vocab.COLLECTION_FIELDS:
            out.append(f"{where}: field must be one of {', '.join(vocab.COLLECTION_FIELDS)}")
        if as_day(item.get("effective_from")) is None:
            out.append(f"{where}: effective_from must be a date (YYYY-MM-DD)")
        if not isinstance(item.get("cite"), str) or not str(item.get("cite")).strip():
            out.append(f"{where}: cite is required")
        if not isinstance(item.get("uncertain", False), bool):
            out.append(f"{where}: uncertain must be true or false")
    return out


@dataclass(frozen=True)
class InterviewRule:
    """What the law of a place says before ICE interviews a person in custody. `rule` "none": no policy in
    the chain names a duty (the federal baseline; nothing is required of the jail by this product)."""

    rule: str
    cite: str = ""
    languages: tuple[str, ...] = ()
    uncertain: bool = False
    note: str = ""
    policy: str = ""
    effective_from: date | None = None

    @property
    def requires_consent(self) -> bool:
        return self.rule == "consent_form"

    @property
    def bars_access(self) -> bool:
        return self.rule == "no_access"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "cite": self.cite, "languages": list(self.languages),
                "uncertain": self.uncertain, "note": self.note, "policy": self.policy,
                "effective_from": self.effective_from.isoformat() if self.effective_from else None}


NO_INTERVIEW_RULE = InterviewRule("none")


@dataclass(frozen=True)
class CollectionLimit:
    field: str
    cite: str
    uncertain: bool
    note: str
    policy: str
    effective_from: date

    @property
    def enforced(self) -> bool:
        """Only a limit the law clearly sets is enforced (ingest drops, purge blanks); an uncertain one is
        listed for counsel (`handoff collection`), never acted on alone."""
        return not self.uncertain

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "cite": self.cite, "uncertain": self.uncertain, "enforced": self.enforced,
                "note": self.note, "policy": self.policy, "effective_from": self.effective_from.isoformat()}


def _versions(chain: Iterable[str], at: date | datetime, reg: Any) -> list[tuple[str, Any]]:
    out = []
    for entry in chain:
        pid = str(entry).partition("@")[0]
        doc = reg.policies.get(pid)
        if doc is None:
            continue
        version = doc.version_at(at)
        if version is not None:
            out.append((f"{pid}@{version.effective_from.isoformat()}", version))
    return out


def _registry(reg: Any) -> Any:
    if reg is not None:
        return reg
    from handoff.policy.registry import registry

    return registry()


def interview_rule(chain: Iterable[str], at: date | datetime, reg: Any = None) -> InterviewRule:
    """The interview rule in force at `at` along a chain (general first): the most specific policy whose
    version in force sets one that has taken effect by `at`."""
    day = at.date() if isinstance(at, datetime) else at
    found = NO_INTERVIEW_RULE
    for policy, version in _versions(chain, at, _registry(reg)):
        value = version.settings.get("interview_consent")
        if not isinstance(value, Mapping) or interview_problems(value):
            continue
        since = as_day(value.get("effective_from"))
        if since is None or since > day:
            continue
        found = InterviewRule(rule=str(value["rule"]), cite=str(value["cite"]),
                              languages=tuple(value.get("languages") or ()), uncertain=bool(value.get("uncertain")),
                              note=str(value.get("note") or ""), policy=policy, effective_from=since)
    return found


def collection_limits(chain: Iterable[str], at: date | datetime, reg: Any = None) -> list[CollectionLimit]:
    """Every collection limit in force at `at` along a chain: a county's own limits add to its state's."""
    day = at.date() if isinstance(at, datetime) else at
    out: list[CollectionLimit] = []
    for policy, version in _versions(chain, at, _registry(reg)):
        value = version.settings.get("collection_limits")
        if not isinstance(value, list) or limits_problems(value):
            continue
        for item in value:
            since = as_day(item.get("effective_from"))
            if since is None or since > day:
                continue
            out.append(CollectionLimit(field=str(item["field"]), cite=str(item["cite"]),
                                       uncertain=bool(item.get("uncertain")), note=str(item.get("note") or ""),
                                       policy=policy, effective_from=since))
    return out


def enforced_fields(limits: Iterable[CollectionLimit]) -> frozenset[str]:
    return frozenset(lim.field for lim in limits if lim.enforced)


#: the duty fields a scenario's `expect` may name (policy.scenarios), beside the decision's outcome fields
DUTY_EXPECT_FIELDS = ("interview_consent", "interview_consent_uncertain", "collection_limits",
                      "collection_limits_uncertain")


def duty_outcome(chain: Iterable[str], at: date | datetime, reg: Any = None) -> dict[str, Any]:
    """The duties in force as a scenario compares them: the interview rule ("none" where no policy names
    one) and whether its reading is uncertain; the enforced collection limits and the uncertain ones (sorted
    field names)."""
    rule = interview_rule(chain, at, reg)
    limits = collection_limits(chain, at, reg)
    return {
        "interview_consent": rule.rule,
        "interview_consent_uncertain": rule.uncertain,
        "collection_limits": sorted({lim.field for lim in limits if lim.enforced}),
        "collection_limits_uncertain": sorted({lim.field for lim in limits if not lim.enforced}),
    }
