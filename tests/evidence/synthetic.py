"""Generated releases with a KNOWN re-arrest law: each group has a constant hazard, so the true share
re-arrested within t days is 1 - exp(-rate * t). Used by the known-truth tests and bench/reports.py."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

#: true daily hazards per group (about 39%, 22% and 11% re-arrested within a year)
HAZARDS = {"no_request": 0.5 / 365, "request_declined": 0.25 / 365, "request_notified_released": 0.12 / 365}
START = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730  # releases spread over two years
AS_OF_DAYS = 365 * 5  # followed up to five years after the first release


def truth(group: str, days: int) -> float:
    return float(1.0 - np.exp(-HAZARDS[group] * days))


def frame(n_per_group: int, seed: int = 11) -> pd.DataFrame:
    """One release per person per group plus, for those re-arrested before the as-of date, the new booking
    (in another facility: the frame does not care which)."""
    rng = np.random.default_rng(seed)
    parts = []
    for group, hazard in HAZARDS.items():
        ids = np.array([f"{group}-{i}" for i in range(n_per_group)], dtype=object)
        booked = pd.Timestamp(START) + pd.to_timedelta(rng.uniform(0, SPAN_DAYS, n_per_group) - 30, unit="D")
        stay = pd.to_timedelta(rng.uniform(0.5, 29, n_per_group), unit="D")
        released = booked + stay
        gap = pd.to_timedelta(rng.exponential(1.0 / hazard, n_per_group), unit="D")
        parts.append(pd.DataFrame({"identity": ids, "booked_at": booked, "released_at": released,
                                   "exit": "community", "group": group, "in_scope": True}))
        parts.append(pd.DataFrame({"identity": ids, "booked_at": released + gap, "released_at": pd.NaT,
                                   "exit": "community", "group": "no_request", "in_scope": True}))
    out = pd.concat(parts, ignore_index=True)
    out["released_at"] = pd.to_datetime(out["released_at"], utc=True)
    return out
