"""The public transparency figures: per jurisdiction and month, requests received, notices on time / short /
missed, requests declined by the reason the law gives, and "days since" counters.

Why here and not in the view: the same figures feed the page, its CSV and (later) the annual reports, and all
of them must pass the same disclosure control (handoff.reports.disclosure) and the same confidentiality rule:
a jurisdiction whose cooperation is confidential is never named; such jurisdictions are pooled into one row
only when at least MIN_POOL of them exist, otherwise left out entirely, and no total includes them then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMonth

from handoff.core import clock
from handoff.jurisdictions.models import Jurisdiction
from handoff.jurisdictions.services import chains_for
from handoff.notices.models import DELIVERED_STATUSES, RELEASE_KINDS, Notice, NoticeStatus
from handoff.policy.registry import registry
from handoff.reports.disclosure import DEFAULT_THRESHOLD, ProtectedTable, protect
from handoff.requests.models import ImmigrationRequest, RequestStatus

MIN_POOL = 3
POOL_KEY = "confidential-pool"
POOL_LABEL = "Jurisdictions whose cooperation is confidential (at least 3, pooled)"
MONTHS = 12

MEASURES = (
    ("received", "Requests received"),
    ("on_time", "Notices sent on time (at least the lead time before release)"),
    ("short", "Notices sent short (less than the lead time)"),
    ("missed", "Notices missed (release happened, no notice had gone out)"),
)


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


@dataclass(frozen=True)
class RowInfo:
    key: str
    label: str
    pooled: bool
    members: int
    days_since_missed: int | None
    days_since_policy_change: int | None
    policies: tuple[str, ...]
    last_policy_change: LawChange | None = None


@dataclass
class DeclinedReason:
    key: str
    label: str
    cite: str
    table: ProtectedTable[str, date]


@dataclass
class TransparencyReport:
    generated_at: datetime
    months: list[date]
    rows: list[RowInfo]
    tables: dict[str, ProtectedTable[str, date]]
    declined: list[DeclinedReason]
    threshold: int = DEFAULT_THRESHOLD
    pooled_members: int = 0
    confidential_left_out: bool = False
    days_since_missed_all: int | None = None
    days_since_policy_change_all: int | None = None
    last_policy_change: LawChange | None = None  # over the jurisdictions listed by name
    notes: list[str] = field(default_factory=list)

    def measure_label(self, key: str) -> str:
        return dict(MEASURES).get(key, key)


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
    """The latest day, up to today, on which a version of a policy governing the place took effect or ended.
    Every day the set of versions in force changes is such a day: a version's start (its predecessor, if
    any, ends the same day) or the end of a last version. Versions that start after today are not law yet."""

    reg = registry()
    latest: LawChange | None = None
    ids: list[str] = []
    for pid in chain_ids:
        doc = reg.policies.get(pid)
        if doc is None or pid in ids:
            continue
        ids.append(pid)
        for v in doc.versions:
            for d, ended in ((v.effective_from, False), (v.effective_to, True)):
                if d is None or d > today:
                    continue
                if ended and any(w.effective_from == d for w in doc.versions):
                    continue  # a successor took effect that day: counted as its start
                if latest is None or d > latest.on:
                    latest = LawChange(d, pid, doc.title, ended)
    return latest, tuple(ids)


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
        last = policies[-1].split("@", 1)[0] if policies else "unknown"
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


def build_report(*, now: datetime | None = None, months: int = MONTHS, threshold: int = DEFAULT_THRESHOLD) -> TransparencyReport:

    now = now or clock.now()
    month_list = last_months(now.date(), months)
    start = datetime(month_list[0].year, month_list[0].month, 1, tzinfo=UTC)
    public, confidential = _places()
    pooled = len(confidential) >= MIN_POOL

    row_of: dict[int, str] = {j.pk: j.fips for j in public}
    if pooled:
        row_of.update({j.pk: POOL_KEY for j in confidential})
    row_keys = [j.fips for j in public] + ([POOL_KEY] if pooled else [])
    included = list(row_of)

    counts: dict[str, dict[tuple[str, date], int]] = {k: defaultdict(int) for k, _ in MEASURES}

    received = (
        ImmigrationRequest.objects.filter(received_at__gte=start, received_at__lte=now,
                                          facility__jurisdiction_id__in=included)
        .annotate(month=TruncMonth("received_at"))
        .values("facility__jurisdiction_id", "month")
        .annotate(n=Count("id"))
    )
    rec: dict[str, Any]
    for rrec in received:
        rec = dict(rrec)
        mk = _month_key(rec["month"])
        if mk is not None:
            counts["received"][(row_of[rec["facility__jurisdiction_id"]], mk)] += rec["n"]

    release_notices = Notice.objects.filter(
        kind__in=RELEASE_KINDS, release_at__gte=start, release_at__lte=now,
        request__facility__jurisdiction_id__in=included,
    ).exclude(status=NoticeStatus.CANCELLED, missed=False)
    late = Q(short_notice=True) | Q(kind="release.short_notice")
    grouped = (
        release_notices.annotate(month=TruncMonth("release_at"))
        .values("request__facility__jurisdiction_id", "month")
        .annotate(
            n_missed=Count("id", filter=Q(missed=True)),
            n_short=Count("id", filter=Q(missed=False) & late & Q(status__in=DELIVERED_STATUSES)),
            n_on_time=Count("id", filter=Q(missed=False, status__in=DELIVERED_STATUSES) & ~late),
        )
    )
    for grec in grouped:
        rec = dict(grec)
        mk = _month_key(rec["month"])
        if mk is None:
            continue
        row = row_of[rec["request__facility__jurisdiction_id"]]
        for key in ("missed", "short", "on_time"):
            counts[key][(row, mk)] += rec["n_" + key]

    tables = {key: protect(counts[key], row_keys, month_list, threshold=threshold) for key, _ in MEASURES}

    # declined, by the reason the law gives
    classifier = _DeclineReasons()
    declined_counts: dict[str, dict[tuple[str, date], int]] = defaultdict(lambda: defaultdict(int))
    reason_meta: dict[str, tuple[str, str]] = {}
    declined_rows = (
        ImmigrationRequest.objects.filter(
            received_at__gte=start, received_at__lte=now, facility__jurisdiction_id__in=included,
            current_decision__notify=False, current_decision__review=False,
        )
        .exclude(status=RequestStatus.WITHDRAWN)
        .values("facility__jurisdiction_id", "received_at", "status", "current_decision__policies",
                "current_decision__reasons")
    )
    for drec in declined_rows:
        rec = dict(drec)
        mk = _month_key(rec["received_at"])
        if mk is None:
            continue
        key, label, cite = classifier.classify(
            list(rec["current_decision__policies"] or []), list(rec["current_decision__reasons"] or []),
            rec["status"] == RequestStatus.WITHDRAWN,
        )
        reason_meta[key] = (label, cite)
        declined_counts[key][(row_of[rec["facility__jurisdiction_id"]], mk)] += 1
    declined = [
        DeclinedReason(key, reason_meta[key][0], reason_meta[key][1],
                       protect(declined_counts[key], row_keys, month_list, threshold=threshold))
        for key in sorted(declined_counts, key=lambda k: reason_meta[k][0])
    ]

    # days since
    last_missed = dict(
        Notice.objects.filter(missed=True, request__facility__jurisdiction_id__in=included)
        .values("request__facility__jurisdiction_id")
        .annotate(last=Max("release_at"))
        .values_list("request__facility__jurisdiction_id", "last")
    )
    rows: list[RowInfo] = []
    chains = chains_for(public)
    for j in public:
        changed, ids = _policy_change(chains.get(j.pk, []), now.date())
        rows.append(RowInfo(j.fips, j.name, False, 1, _days_since(last_missed.get(j.pk), now),
                            _days_since(changed.on if changed else None, now), ids, changed))
    law_changes = [r.last_policy_change for r in rows if r.last_policy_change is not None]
    last_change = max(law_changes, key=lambda c: c.on, default=None)
    if pooled:
        pool_last = max((last_missed[j.pk] for j in confidential if last_missed.get(j.pk)), default=None)
        rows.append(RowInfo(POOL_KEY, POOL_LABEL, True, len(confidential), _days_since(pool_last, now), None, ()))
    overall = max((v for v in last_missed.values() if v is not None), default=None)

    report = TransparencyReport(
        generated_at=now, months=month_list, rows=rows, tables=tables, declined=declined, threshold=threshold,
        pooled_members=len(confidential) if pooled else 0,
        confidential_left_out=bool(confidential) and not pooled,
        days_since_missed_all=_days_since(overall, now),
        days_since_policy_change_all=_days_since(last_change.on if last_change else None, now),
        last_policy_change=last_change,
    )
    return report


def report_csv_rows(report: TransparencyReport) -> list[list[str]]:
    """Long format for spreadsheets: one published figure per line; hidden figures are blank with a flag."""
    label = {r.key: r.label for r in report.rows}
    out: list[list[str]] = [["jurisdiction", "month", "measure", "value", "hidden"]]

    def emit(measure: str, table: ProtectedTable[str, date]) -> None:
        for r in table.rows:
            for m in table.cols:
                v = table.cells[(r, m)]
                out.append([label[r], m.strftime("%Y-%m"), measure, "" if v is None else str(v),
                            "yes" if v is None else ""])
            t = table.row_totals[r]
            out.append([label[r], "all", measure, "" if t is None else str(t), "yes" if t is None else ""])
        for m in table.cols:
            t = table.col_totals[m]
            out.append(["all published", m.strftime("%Y-%m"), measure, "" if t is None else str(t),
                        "yes" if t is None else ""])
        out.append(["all published", "all", measure, "" if table.total is None else str(table.total),
                    "yes" if table.total is None else ""])

    for key, _ in MEASURES:
        emit(key, report.tables[key])
    for d in report.declined:
        emit(f"declined: {d.label}", d.table)
    return out
