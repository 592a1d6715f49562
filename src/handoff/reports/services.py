"""Helpers the public figures and the statutory reports share: the last change of the law in force and the
reason the law gives for declining a request.

The figures themselves are built in handoff.reports.public (one protected publication for the page, its CSV
and its Parquet file); the filings in handoff.reports.statutory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from handoff.jurisdictions.models import Jurisdiction
from handoff.policy.registry import registry
from handoff.reports.lawmap import last_change

MONTHS = 12


@dataclass(frozen=True)
class LawChange:
    """The latest day on which the law in force for a place changed: a version of one of its policies took
    effect (`ended` False) or stopped being in force with no successor (`ended` True)."""

    on: date
    policy: str
    title: str
    ended: bool = False

    @property
    def short_title(self) -> str:
        """The law's name without the library's description ("Texas SB 4 (2017)")."""
        return self.title.split(" - ", 1)[0].strip() or self.policy


def month_start(d: date | datetime) -> date:
    return date(d.year, d.month, 1)


def last_months(today: date, count: int = MONTHS) -> list[date]:
    y, m = today.year, today.month
    out: list[date] = []
    for _ in range(count):
        out.append(date(y, m, 1))
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return list(reversed(out))


def _month_key(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return month_start(value.astimezone(UTC) if value.tzinfo else value)
    if isinstance(value, date):
        return month_start(value)
    return month_start(datetime.fromisoformat(str(value)))


def _places() -> tuple[list[Jurisdiction], list[Jurisdiction]]:
    """Jurisdictions with a jail, split into public and confidential."""
    places = list(Jurisdiction.objects.filter(facilities__isnull=False).distinct().order_by("name", "fips"))
    return [j for j in places if not j.confidential], [j for j in places if j.confidential]


def _days_since(then: datetime | date | None, now: datetime) -> int | None:
    if then is None:
        return None
    day = then.astimezone(UTC).date() if isinstance(then, datetime) else then
    return max(0, (now.date() - day).days)


def _policy_change(chain_ids: Iterable[str], today: date) -> tuple[LawChange | None, tuple[str, ...]]:
    """The latest day, up to today, on which a version of a policy governing the place took effect or ended
    with no successor, read from `policy.history.changes` (through `reports.lawmap.last_change`): the same
    answer `handoff policy changes` and the national view's "recent changes" give. Versions that start after
    today are not law yet. Returns (that change or None, the chain's policy ids on file)."""
    reg = registry()
    ids = tuple(pid for pid in dict.fromkeys(chain_ids) if pid in reg.policies)
    found = last_change([reg.policies[pid] for pid in ids], ids, today)
    if found is None:
        return None, ids
    return LawChange(found.date, found.policy, found.title, ended=found.version_after is None), ids


class _DeclineReasons:
    """Turns a decision's reasons into the one reason the law gives for declining: the last rule that held
    and set notify to false, else the policy's default (no rule allowed notice), else the composition clamp."""

    def __init__(self) -> None:

        self.reg = registry()
        self._then: dict[tuple[str, str], dict[str, Any]] = {}

    def _rule_then(self, policy: str, rule: str) -> dict[str, Any]:
        key = (policy, rule)
        if key not in self._then:
            found: dict[str, Any] = {}
            pid = policy.split("@", 1)[0]
            doc = self.reg.policies.get(pid)
            if doc is not None:
                for v in doc.versions:
                    for r in v.rules:
                        if r.id == rule:
                            found = dict(r.then)
            self._then[key] = found
        return self._then[key]

    def classify(self, policies: list[str], reasons: list[dict[str, Any]], withdrawn: bool) -> tuple[str, str, str]:
        if withdrawn:
            return "withdrawn", "Request withdrawn by the federal office", ""
        chosen: tuple[str, str, str] | None = None
        for r in reasons:
            if not r.get("holds"):
                continue
            rule = str(r.get("rule", ""))
            policy = str(r.get("policy", ""))
            if rule == "composition" or self._rule_then(policy, rule).get("notify") is False:
                title = self._rule_title(policy, rule) if rule != "composition" else "State law limits local cooperation"
                chosen = (f"{policy.split('@')[0]}:{rule}", title, str(r.get("cite", "")))
        if chosen:
            return chosen
        # the most specific policy whose version in force decides notify by default; a local policy that
        # decides nothing (e.g. one recording only a 287(g) change) does not give the reason
        last = policies[-1].split("@", 1)[0] if policies else "unknown"
        for label in reversed(policies):
            pid, _, start = label.partition("@")
            candidate = self.reg.policies.get(pid)
            version = next((v for v in candidate.versions if v.label == start), None) if candidate else None
            if version is not None and "notify" in version.defaults:
                last = pid
                break
        doc = self.reg.policies.get(last)
        title = f"No rule of {doc.title if doc else last} allows notice in this case"
        cite = ""
        if doc is not None and doc.versions:
            cite = doc.versions[-1].source
        return f"{last}:default", title, cite

    def _rule_title(self, policy: str, rule: str) -> str:
        doc = self.reg.policies.get(policy.split("@", 1)[0])
        if doc is not None:
            for v in doc.versions:
                for r in v.rules:
                    if r.id == rule:
                        return r.title
        return rule
