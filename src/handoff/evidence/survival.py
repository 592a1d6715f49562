"""Time to re-arrest: Kaplan-Meier estimates and the log-rank test, from lifelines. Pure: no Django.

Why Kaplan-Meier and not "share re-arrested": people released last month have had one month to be
re-arrested, people released three years ago three years. A raw share mixes the two and understates the
rate for recent releases. Kaplan-Meier treats everyone not (yet) re-arrested on the as-of date as censored
there, so each release counts for exactly the time it has been followed; the BJS recidivism studies fix
the follow-up instead (every release followed 3, 5 or 10 years), which a live system cannot do.

Why lifelines: it is the maintained Python implementation, and its confidence intervals (exponential
Greenwood, "log(-log)") stay inside [0, 1], which the plain Greenwood interval does not at small counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: the follow-up points BJS reports (1, 2 and 3 years after release)
FOLLOW_UP_DAYS: tuple[int, ...] = (365, 730, 1095)
ALPHA = 0.05  # 95% intervals

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class KmPoint:
    """The estimated share re-arrested within `days` of release, and its 95% interval. All three are None
    when nobody in the group has been followed that long (and not everyone was re-arrested before): the
    estimate would be an extrapolation."""

    days: int
    rearrest_rate: float | None
    ci_low: float | None
    ci_high: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return {"days": self.days, "rearrest_rate": self.rearrest_rate, "ci_low": self.ci_low,
                "ci_high": self.ci_high}


@dataclass(frozen=True)
class LogRank:
    """The log-rank test that the groups' re-arrest curves are the same."""

    groups: tuple[str, ...]
    statistic: float | None
    degrees_of_freedom: int
    p_value: float | None


def _round(v: float) -> float:
    return round(float(v), 4)


def kaplan_meier(durations: FloatArray, events: BoolArray,
                 at: Sequence[int] = FOLLOW_UP_DAYS) -> list[KmPoint]:
    """Re-arrest rate (1 - survival) at each of `at` days, with its 95% confidence interval.

    `durations`: days from release to re-arrest (event) or to the as-of date (censored); `events`: True when
    the person was re-arrested. An empty group gives a None point at every day, not an error."""
    if len(durations) == 0:
        return [KmPoint(int(d), None, None, None) for d in at]
    from lifelines import KaplanMeierFitter

    longest = float(np.max(durations))
    kmf = KaplanMeierFitter(alpha=ALPHA)
    kmf.fit(durations, event_observed=events, timeline=[float(d) for d in at])
    surv = kmf.survival_function_.iloc[:, 0].to_numpy()
    ci = kmf.confidence_interval_survival_function_
    lower, upper = ci.iloc[:, 0].to_numpy(), ci.iloc[:, 1].to_numpy()
    points = []
    for i, d in enumerate(at):
        if d > longest and surv[i] > 0:  # past the last follow-up, unless everyone was re-arrested by then
            points.append(KmPoint(int(d), None, None, None))
            continue
        s, lo, hi = surv[i], lower[i], upper[i]
        low = 0.0 if np.isnan(hi) else 1.0 - hi
        high = 1.0 if np.isnan(lo) else 1.0 - lo
        points.append(KmPoint(int(d), _round(1.0 - s), _round(low), _round(high)))
    return points


def kaplan_meier_curve(durations: FloatArray, events: BoolArray, *, until: float) -> list[tuple[float, float]]:
    """The estimated re-arrest curve as (day, rate) steps up to `until`, for the chart. Computed with numpy
    on the distinct event times (the same estimator lifelines uses) so a chart of a million releases stays
    cheap; at most a few hundred steps are kept."""
    if len(durations) == 0:
        return [(0.0, 0.0)]
    order = np.argsort(durations, kind="stable")
    d, e = durations[order], events[order]
    times, first = np.unique(d, return_index=True)
    at_risk = len(d) - first
    deaths = np.add.reduceat(e.astype(np.int64), first)
    surv = np.cumprod(1.0 - deaths / at_risk)
    keep = (deaths > 0) & (times <= until)
    t, s = times[keep], surv[keep]
    if len(t) > 400:
        idx = np.linspace(0, len(t) - 1, 400).astype(int)
        t, s = t[idx], s[idx]
    return [(0.0, 0.0), *((float(a), float(1.0 - b)) for a, b in zip(t, s, strict=True))]


def logrank(durations: FloatArray, events: BoolArray, groups: npt.NDArray[np.str_]) -> LogRank:
    """The multivariate log-rank test across the groups present. Fewer than two non-empty groups, or no
    re-arrest at all, leaves nothing to test: statistic and p-value are None."""
    names = tuple(sorted({str(g) for g in groups}))
    if len(names) < 2 or not bool(np.any(events)):
        return LogRank(names, None, max(0, len(names) - 1), None)
    from lifelines.statistics import multivariate_logrank_test

    res = multivariate_logrank_test(durations, groups, events)
    return LogRank(names, _round(res.test_statistic), int(res.degrees_of_freedom), float(res.p_value))
