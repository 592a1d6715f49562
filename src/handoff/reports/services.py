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


# --- over-detention ------------------------------------------------------------------------------------------
#: the alarm kind casework.alarms raises when a release is recorded after the hold's end
OVER_DETENTION = "hold.over_detention"


@dataclass(frozen=True)
class OverDetention:
    """One release recorded after the end of the hold the law allowed (law review X3; issue 9 item 2): a person
    held past `hold_until` (the I-247A's 48 hours). One per booking: the earliest hold end any of its requests
    had, since that is the one the jail overran first."""

    booking_id: int
    facility_id: int
    jurisdiction_id: int
    timezone: str
    released_at: datetime
    hold_until: datetime
    booking_number: str = ""
    request_id: str = ""  # the request whose hold ended first

    @property
    def hours_over(self) -> float:
        return round((self.released_at - self.hold_until).total_seconds() / 3600, 1)


def over_detentions(*, facility_ids: Iterable[int] | None = None, request_ids: Any = None,
                    released_from: datetime | None = None, released_to: datetime | None = None) -> list[OverDetention]:
    """Every booking released after its hold's end, by the over-detention alarms, oldest release first.

    Why from the alarms: the alarm is raised when the release is recorded, against the decision the hold ran
    under (a later decision must not rewrite it). A release time corrected to before the hold's end is no
    longer counted: the booking's current release time is compared again. `request_ids` (a queryset of
    request pks) limits them to what a reader may see."""
    from handoff.notices.models import Alarm

    qs = Alarm.objects.filter(kind=OVER_DETENTION, booking__isnull=False, booking__released_at__isnull=False)
    if facility_ids is not None:
        qs = qs.filter(booking__facility_id__in=list(facility_ids))
    if request_ids is not None:
        qs = qs.filter(request_id__in=request_ids)
    if released_from is not None:
        qs = qs.filter(booking__released_at__gte=released_from)
    if released_to is not None:
        qs = qs.filter(booking__released_at__lt=released_to)
    rows = qs.values_list("booking_id", "booking__facility_id", "booking__facility__jurisdiction_id",
                          "booking__facility__timezone", "booking__released_at", "about_at",
                          "booking__booking_number", "request__request_id")
    earliest: dict[int, OverDetention] = {}
    for booking_id, facility_id, jurisdiction_id, tz, released_at, about_at, number, rid in rows:
        if released_at is None or released_at <= about_at:
            continue  # the release time was corrected: not over the hold any more
        seen = earliest.get(booking_id)
        if seen is None or about_at < seen.hold_until:
            earliest[booking_id] = OverDetention(booking_id, facility_id, jurisdiction_id, tz, released_at, about_at,
                                                 number, rid)
    return sorted(earliest.values(), key=lambda o: (o.released_at, o.booking_id))
