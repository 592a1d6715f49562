"""The public data set: every figure /transparency, its CSV, its Parquet file and public reports print,
built once, as ONE publication and protected as one (handoff.reports.audit).

Why one publication. The security review showed each channel leaking what another hid (M2: /metrics gave
exact totals the page hid; "declined" gave bounds on a hidden "received"). So every public number is a figure
in the same linear system, the suppression loop hides whatever lets a reader narrow a hidden count below 15,
and the page, the CSV and the Parquet file are only views of the same protected set: a figure hidden in one
is hidden in all, and none prints a number the set does not hold.

What is in it, per row (a named place, or the pool of confidential places) from the first record on:
- requests received, per month (and its year, last-12-months and all-time totals);
- release notices on time, short and missed, per month (same totals);
- requests declined, per year, by the reason the law gives (a named place) or by a neutral category (the
  pool: never a member's policy, rule, reason text or citation; review H3);
- requests by outcome, per year: each request's ONE outcome of the seven (recorded, else derived from the
  record by handoff.evidence.outcomes), historical requests from jail exports included;
- releases after the hold's end (over-detention), per year of release: a person held past the end of the
  hold the law allowed (the I-247A's 48 hours; law review X3). Counts only, under the same suppression;
- re-arrest after release: counts (re-booked within a year), and the evidence report's Kaplan-Meier
  estimates at 365 / 730 / 1,095 days, printed only under the rule of `km_publishable` (they are rates,
  not counts: they are shown only where the counts behind them are large and the page's own counts for
  the group are published, so they cannot give back a hidden count).

Pooling (review M2: pool by contributors, not members): the confidential places are pooled only when at
least MIN_POOL of them have at least one request on record AND the pool holds at least MIN_POOL_CASES
requests; otherwise they are left out of every figure and every total.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMonth

from handoff.core import clock
from handoff.core.errors import InvalidInput
from handoff.evidence import rearrest
from handoff.evidence.counting import counted
from handoff.evidence.outcomes import LABELS as OUTCOME_LABELS
from handoff.evidence.services import release_frame, request_outcomes
from handoff.reports.audit import MIN_WIDTH, THRESHOLD, Publication, Suppression, suppress
from handoff.reports.disclosure import ProtectedTable

MIN_POOL = 3
MIN_POOL_CASES = 11
POOL_KEY = "confidential-pool"
POOL_LABEL = "Jurisdictions whose cooperation is confidential (pooled)"
ALL = "all"
ALL_LABEL = "All published jurisdictions"
LAST12 = "last-12-months"

NOTICE_MEASURES = (
    ("notices_on_time", "Notices sent on time (at least the lead time before release)"),
    ("notices_short", "Notices sent short (less than the lead time)"),
    ("notices_missed", "Notices missed (release happened, no notice had gone out)"),
)
MONTHLY_MEASURES = (("received", "Requests received"), *NOTICE_MEASURES)

#: neutral decline categories: the only decline labels the pooled row ever carries (review H3)
DECLINE_CATEGORIES = {
    "rule": "Declined: a rule of the governing law forbids notice in this case",
    "default": "Declined: no rule of the governing law allows notice in this case",
    "composition": "Declined: state law limits local cooperation",
    "override": "Declined by an authorised override of the computed decision",
}
NOT_RECORDED = "not_recorded"
REARREST_DAYS = 365
REARREST_GROUPS = {
    "no_request": "No immigration request at release",
    "request_declined": "Request declined (no notice given)",
    "request_notified_released": "Notice given, released to the community",
    "historical_hold": "ICE hold known only from the jail's own records (not decided)",
}
OUTCOME_LABELS_EXTRA = {NOT_RECORDED: "No outcome recorded yet"}
OVER_DETAINED = "over_detained"
OVER_DETAINED_LABEL = "Released after the hold's end (over-detention)"


@dataclass(frozen=True)
class PublicRow:
    key: str
    label: str
    fips: str  # 5-digit county FIPS; "" for the pool
    state: str  # two-letter state code; "" for the pool
    state_fips: str
    pooled: bool
    members: int
    days_since_missed: int | None


@dataclass
class PublicData:
    """The protected figures and what is needed to lay them out."""

    generated_at: datetime
    rows: list[PublicRow]
    months: list[date]
    years: list[int]
    pub: Publication
    suppression: Suppression
    labels: dict[tuple[str, str], str]  # (measure, category) -> label
    cites: dict[tuple[str, str], str]
    categories: dict[str, list[str]]  # measure -> category keys (declined: reasons; outcome: kinds)
    row_categories: dict[tuple[str, str], list[str]]  # (measure, row) -> categories present for that row
    threshold: int = THRESHOLD
    min_width: float = MIN_WIDTH
    pooled_members: int = 0
    confidential_left_out: bool = False
    days_since_missed_all: int | None = None
    notes: list[str] = field(default_factory=list)
    #: Kaplan-Meier rows for the page: (group, label, released, [(days, "12.3%", "10.1-14.6%") or None])
    km: list[tuple[str, str, list[tuple[int, str, str] | None]]] = field(default_factory=list)

    # lookup ------------------------------------------------------------------------------------------
    def get(self, measure: str, row: str, period: str, category: str = "") -> int | None:
        """The published value, or None when hidden. KeyError when no such figure exists."""
        i = self.pub.index((measure, row, period, category))
        return None if i in self.suppression.hidden else self.pub.value(i)

    def has(self, measure: str, row: str, period: str, category: str = "") -> bool:
        try:
            self.pub.index((measure, row, period, category))
        except KeyError:
            return False
        return True

    @property
    def last12(self) -> list[date]:
        return self.months[-12:]

    def monthly_table(self, measure: str) -> ProtectedTable[str, date]:
        """The last 12 months of a monthly measure as the page's table (row totals = the 12 months)."""
        keys = [r.key for r in self.rows]
        months = self.last12
        return ProtectedTable(
            rows=tuple(keys), cols=tuple(months),
            cells={(r, m): self.get(measure, r, m.strftime("%Y-%m")) for r in keys for m in months},
            row_totals={r: self.get(measure, r, LAST12) for r in keys},
            col_totals={m: self.get(measure, ALL, m.strftime("%Y-%m")) for m in months},
            total=self.get(measure, ALL, LAST12),
        )

    def rearrest_rows(self) -> list[tuple[str, int | None, int | None, str]]:
        """(group label, released, re-booked within a year, rate) over every year, for the page. A rate is
        printed only when both of its counts are: a rate beside a hidden count would give the count back."""
        out: list[tuple[str, int | None, int | None, str]] = []
        for group, label in REARREST_GROUPS.items():
            if not self.has("released", ALL, ALL, group):
                continue
            released, rebooked = self.get("released", ALL, ALL, group), self.get("rebooked", ALL, ALL, group)
            rate = f"{100 * rebooked / released:.1f}%" if released and rebooked is not None else ""
            out.append((label, released, rebooked, rate))
        return out

    def long_rows(self) -> list[dict[str, Any]]:
        """One line per figure, every figure, hidden ones blank: the CSV and the Parquet file."""
        by_row = {r.key: r for r in self.rows}
        out: list[dict[str, Any]] = []
        for i, fig in enumerate(self.pub.figures):
            if not fig.published:
                continue
            measure, row, period, category = (str(part) for part in fig.key)  # type: ignore[attr-defined]
            info = by_row.get(row)
            hidden = i in self.suppression.hidden
            out.append({
                "jurisdiction": info.label if info else ALL_LABEL,
                "row_key": row,
                "fips": info.fips if info else "",
                "state": info.state if info else "",
                "state_fips": info.state_fips if info else "",
                "pooled": bool(info and info.pooled),
                "period": period,
                "period_type": _period_type(period),
                "measure": measure,
                "category": category,
                "category_label": self.labels.get((measure, category), ""),
                "citation": self.cites.get((measure, category), ""),
                "value": None if hidden else self.pub.value(i),
                "suppressed": hidden,
            })
        return out


def _period_type(period: str) -> str:
    if period == ALL:
        return "all_time"
    if period == LAST12:
        return "last_12_months"
    return "month" if len(period) == 7 else "year"


def _month(value: Any) -> date:
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value
        return date(value.year, value.month, 1)
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    parsed = datetime.fromisoformat(str(value))
    return date(parsed.year, parsed.month, 1)


def _month_range(first: date, last: date) -> list[date]:
    out: list[date] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(date(y, m, 1))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def _days_since(then: datetime | None, now: datetime) -> int | None:
    if then is None:
        return None
    return max(0, (now.date() - then.astimezone(UTC).date()).days)


def _fingerprint(now: datetime, threshold: int) -> str:
    """Changes whenever any input of the public figures can have changed (so a cached set is never stale)."""
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.notices.models import Alarm, Notice, Outcome
    from handoff.requests.models import Decision, ImmigrationRequest

    parts: list[Any] = [now.date().isoformat(), threshold]
    for model in (ImmigrationRequest, Notice, Decision, Outcome, Alarm):  # Alarm: over-detention
        agg = model.objects.aggregate(n=Count("pk"), top=Max("pk"))
        parts += [agg["n"], agg["top"]]
    # queryset.update() does not touch updated_at, so also the columns the figures read
    parts.append(ImmigrationRequest.objects.aggregate(
        u=Max("updated_at"), r=Max("received_at"), d=Max("current_decision_id"),
        w=Count("pk", filter=Q(status="withdrawn")), f=Max("facility_id")))
    parts.append(Notice.objects.aggregate(
        u=Max("updated_at"), m=Count("pk", filter=Q(missed=True)), s=Count("pk", filter=Q(short_notice=True)),
        r=Max("release_at"), sent=Count("sent_at"), c=Count("cancelled_at")))
    parts.append(list(Notice.objects.values("status").annotate(n=Count("pk")).values_list("status", "n")
                      .order_by("status")))
    parts.append(Outcome.objects.aggregate(r=Max("recorded_at"), k=Count("kind", filter=~Q(kind=""))))
    # derived outcomes and re-arrests follow bookings (a release, a new booking anywhere)
    from handoff.custody.models import Booking

    parts.append(Booking.objects.aggregate(n=Count("pk"), top=Max("pk"), u=Max("updated_at"), r=Max("released_at")))
    parts.append(list(Jurisdiction.objects.filter(facilities__isnull=False).distinct()
                      .values_list("pk", "confidential").order_by("pk")))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def public_data(*, now: datetime | None = None, threshold: int = THRESHOLD, use_cache: bool = True) -> PublicData:
    """The protected public figures, computed once per change of the data (the suppression solves LPs)."""
    now = now or clock.now()
    if not use_cache:
        return build_public_data(now=now, threshold=threshold)
    key = "handoff:public-data:" + _fingerprint(now, threshold)
    found = cache.get(key)
    if isinstance(found, PublicData) and found.generated_at.date() == now.date():
        return found
    data = build_public_data(now=now, threshold=threshold)
    cache.set(key, data, 3600)
    return data


def _decline_category(key: str, override: bool) -> str:
    if override:
        return "override"
    if key.endswith(":composition"):
        return "composition"
    if key.endswith(":default"):
        return "default"
    return "rule"


def build_public_data(*, now: datetime | None = None, threshold: int = THRESHOLD) -> PublicData:
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.notices.models import DELIVERED_STATUSES, RELEASE_KINDS, Notice, NoticeStatus
    from handoff.reports.services import _DeclineReasons, over_detentions
    from handoff.requests.models import RequestStatus

    now = now or clock.now()
    places = list(Jurisdiction.objects.filter(facilities__isnull=False).distinct().order_by("name", "fips"))
    public = [j for j in places if not j.confidential]
    confidential = [j for j in places if j.confidential]
    per_place = dict(counted().filter(received_at__lte=now)
                     .values("facility__jurisdiction_id").annotate(n=Count("id"))
                     .values_list("facility__jurisdiction_id", "n"))
    contributors = [j for j in confidential if per_place.get(j.pk, 0) > 0]
    pool_cases = sum(per_place.get(j.pk, 0) for j in confidential)
    pooled = len(contributors) >= MIN_POOL and pool_cases >= MIN_POOL_CASES

    row_of: dict[int, str] = {j.pk: j.fips for j in public}
    if pooled:
        row_of.update({j.pk: POOL_KEY for j in confidential})
    included = list(row_of)

    # --- requests: received, declined, outcome ------------------------------------------------------------
    # every request has exactly one outcome: recorded, else derived (issue 11); none is "not recorded"
    derived = request_outcomes()
    outcome_by_request = dict(zip(derived["id"].astype(int), derived["outcome"], strict=True))
    classifier = _DeclineReasons()
    requests = (
        counted().filter(received_at__lte=now, facility__jurisdiction_id__in=included)
        .values_list("pk", "facility__jurisdiction_id", "received_at", "status", "booking_id",
                     "current_decision__notify", "current_decision__review", "current_decision__policies",
                     "current_decision__reasons", "current_decision__overrides_id")
    )
    received: dict[tuple[str, date], int] = defaultdict(int)
    declined: dict[tuple[str, int, str], int] = defaultdict(int)
    not_declined: dict[tuple[str, int], int] = defaultdict(int)
    outcomes: dict[tuple[str, int, str], int] = defaultdict(int)
    labels: dict[tuple[str, str], str] = {}
    cites: dict[tuple[str, str], str] = {}
    first: date | None = None
    for pk, jid, at, status, _booking_id, notify, review, policies, reasons, overrides in requests.iterator():
        row = row_of[jid]
        month = _month(at)
        first = month if first is None or month < first else first
        received[(row, month)] += 1
        year = month.year
        if notify is False and not review and status != RequestStatus.WITHDRAWN:
            key, label, cite = classifier.classify(list(policies or []), list(reasons or []), False)
            category = _decline_category(key, overrides is not None)
            if row == POOL_KEY:
                key = category  # H3: the pool carries only the neutral category, never the member's law
                labels[("declined", key)] = DECLINE_CATEGORIES[category]
            elif category == "override":
                key = "override"
                labels[("declined", key)] = DECLINE_CATEGORIES["override"]
            else:
                labels[("declined", key)] = label
                if cite:
                    cites[("declined", key)] = cite
            declined[(row, year, key)] += 1
        else:
            not_declined[(row, year)] += 1
        kind = str(outcome_by_request.get(pk) or "still_in_custody")
        outcomes[(row, year, kind)] += 1
        labels[("outcome", kind)] = OUTCOME_LABELS.get(kind, kind)

    # --- release notices ----------------------------------------------------------------------------------
    late = Q(short_notice=True) | Q(kind="release.short_notice")
    notices = (
        Notice.objects.filter(kind__in=RELEASE_KINDS, release_at__lte=now,
                              request__facility__jurisdiction_id__in=included)
        .exclude(status=NoticeStatus.CANCELLED, missed=False)
        .annotate(month=TruncMonth("release_at"))
        .values("request__facility__jurisdiction_id", "month")
        .annotate(
            n_notices_missed=Count("id", filter=Q(missed=True)),
            n_notices_short=Count("id", filter=Q(missed=False) & late & Q(status__in=DELIVERED_STATUSES)),
            n_notices_on_time=Count("id", filter=Q(missed=False, status__in=DELIVERED_STATUSES) & ~late),
        )
    )
    notice_counts: dict[tuple[str, str, date], int] = defaultdict(int)
    for rec in notices:
        if rec["month"] is None:
            continue
        month = _month(rec["month"])
        first = month if first is None or month < first else first
        row = row_of[rec["request__facility__jurisdiction_id"]]
        for measure, _ in NOTICE_MEASURES:
            notice_counts[(measure, row, month)] += rec["n_" + measure]

    last_missed = dict(
        Notice.objects.filter(kind__in=RELEASE_KINDS, missed=True, release_at__lte=now,
                              request__facility__jurisdiction_id__in=included)
        .values("request__facility__jurisdiction_id").annotate(last=Max("release_at"))
        .values_list("request__facility__jurisdiction_id", "last")
    )

    this_month = _month(now)
    twelve_back = date(this_month.year - (1 if this_month.month < 12 else 0), this_month.month % 12 + 1, 1)
    start = min(first, twelve_back) if first else twelve_back
    months = _month_range(start, this_month)  # back to the first record, and never fewer than 12 months
    years = sorted({m.year for m in months})
    row_keys = [j.fips for j in public] + ([POOL_KEY] if pooled else [])
    state_postal = {j.pk: j.postal for j in places}

    # --- the publication ----------------------------------------------------------------------------------
    pub = Publication()
    last12 = set(months[-12:])

    def monthly(measure: str, counts: dict[tuple[str, date], int]) -> None:
        for r in row_keys:
            for m in months:
                pub.atom((measure, r, m), counts.get((r, m), 0))
        for r in [*row_keys, ALL]:
            rows = row_keys if r == ALL else [r]
            for m in months:
                pub.figure((measure, r, m.strftime("%Y-%m"), ""), [pub.atom((measure, x, m)) for x in rows])
            for y in years:
                pub.figure((measure, r, str(y), ""),
                           [pub.atom((measure, x, m)) for x in rows for m in months if m.year == y])
            pub.figure((measure, r, LAST12, ""), [pub.atom((measure, x, m)) for x in rows for m in last12])
            pub.figure((measure, r, ALL, ""), [pub.atom((measure, x, m)) for x in rows for m in months])

    monthly("received", received)
    for measure, _ in NOTICE_MEASURES:
        monthly(measure, {(r, m): v for (meas, r, m), v in notice_counts.items() if meas == measure})

    decline_keys: dict[str, list[str]] = defaultdict(list)
    for (r, _y, k) in declined:
        if k not in decline_keys[r]:
            decline_keys[r].append(k)
    for r in decline_keys:
        decline_keys[r].sort(key=lambda k: labels[("declined", k)])
    order = list(OUTCOME_LABELS)
    outcome_keys = sorted({k for (_r, _y, k) in outcomes}, key=lambda k: order.index(k) if k in order else 99)
    for r in row_keys:
        for y in years:
            dec_atoms = [pub.atom(("declined", r, y, k), declined.get((r, y, k), 0)) for k in decline_keys[r]]
            rest = pub.atom(("not_declined", r, y), not_declined.get((r, y), 0))
            out_atoms = [pub.atom(("outcome", r, y, k), outcomes.get((r, y, k), 0)) for k in outcome_keys]
            rec_atoms = [pub.atom(("received", r, m)) for m in months if m.year == y]
            pub.link(rec_atoms, [*dec_atoms, rest])
            if out_atoms:
                pub.link(rec_atoms, out_atoms)
            for k, a in zip(decline_keys[r], dec_atoms, strict=True):
                pub.figure(("declined", r, str(y), k), [a])
            pub.figure(("declined", r, str(y), ""), dec_atoms)
            pub.figure(("not_declined", r, str(y), ""), [rest], published=False)
            for k, a in zip(outcome_keys, out_atoms, strict=True):
                pub.figure(("outcome", r, str(y), k), [a])
    for y in years:
        pub.figure(("declined", ALL, str(y), ""),
                   [pub.atom(("declined", r, y, k)) for r in row_keys for k in decline_keys[r]])
        for k in outcome_keys:
            pub.figure(("outcome", ALL, str(y), k), [pub.atom(("outcome", r, y, k)) for r in row_keys])

    # over-detention: one per booking released after its hold's end, by the (UTC) year of the release
    over: dict[tuple[str, int], int] = defaultdict(int)
    for o in over_detentions(released_to=now):
        if o.jurisdiction_id in row_of and o.released_at.year in years:
            over[(row_of[o.jurisdiction_id], o.released_at.year)] += 1
    labels[(OVER_DETAINED, "")] = OVER_DETAINED_LABEL
    for r in row_keys:
        for y in years:
            pub.figure((OVER_DETAINED, r, str(y), ""), [pub.atom((OVER_DETAINED, r, y), over.get((r, y), 0))])
    for y in years:
        pub.figure((OVER_DETAINED, ALL, str(y), ""), [pub.atom((OVER_DETAINED, r, y)) for r in row_keys])

    # "days since the last missed notice" counters are published facts: that month had at least one miss
    last_missed_by_row: dict[str, datetime] = {}
    for jid, when in last_missed.items():
        if when is None:
            continue
        r = row_of[jid]
        if r not in last_missed_by_row or when > last_missed_by_row[r]:
            last_missed_by_row[r] = when
    for r, when in last_missed_by_row.items():
        pub.floor([pub.atom(("notices_missed", r, _month(when)))], 1)
    overall = max(last_missed_by_row.values(), default=None)
    if overall is not None:
        pub.floor([pub.atom(("notices_missed", r, _month(overall))) for r in row_keys], 1)

    frame = _release_frame(included)
    _rearrest_unit(pub, now, frame, labels)
    suppression = suppress(pub, threshold=threshold)

    rows: list[PublicRow] = [
        PublicRow(j.fips, j.name, j.fips, state_postal.get(j.pk, ""), j.fips[:2], False, 1,
                  _days_since(last_missed_by_row.get(j.fips), now))
        for j in public
    ]
    if pooled:
        rows.append(PublicRow(POOL_KEY, POOL_LABEL, "", "", "", True, len(confidential),
                              _days_since(last_missed_by_row.get(POOL_KEY), now)))
    categories = {"declined": sorted({k for ks in decline_keys.values() for k in ks}), "outcome": outcome_keys,
                  OVER_DETAINED: [""]}
    km = _rearrest_km(now, frame, pub, suppression, threshold)
    return PublicData(
        generated_at=now, rows=rows, months=months, years=years, pub=pub, suppression=suppression,
        labels=labels, cites=cites, categories=categories,
        row_categories={("declined", r): list(decline_keys[r]) for r in row_keys},
        threshold=threshold, pooled_members=len(confidential) if pooled else 0,
        confidential_left_out=bool(confidential) and not pooled,
        days_since_missed_all=_days_since(overall, now), km=km,
    )


def km_publishable(released: int, rearrested: int, page_counts_published: bool, threshold: int = THRESHOLD) -> bool:
    """Whether a group's Kaplan-Meier estimates may be printed. Why this rule: an estimate is a rate, and a rate
    beside a known total gives back a count. So a group's estimates are printed only when (1) the page's own
    counts for the group (released, re-booked, all years) are published, so the group is not one the
    suppression had to hide, and (2) the cohort behind the estimates has more than `threshold` re-arrests and
    more than `threshold` people not re-arrested, so no estimate rests on a count from 1 to the threshold.
    The estimates are not figures of the linear-program audit (they are not sums of counts); the cohort's
    own counts are never printed."""
    return page_counts_published and rearrested > threshold and released - rearrested > threshold


def _rearrest_km(now: datetime, frame: Any, pub: Publication, suppression: Suppression,
                 threshold: int) -> list[tuple[str, str, list[tuple[int, str, str] | None]]]:
    """The evidence report's Kaplan-Meier estimates (handoff report rearrest) over the published places,
    censored at today, under `km_publishable`."""
    try:
        result = rearrest.compute(frame, as_of=now.date(), curve=False)
    except InvalidInput:  # no release followed for a day yet
        return []
    out: list[tuple[str, str, list[tuple[int, str, str] | None]]] = []
    for g in result.groups:
        published = True
        for measure in ("released", "rebooked"):
            try:
                i = pub.index((measure, ALL, ALL, g.group))
            except KeyError:
                published = False
                continue
            published = published and i not in suppression.hidden
        if not g.released:
            continue
        points: list[tuple[int, str, str] | None] = []
        ok = km_publishable(g.released, g.rearrested, published, threshold)
        for p in g.km:
            if not ok or p.rearrest_rate is None:
                points.append(None)
                continue
            ci = f"{100 * p.ci_low:.1f}-{100 * p.ci_high:.1f}%" if p.ci_low is not None and p.ci_high is not None else ""
            points.append((int(p.days), f"{100 * p.rearrest_rate:.1f}%", ci))
        out.append((g.group, REARREST_GROUPS.get(g.group, g.label), points))
    return out


def _release_frame(included: list[int]) -> Any:
    """The evidence report's frame (handoff.evidence.services.release_frame: every booking, how it ended, the
    group of the request at its release by the one counting rule), scoped to the published places."""
    from handoff.jurisdictions.models import Facility

    return release_frame(list(Facility.objects.filter(jurisdiction_id__in=included).values_list("pk", flat=True)))


def _rearrest_unit(pub: Publication, now: datetime, frame: Any, labels: dict[tuple[str, str], str]) -> None:
    """Re-booking within a year of release to the community, over every published place together.

    Following the BJS definitions: the cohort is releases to the community (transfers to ICE or to
    another agency are left out), the event is the person's next booking in any facility Handoff holds, and
    only releases at least REARREST_DAYS before today count, so every one has had its full year (a plain
    proportion, no censoring). People are followed across counties through the linkage layer's identities.
    Grouped by the request at release. The frame, its groups and its identities are the evidence report's
    (`handoff report rearrest`), so the page and the report put every release in the same group; the
    Kaplan-Meier estimates with confidence intervals are the report's; the page publishes counts, which the
    disclosure control can protect, and a rate only where both its counts are published."""
    import pandas as pd

    cutoff = pd.Timestamp(now - timedelta(days=REARREST_DAYS))
    if cutoff.tzinfo is None:
        cutoff = cutoff.tz_localize("UTC")
    released = frame[frame["released_at"].notna()]
    cohort = released[released["in_scope"].astype(bool) & (released["exit"] == "community")
                      & (released["released_at"] <= cutoff)][["identity", "released_at", "group"]]
    later = frame[["identity", "booked_at"]].dropna().sort_values("booked_at")
    cohort = cohort.sort_values("released_at")
    counts: dict[tuple[str, int, bool], int] = defaultdict(int)
    if len(cohort):
        joined = pd.merge_asof(cohort, later, left_on="released_at", right_on="booked_at", by="identity",
                               direction="forward", allow_exact_matches=False)
        again = (joined["booked_at"].notna()
                 & (joined["booked_at"] <= joined["released_at"] + pd.Timedelta(days=REARREST_DAYS)))
        years = joined["released_at"].dt.year
        for (group, year, flag), n in pd.DataFrame({"g": joined["group"], "y": years, "f": again}) \
                .value_counts().items():
            counts[(str(group), int(year), bool(flag))] += int(n)
    years_seen = sorted({y for _, y, _ in counts})
    for group, label in REARREST_GROUPS.items():
        labels[("released", group)] = label
        labels[("rebooked", group)] = label
        for y in years_seen:
            yes = pub.atom(("rebooked", group, y, True), counts.get((group, y, True), 0))
            no = pub.atom(("rebooked", group, y, False), counts.get((group, y, False), 0))
            pub.figure(("released", ALL, str(y), group), [yes, no])
            pub.figure(("rebooked", ALL, str(y), group), [yes])
        if years_seen:
            pub.figure(("released", ALL, ALL, group),
                       [pub.atom(("rebooked", group, y, flag)) for y in years_seen for flag in (True, False)])
            pub.figure(("rebooked", ALL, ALL, group), [pub.atom(("rebooked", group, y, True)) for y in years_seen])


def figure_values(data: PublicData) -> dict[tuple[str, str, str, str], int | None]:
    """Every published figure by key (hidden ones None): what the attacker test compares channels against."""
    return {fig.key: data.get(*fig.key) for fig in data.pub.figures if fig.published}  # type: ignore[misc]


def row_labels(data: PublicData) -> dict[str, str]:
    return {r.key: r.label for r in data.rows} | {ALL: ALL_LABEL}


def iter_years_table(data: PublicData, measure: str) -> Iterable[tuple[PublicRow | None, str, str, str,
                                                                       list[int | None]]]:
    """Rows of a per-year table: (row, category, label, citation, values by year)."""
    years = [str(y) for y in data.years]
    for r in data.rows:
        cats = data.row_categories.get((measure, r.key), data.categories.get(measure, []))
        for k in cats:
            if data.has(measure, r.key, years[0], k):
                yield (r, k, data.labels.get((measure, k), k), data.cites.get((measure, k), ""),
                       [data.get(measure, r.key, y, k) for y in years])
