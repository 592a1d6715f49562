"""Benchmark: the policy engine of this checkout against the engine of another git revision, in the same run.

    uv run python bench/evaluate_ab.py                      # this tree vs main, 60,000 requests, 3 rounds
    uv run python bench/evaluate_ab.py --base HEAD~1 --n 100000 --rounds 5

Why: on a shared 2-core machine the absolute decisions/s of bench/evaluate.py moves with everyone else's load
(35,000 to 80,000/s for the same code). Running both engines on the same requests, alternately, round after
round, in one run cancels most of that: the ratio is the figure to quote. Each round runs each engine in its
own fresh process (a cold memo, as bench/evaluate.py measures), on the same request stream (bench/evaluate.py's
`make_facts`, seed `--seed`, spread over every state, D.C., territory and local chain), and times CPU seconds
of that process. The base revision's `src/` is exported with `git archive` into a temporary directory.

Prints one JSON object: per engine the best and median decisions/s over the rounds, the ratio this/base of
the medians, and the SHA-256 of every decision (reasons included) of each engine on the stream: equal hashes
mean the two revisions decided every request the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import gc, hashlib, json, random, sys, time
from datetime import UTC, date, datetime, timedelta
src, bench, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, bench); sys.path.insert(0, src)
# the engine first: bench/evaluate.py puts this checkout's src at the front of sys.path when imported, and a
# handoff imported after that would be this checkout's for both engines (the base then measured nothing)
import handoff.policy.engine as engine
from handoff.policy.engine import load_library
from evaluate import all_chains, make_facts  # this checkout's request generator, for both engines
assert engine.__file__.startswith(src), (engine.__file__, src)
registry = load_library()
chains = all_chains(registry)
rng = random.Random(seed)
batch = []
for _ in range(n):
    as_of = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 365))
    batch.append((make_facts(rng, as_of), datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=UTC),
                  rng.choice(chains)))
gc.collect(); gc.disable()
start = time.process_time()
decisions = [registry.evaluate(f, at, c) for f, at, c in batch]
spent = time.process_time() - start
gc.enable()
digest = hashlib.sha256()
for d in decisions:
    digest.update(json.dumps(d.to_dict(), sort_keys=True).encode() + b"\n")
print(json.dumps({"seconds": spent, "sha256": digest.hexdigest()}))
"""


def export(rev: str, into: Path) -> Path:
    """`git archive REV src` unpacked under `into`; returns its src directory."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def run(src: Path, n: int, seed: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(src), str(ROOT / "bench"), str(n), str(seed)],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="main", help="git revision to compare against (default main)")
    parser.add_argument("--n", type=int, default=60_000, help="requests per round (default 60,000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        base_src = export(args.base, Path(tmp))
        this_src = ROOT / "src"
        times: dict[str, list[float]] = {"this": [], "base": []}
        hashes: dict[str, set[str]] = {"this": set(), "base": set()}
        for _ in range(args.rounds):
            for name, src in (("base", base_src), ("this", this_src)):
                got = run(src, args.n, args.seed)
                times[name].append(got["seconds"])
                hashes[name].add(got["sha256"])

    def rate(seconds: list[float]) -> dict[str, int]:
        return {"best": round(args.n / min(seconds)), "median": round(args.n / statistics.median(seconds))}

    this, base = rate(times["this"]), rate(times["base"])
    result = {
        "benchmark": "policy.evaluate A/B",
        "base": args.base,
        "n": args.n,
        "rounds": args.rounds,
        "this_decisions_per_second": this,
        "base_decisions_per_second": base,
        "ratio_this_to_base_median": round(this["median"] / base["median"], 3),
        "this_sha256": sorted(hashes["this"]),
        "base_sha256": sorted(hashes["base"]),
        "same_decisions": hashes["this"] == hashes["base"] and len(hashes["this"]) == 1,
        "timing": "CPU seconds of each child process (time.process_time), cold memo, rounds alternate base/this",
        "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
