"""Benchmark: disclosure control of the public figures, the linear-program suppression against the old
table-by-table suppression (handoff.reports.disclosure.protect) on the same generated publications. Prints
one JSON object.

    uv run python bench/disclosure.py                       # 40 places x 36 months, 20 publications
    uv run python bench/disclosure.py --places 10 --months 12 --runs 5      # a quick look

Each publication is shaped like /transparency's: per place and month, requests received and release notices
missed; per place and year, requests declined (part of received: the link of review M2). Counts are drawn
from a skewed distribution so that small cells (1..10) are common. For each:
- "lp": handoff.reports.audit.suppress over the whole publication, then the audit re-run from its hidden set;
- "baseline": protect() per table (received, missed, declined separately), then the SAME LP audit over the
  whole publication with the hidden set it produced.
Reported: seconds per publication, figures hidden, LPs solved, whether the audit passes (the baseline's
failures are the linked-table leaks the review found), the narrowest hidden interval, and the time ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from handoff.reports.audit import Publication, audit, suppress  # noqa: E402
from handoff.reports.disclosure import protect  # noqa: E402


def publication(rng: random.Random, places: int, months: int) -> tuple[Publication, dict[str, Any]]:
    pub = Publication()
    years = (months + 11) // 12
    tables: dict[str, dict[tuple[int, int], int]] = {"received": {}, "missed": {}, "declined": {}}
    for p in range(places):
        scale = rng.choice([0.3, 1, 3, 10])
        for m in range(months):
            rec = int(rng.expovariate(1 / scale))
            tables["received"][(p, m)] = rec
            tables["missed"][(p, m)] = int(rng.random() < 0.2) * rng.randint(1, 3)
        for y in range(years):
            rec_year = sum(tables["received"][(p, m)] for m in range(y * 12, min(months, y * 12 + 12)))
            tables["declined"][(p, y)] = rng.randint(0, rec_year)
    for p in range(places):
        for m in range(months):
            pub.atom(("received", p, m), tables["received"][(p, m)])
            pub.atom(("missed", p, m), tables["missed"][(p, m)])
        for y in range(years):
            rec_year = sum(tables["received"][(p, m)] for m in range(y * 12, min(months, y * 12 + 12)))
            dec = pub.atom(("declined", p, y), tables["declined"][(p, y)])
            rest = pub.atom(("not_declined", p, y), rec_year - tables["declined"][(p, y)])
            pub.link([pub.atom(("received", p, m)) for m in range(y * 12, min(months, y * 12 + 12))], [dec, rest])
    for measure, cols in (("received", months), ("missed", months), ("declined", years)):
        for p in range(places):
            for c in range(cols):
                pub.figure((measure, p, c), [pub.atom((measure, p, c))])
            pub.figure((measure, p, "all"), [pub.atom((measure, p, c)) for c in range(cols)])
        for c in range(cols):
            pub.figure((measure, "all", c), [pub.atom((measure, p, c)) for p in range(places)])
        pub.figure((measure, "all", "all"), [pub.atom((measure, p, c)) for p in range(places) for c in range(cols)])
    return pub, {"tables": tables, "years": years}


def baseline_hidden(pub: Publication, meta: dict[str, Any], places: int, months: int) -> set[int]:
    hidden: set[int] = set()
    for measure, cols in (("received", months), ("missed", months), ("declined", meta["years"])):
        table = protect(meta["tables"][measure], list(range(places)), list(range(cols)))
        for (p, c), v in table.cells.items():
            if v is None:
                hidden.add(pub.index((measure, p, c)))
        for p, v in table.row_totals.items():
            if v is None:
                hidden.add(pub.index((measure, p, "all")))
        for c, v in table.col_totals.items():
            if v is None:
                hidden.add(pub.index((measure, "all", c)))
        if table.total is None:
            hidden.add(pub.index((measure, "all", "all")))
    return hidden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=40)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    lp_t: list[float] = []
    base_t: list[float] = []
    lp_hidden: list[int] = []
    base_hidden: list[int] = []
    lp_ok = base_ok = 0
    lps: list[int] = []
    narrowest: list[float] = []
    base_narrowest: list[float] = []
    figures = 0
    for _ in range(args.runs):
        pub, meta = publication(rng, args.places, args.months)
        figures = sum(1 for f in pub.figures if f.published)
        t0 = time.perf_counter()
        result = suppress(pub)
        lp_t.append(time.perf_counter() - t0)
        check = audit(pub, result.hidden)
        lp_ok += check.ok
        lps.append(check.lps)
        narrowest.append(check.narrowest())
        lp_hidden.append(len(result.hidden))
        t0 = time.perf_counter()
        hidden = baseline_hidden(pub, meta, args.places, args.months)
        base_t.append(time.perf_counter() - t0)
        base_check = audit(pub, hidden)
        base_ok += base_check.ok
        base_hidden.append(len(hidden))
        base_narrowest.append(base_check.narrowest())
    out = {
        "bench": "disclosure",
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "shape": {"places": args.places, "months": args.months, "published_figures": figures, "runs": args.runs},
        "lp": {"seconds_median": round(statistics.median(lp_t), 3), "seconds_max": round(max(lp_t), 3),
               "hidden_median": statistics.median(lp_hidden), "audit_passed": lp_ok,
               "lps_in_final_audit_median": statistics.median(lps),
               "narrowest_hidden_interval_min": min(narrowest)},
        "baseline_table_by_table": {"seconds_median": round(statistics.median(base_t), 4),
                                    "hidden_median": statistics.median(base_hidden), "audit_passed": base_ok,
                                    "narrowest_hidden_interval_min": min(base_narrowest)},
        "ratio_seconds_lp_over_baseline": round(statistics.median(lp_t) / max(statistics.median(base_t), 1e-9), 1),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
