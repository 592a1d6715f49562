"""Benchmark: decisions per second through the real policy registry, against raw CEL on the same inputs.

    uv run python bench/evaluate.py            # 1,000,000 requests
    uv run python bench/evaluate.py --n 20000  # a quick run

Prints one JSON object. Times are CPU seconds of this process (`time.process_time`), so other work on the
machine does not count against the figures (the engine's wall time is printed too). Requests are generated in chunks (facts built outside the timed part): varied
request kinds, warrants, withdrawals, release types, 0-4 convictions from a pool of California, New York,
Texas and federal statutes (with and without explicit categories, dates over 35 years, Prop 47 flags), 0-3
charges, spread over the chain of every state, D.C. and territory and of every county or city policy. Two figures are timed on the same chunk, one after the other:

- engine: `Registry.evaluate(facts, at, chain)` - derived fields, offence tables, CEL, composition, Decision,
  as shipped (rules split at their top-level &&, ||, ! and `records.exists`, each part run in CEL on only
  the facts it reads and remembered per distinct input);
- engine_no_memo: the same with the memo off and rules run whole (`Registry(..., memo_size=0,
  decompose=False)`), so every request runs every rule in CEL on its whole input;
- decisions_sha256: SHA-256 of the JSON of the first `--hash` (30,000) decisions of a fixed request stream
  (seed `--seed`, independent of `--n`), from a fresh registry; `no_memo_decisions_sha256` is the same
  stream through the memo-less, whole-rule registry. Two runs of different engine code that print the same
  hash made the same decisions, reasons included; the two hashes agreeing shows the memo changes nothing.
- direct CEL: the same compiled programs run on the exact CEL inputs the engine builds for that request
  (`Registry.cel_inputs`, prepared outside the timing), the fastest way this binding allows: one long-lived
  `cel.Context` per policy version holding its settings, `update()` with the request's variables, then
  every rule. `ratio` = engine time / direct time (both with and without the memo).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import cel  # noqa: E402

from handoff.core.places import places  # noqa: E402
from handoff.policy.chain import chain_at  # noqa: E402
from handoff.policy.engine import Registry, load_library  # noqa: E402
from handoff.policy.facts import Booking, Charge, Conviction, Facts, Federal, Registrant, Request, Warrant  # noqa: E402


def all_chains(registry: Registry) -> list[list[str]]:
    """The chain a jail gets in every state, D.C. and territory (territories have no state policy: they go to
    review), plus one per county or city policy in the library; California counts double (richest rules)."""
    states = [p.fips for p in places().values() if p.kind == "state"]
    local = [doc.jurisdictions[0] for doc in registry.policies.values() if doc.level in ("county", "city")]
    chains = [chain_at(fips, registry.policies) for fips in [*states, *local, "06"]]
    return [c for c in chains if c]


STATUTES = [
    ("CA PC 211", "CA", ()), ("Cal. Penal Code 245(a)(1)", "CA", ()), ("CA PC 459", "CA", ()),
    ("PC 487(a)", "CA", ()), ("CA PC 243(e)(1)", "CA", ("domestic_violence",)), ("CA VC 23152(a)", "CA", ()),
    ("CA VC 23153(a)", "CA", ()), ("CA HS 11351", "CA", ()), ("CA HS 11377(a)", "CA", ()),
    ("CA PC 273.5(a)", "CA", ()), ("CA PC 422", "CA", ()), ("CA PC 496(a)", "CA", ()), ("CA PC 10851", "CA", ()),
    ("CA PC 187(a)", "CA", ()), ("CA PC 288(a)", "CA", ()), ("CA PC 29800(a)(1)", "CA", ()),
    ("NY PL 160.15", "NY", ("violent_felony",)), ("NY PL 120.05", "NY", ()), ("PL 155.30", "NY", ()),
    ("TX PC 22.02", "TX", ("violent_felony", "assault_battery")), ("TX PC 31.03", "TX", ()),
    ("8 USC 1326", "", ("aggravated_felony_federal",)), ("21 USC 841", "", ("controlled_substance_felony",)),
]
CHARGE_STATUTES = ["CA PC 211", "CA PC 459.5", "CA PC 245(a)(4)", "CA VC 23152(a)", "CA HS 11350(a)",
                   "NY PL 120.00", "TX PC 49.04", "CA PC 273.5(a)", "CA PC 215"]


def make_facts(rng: random.Random, as_of: date) -> Facts:
    kind = rng.choice(("detainer", "detainer", "detainer", "notification", "transfer"))
    wtype = rng.choice(("administrative", "administrative", "none", "judicial"))
    form = {"administrative": rng.choice(("I-200", "I-205", "")), "judicial": "warrant", "none": ""}[wtype]
    convictions = []
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4))):
        statute, state, cats = rng.choice(STATUTES)
        level = rng.choice(("felony", "felony", "misdemeanor", ""))
        convictions.append(Conviction(
            statute=statute,
            convicted_on=as_of - timedelta(days=rng.randrange(0, 365 * 35)),
            level=level,
            wobbler=rng.random() < 0.4,
            state=state,
            categories=cats,
            state_prison=level == "felony" and rng.random() < 0.3,
            prop47_reduced=rng.random() < 0.05,
            custody_days_since=rng.choice((0, 0, 0, 120, 700)),
        ))
    charges = [
        Charge(statute=rng.choice(CHARGE_STATUTES), level=rng.choice(("felony", "misdemeanor")),
               wobbler=rng.random() < 0.3, disposition=rng.choice(("pending", "pending", "dismissed", "convicted")),
               probable_cause_found=rng.random() < 0.4)
        for _ in range(rng.choice((0, 1, 1, 2, 3)))
    ]
    return Facts(
        request=Request(kind=kind, form="I-247A", basis=("biometric_match",), warrant=Warrant(wtype, form),
                        lead_time_hours=48, withdrawn=rng.random() < 0.02,
                        judicial_probable_cause=rng.random() < 0.03),
        booking=Booking(release_type=rng.choice(("scheduled", "scheduled", "courtroom", "bail", "")),
                        released=False),
        charges=tuple(charges),
        convictions=tuple(convictions),
        registrant=Registrant(sex_offender=rng.random() < 0.02, arson=rng.random() < 0.005),
        federal=Federal(aggravated_felony_conviction=rng.random() < 0.03,
                        outstanding_federal_felony_warrant=rng.random() < 0.02,
                        terrorist_screening_match=rng.random() < 0.001),
        request_id=f"R{rng.randrange(10**9)}",
    )


def decisions_hash(registry: Registry, chains: list[list[str]], count: int, seed: int) -> str:
    """SHA-256 over the decisions (`Decision.to_dict()`, reasons and all) of `count` requests drawn with `seed`."""
    import hashlib

    rng = random.Random(f"hash-{seed}")
    digest = hashlib.sha256()
    for _ in range(count):
        as_of = date(2016, 1, 1) + timedelta(days=rng.randrange(0, 365 * 11))  # before and after first versions
        at = datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=UTC)
        facts, chain = make_facts(rng, as_of), rng.choice(chains)
        digest.update(json.dumps(registry.evaluate(facts, at, chain).to_dict(), sort_keys=True).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="requests to evaluate (default 1,000,000)")
    parser.add_argument("--chunk", type=int, default=20_000, help="requests generated per chunk")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hash", type=int, default=30_000, help="decisions hashed to show none changed (0: skip)")
    args = parser.parse_args(argv)

    t0 = time.process_time()
    registry = load_library()
    load_s = time.process_time() - t0
    plain = Registry(registry.policies, registry.tables, memo_size=0, decompose=False)
    chains = all_chains(registry)
    contexts: dict[int, Any] = {}
    rng = random.Random(args.seed)
    engine_s = plain_s = direct_s = engine_wall = 0.0
    done = 0
    rules_run = 0
    outcomes: dict[str, int] = {"notify": 0, "hold_permitted_or_required": 0, "review": 0}
    while done < args.n:
        size = min(args.chunk, args.n - done)
        batch = []
        for _ in range(size):
            as_of = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 365))
            at = datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=UTC)
            batch.append((make_facts(rng, as_of), at, rng.choice(chains)))
        # the exact CEL inputs, prepared outside the timing
        prepared = []
        for f, at, chain in batch:
            per_request = []
            for v, inp in registry.cel_inputs(f, at, chain):
                if id(v) not in contexts:
                    contexts[id(v)] = cel.Context({"settings": inp["settings"]} if "settings" in inp else {})
                per_request.append((v.rules, contexts[id(v)], {k: x for k, x in inp.items() if k != "settings"}))
            prepared.append(per_request)
        gc.collect()
        gc.disable()
        try:
            start, wall = time.process_time(), time.perf_counter()
            decisions = [registry.evaluate(f, at, chain) for f, at, chain in batch]
            engine_s += time.process_time() - start
            engine_wall += time.perf_counter() - wall

            start = time.process_time()
            for f, at, chain in batch:
                plain.evaluate(f, at, chain)
            plain_s += time.process_time() - start

            start = time.process_time()
            for per_request in prepared:
                for rules, ctx, inp in per_request:
                    ctx.update(inp)
                    for rule in rules:
                        rule.program.execute(ctx)
            direct_s += time.process_time() - start
        finally:
            gc.enable()
        for per_request in prepared:
            for rules, _, _ in per_request:
                rules_run += len(rules)
        for d in decisions:
            outcomes["notify"] += d.notify
            outcomes["hold_permitted_or_required"] += d.hold != "prohibited"
            outcomes["review"] += d.review
        done += size

    hashes: dict[str, Any] = {}
    if args.hash:
        fresh = Registry(registry.policies, registry.tables)
        hashes["decisions_hashed"] = args.hash
        hashes["decisions_sha256"] = decisions_hash(fresh, chains, args.hash, args.seed)
        hashes["no_memo_decisions_sha256"] = decisions_hash(
            Registry(registry.policies, registry.tables, memo_size=0, decompose=False), chains, args.hash, args.seed)
        hashes["memo_agrees"] = hashes["decisions_sha256"] == hashes["no_memo_decisions_sha256"]
    result: dict[str, Any] = {
        "benchmark": "policy.evaluate",
        "n": done,
        "engine_seconds": round(engine_s, 3),
        "decisions_per_second": round(done / engine_s),
        "engine_us_per_decision": round(engine_s / done * 1e6, 2),
        "engine_wall_seconds": round(engine_wall, 3),
        "decisions_per_wall_second": round(done / engine_wall),
        "engine_no_memo_seconds": round(plain_s, 3),
        "engine_no_memo_decisions_per_second": round(done / plain_s),
        "engine_no_memo_us_per_decision": round(plain_s / done * 1e6, 2),
        "direct_cel_seconds": round(direct_s, 3),
        "direct_cel_requests_per_second": round(done / direct_s),
        "direct_cel_us_per_request": round(direct_s / done * 1e6, 2),
        "ratio_engine_to_direct_cel": round(engine_s / direct_s, 2),
        "ratio_engine_no_memo_to_direct_cel": round(plain_s / direct_s, 2),
        "rule_memo_entries": len(registry._rule_memo),
        "cel_rule_executions": rules_run,
        "target_decisions_per_second": 50_000,
        "target_ratio": 3.0,
        "meets_targets": done / engine_s >= 50_000 and engine_s / direct_s <= 3.0,
        **hashes,
        "library_load_seconds": round(load_s, 3),
        "chains": len(chains),
        "policies": len(registry.policies),
        "timing": "CPU seconds of this process (time.process_time); wall seconds shown for the engine too",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "outcome_counts": outcomes,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
