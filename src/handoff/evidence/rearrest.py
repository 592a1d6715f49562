"""Re-arrest after release, following the BJS definitions. Pure: a pandas frame in, plain figures out.

The definitions (Bureau of Justice Statistics, "Recidivism of Prisoners Released in 24 States in 2008",
NCJ 256094, see ../shared/data/bjs-recidivism-2008/readme.txt):
- the cohort is releases to the community; people released "to custody, detainer, or warrant" are not in
  it. We count those releases (to ICE, or to another agency's custody) and leave them out, as BJS does;
- the event is an arrest after release. Here: the person's next booking in ANY facility Handoff holds
  (people are the same across jails through linkage's identity key), booked strictly after the release;
- every release in the period is one unit (a person released twice is followed twice, as BJS counts
  release events in its yearly cohorts).

Why a frame and not the ORM: on a million bookings the next-booking search is one sorted `merge_asof`,
not a million queries; the service reads the rows with one SQL statement and hands them here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from handoff.core.errors import InvalidInput
from handoff.evidence.survival import (
    FOLLOW_UP_DAYS,
    KmPoint,
    LogRank,
    kaplan_meier,
    kaplan_meier_curve,
    logrank,
)

#: the request at release, as the issue names the groups, and `historical_hold`: a booking whose only
#: counted request is a jail export's own record of an ICE hold (handoff.evidence.counting), which nobody
#: decided, so it is neither "declined" nor "notified"
GROUPS: tuple[str, ...] = ("no_request", "request_declined", "request_notified_released", "historical_hold")
GROUP_LABELS = {
    "no_request": "No federal request at release",
    "request_declined": "Request declined (no notice, no hold)",
    "request_notified_released": "Request honoured by notice, released to the community",
    "historical_hold": "ICE hold from the jail's own records (no request on file, not decided)",
}
#: how a booking ended: to the community (in the cohort) or to someone's custody (counted, left out)
EXITS: tuple[str, ...] = ("community", "transferred_to_ice", "transferred_other")
COLUMNS = ("identity", "booked_at", "released_at", "exit", "group", "in_scope")
HOUR = np.timedelta64(3_600, "s")


@dataclass(frozen=True)
class GroupResult:
    group: str
    released: int
    rearrested: int
    km: list[KmPoint]
    curve: list[tuple[float, float]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return GROUP_LABELS[self.group]


@dataclass(frozen=True)
class RearrestResult:
    as_of: date
    start: date | None
    end: date | None
    groups: list[GroupResult]
    excluded: dict[str, int]
    logrank: LogRank
    follow_up_days: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """Exactly the issue's JSON shape (no more keys: the log-rank test is in the HTML and CSV)."""
        return {
            "as_of": self.as_of.isoformat(),
            "groups": [{"group": g.group, "released": g.released, "rearrested": g.rearrested,
                        "km": [p.as_dict() for p in g.km]} for g in self.groups],
            "excluded": dict(self.excluded),
        }


def end_of(day: date) -> pd.Timestamp:
    """The instant a date ends (UTC), so `--as-of 2024-12-31` includes everything on the 31st."""
    return pd.Timestamp(datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC))


def start_of(day: date) -> pd.Timestamp:
    return pd.Timestamp(datetime.combine(day, time.min, tzinfo=UTC))


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "identity": pd.Series(dtype=object),
        "booked_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "released_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "exit": pd.Series(dtype=object),
        "group": pd.Series(dtype=object),
        "in_scope": pd.Series(dtype=bool),
    })


def compute(bookings: pd.DataFrame, *, as_of: date, start: date | None = None, end: date | None = None,
            curve: bool = True) -> RearrestResult:
    """Follow every release in [start, end] (by release date, UTC) that happened by `as_of` to the person's
    next booking anywhere, censored at the end of `as_of`.

    Refused (InvalidInput) when `as_of` is before the first release on record: nobody could have been
    followed for a single day. No release at all is not refused: every figure is 0."""
    if start and end and start > end:
        raise InvalidInput(f"--from {start} is after --to {end}", "from")
    cutoff = end_of(as_of)
    released = bookings[bookings["released_at"].notna()]
    scoped = released[released["in_scope"]]
    if len(scoped):
        first = scoped["released_at"].min()
        if first >= cutoff:
            raise InvalidInput(
                f"--as-of {as_of} is before the first release on record ({first.date()}): no release "
                "can have been followed up yet", "as_of")
    window = scoped[scoped["released_at"] < cutoff]
    if start:
        window = window[window["released_at"] >= start_of(start)]
    if end:
        window = window[window["released_at"] < end_of(end)]
    excluded = {"transferred_to_ice": int((window["exit"] == "transferred_to_ice").sum()),
                "transferred_other": int((window["exit"] == "transferred_other").sum())}
    cohort = window[window["exit"] == "community"][["identity", "released_at", "group"]]

    # the next booking of the same identity strictly after the release, among bookings known by as_of
    later = bookings.loc[bookings["booked_at"] < cutoff, ["identity", "booked_at"]].sort_values("booked_at")
    cohort = cohort.sort_values("released_at")
    if len(cohort):
        joined = pd.merge_asof(cohort, later, left_on="released_at", right_on="booked_at", by="identity",
                               direction="forward", allow_exact_matches=False)
    else:
        joined = cohort.assign(booked_at=pd.Series(dtype="datetime64[ns, UTC]"))
    event = joined["booked_at"].notna().to_numpy()
    stop = joined["booked_at"].where(joined["booked_at"].notna(), cutoff)
    # to the hour, never 0 for a re-arrest: a million distinct durations make the estimator sort a million
    # steps; 26,000 hours cover three years and change no estimate at the day scale reported
    hours = np.ceil(((stop - joined["released_at"]).to_numpy() / HOUR).astype(np.float64))
    durations = np.maximum(hours, 1.0) / 24.0
    groups_arr = joined["group"].to_numpy(dtype=str)

    results = []
    longest = float(durations.max()) if len(durations) else 0.0
    for g in GROUPS:
        mask = groups_arr == g
        d, e = durations[mask], event[mask]
        results.append(GroupResult(
            g, int(mask.sum()), int(e.sum()), kaplan_meier(d, e, FOLLOW_UP_DAYS),
            kaplan_meier_curve(d, e, until=max(FOLLOW_UP_DAYS)) if curve else []))
    return RearrestResult(as_of, start, end, results, excluded, logrank(durations, event, groups_arr), longest)
