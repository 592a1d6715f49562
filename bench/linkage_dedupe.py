"""Benchmark: de-duplicate N generated bookings (default 1,000,000) across four county jails: the real ingest
command, then `handoff people link` (deterministic, then Splink on DuckDB), timed apart, with peak memory, the
load average, and pair precision / recall against the generator's truth. Prints one JSON object.

    uv run python bench/linkage_dedupe.py                # 1,000,000 bookings (target: linkage <= 10 minutes)
    uv run python bench/linkage_dedupe.py --n 50000      # a quick look
    uv run python bench/linkage_dedupe.py --n 200000 --db /tmp/b200.sqlite3   # keep the ingested database;
                                                         # a second run links it again without re-ingesting

The data: about 700,000 humans for a million bookings; a returning human is booked again in any of the four
counties, with a clerk's typos (a letter substituted, dropped or swapped in a name; a day or a month off, or day
and month swapped, in the date of birth) and, often, a new address. Names come from pools with a skewed
frequency (some surnames are common); about 1,500 postcodes, as in one state.
Same-run baseline: exact last name + first name + date of birth grouping of the same rows (what deterministic
matching alone finds, across counties), its time and its recall.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import resource
import tempfile
import time
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

HEADER = ["facility", "booking_number", "booked_at", "last_name", "first_name", "date_of_birth", "sex",
          "address_street", "address_city", "address_postcode", "address_state"]
FACILITIES = [("BENCH-A", "06001"), ("BENCH-B", "06003"), ("BENCH-C", "06005"), ("BENCH-D", "06007")]
SYLLABLES = ["an", "ar", "be", "bo", "ca", "da", "de", "el", "en", "fa", "ga", "ha", "in", "ja", "ka", "la", "le",
             "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "ni", "no", "ol", "pa", "ra", "re", "ri", "ro", "sa",
             "se", "so", "ta", "te", "to", "va", "ve", "wa", "ya", "za", "son", "ton", "ez", "ski", "berg", "ly"]


def _pool(rnd: random.Random, n: int, parts: tuple[int, int]) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(*parts))).upper())
    return sorted(names)


def _typo(rnd: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = rnd.randrange(1, len(s) - 1)
    kind = rnd.random()
    if kind < 0.4:
        return s[:i] + rnd.choice("ABCDEFGHIJKLMNOPRSTUVWYZ") + s[i + 1:]
    if kind < 0.7:
        return s[:i] + s[i + 1:]
    return s[:i - 1] + s[i] + s[i - 1] + s[i + 1:]


def _dob_error(rnd: random.Random, d: date) -> date:
    kind = rnd.random()
    if kind < 0.4 and d.day <= 12 and d.day != d.month:
        return d.replace(month=d.day, day=d.month)
    if kind < 0.7:
        return d + timedelta(days=rnd.choice([-1, 1]))
    try:
        return d.replace(month=((d.month % 12) + 1))
    except ValueError:
        return d + timedelta(days=31)


def generate(path: Path, n: int, seed: int = 11) -> list[int]:
    """Write the bookings; return each booking's human (the truth), in file order."""
    rnd = random.Random(seed)
    given, surnames = _pool(rnd, 2500, (2, 3)), _pool(rnd, 25000, (2, 4))
    gw = [1 / (r + 1) ** 0.9 for r in range(len(given))]
    sw = [1 / (r + 1) ** 0.7 for r in range(len(surnames))]
    streets = [f"{s.title()} {rnd.choice(['St', 'Ave', 'Rd', 'Dr', 'Way', 'Blvd'])}" for s in _pool(rnd, 4000, (2, 3))]
    cities = [c.title() for c in _pool(rnd, 300, (2, 3))]
    postcodes = [f"9{rnd.randrange(10000):04d}" for _ in range(1500)]
    humans: list[tuple[str, str, date, str, str, str, str]] = []
    truth: list[int] = []

    def address() -> tuple[str, str, str]:
        k = rnd.randrange(len(postcodes))
        return f"{rnd.randint(1, 9999)} {rnd.choice(streets)}", cities[k % len(cities)], postcodes[k]

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        firsts = rnd.choices(given, gw, k=n)
        lasts = rnd.choices(surnames, sw, k=n)
        for i in range(n):
            facility = FACILITIES[rnd.randrange(len(FACILITIES))][0]
            if humans and rnd.random() < 0.3:
                h = rnd.randrange(len(humans))
                last, first, dob, sex, street, city, postcode = humans[h]
                if rnd.random() < 0.2:
                    last = _typo(rnd, last)
                if rnd.random() < 0.2:
                    first = _typo(rnd, first)
                if rnd.random() < 0.05:
                    dob = _dob_error(rnd, dob)
                if rnd.random() < 0.4:
                    street, city, postcode = address()
            else:
                h = len(humans)
                street, city, postcode = address()
                humans.append((lasts[i], firsts[i], date(1940, 1, 1) + timedelta(days=rnd.randrange(365 * 66)),
                               rnd.choice("MF"), street, city, postcode))
                last, first, dob, sex = humans[h][0], humans[h][1], humans[h][2], humans[h][3]
            booked = date(2016, 1, 1) + timedelta(days=rnd.randrange(3000))
            w.writerow([facility, f"BK{i:08d}", f"{booked.isoformat()} 08:00", last, first,
                        dob.isoformat() if rnd.random() > 0.01 else "", sex, street, city, postcode, "CA"])
            truth.append(h)
    return truth


def setup_django(db_path: Path, *, fresh: bool = True) -> None:
    os.environ["HANDOFF_DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["HANDOFF_DEBUG"] = "0"
    os.environ.setdefault("HANDOFF_SECRET_KEY", "bench-" + os.urandom(32).hex())  # a weak key stops start-up (M13)
    os.environ.setdefault("HANDOFF_BASE_URL", "http://127.0.0.1:8000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not fresh:
        return
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.jurisdictions.services import add_facility

    us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
    st = Jurisdiction.objects.create(fips="06", name="California", kind="state", parent=us, postal="CA",
                                     default_timezone="America/Los_Angeles")
    for code, fips in FACILITIES:
        Jurisdiction.objects.create(fips=fips, name=f"County {fips}", kind="county", parent=st, postal="CA",
                                    default_timezone="America/Los_Angeles")
        add_facility(code, fips, f"Jail {code}", "America/Los_Angeles")


def _pairs(groups: Any) -> int:
    sizes = groups.size()
    return int((sizes * (sizes - 1) // 2).sum())


def score(frame: Any, key: str) -> dict[str, Any]:
    """Booking-pair precision and recall of grouping by `key` against grouping by `human`."""
    true_pairs = _pairs(frame.groupby("human"))
    found = _pairs(frame.groupby(key))
    tp = _pairs(frame.groupby([key, "human"]))
    precision = tp / found if found else 0.0
    recall = tp / true_pairs if true_pairs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"true_pairs": true_pairs, "pairs_found": found, "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None,
                        help="keep the SQLite database here; when it already holds the bookings, skip the ingest "
                             "and forget the last link run (the same --n and seed give the same truth)")
    args = parser.parse_args()
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        csv_path = tmp / "bookings.csv"
        t0 = time.perf_counter()
        truth = generate(csv_path, args.n)
        t_gen = time.perf_counter() - t0
        db_path = args.db or tmp / "bench.sqlite3"
        reuse = db_path.exists()
        setup_django(db_path, fresh=not reuse)
        from django.core.management import call_command

        out = StringIO()
        t1 = time.perf_counter()
        if reuse:
            from handoff.custody.models import Booking
            from handoff.linkage.models import Identity, LinkRun, PersonIdentity, ReviewPair

            for model in (PersonIdentity, ReviewPair, Identity, LinkRun):
                model.objects.all().delete()
            ingest = {"accepted": Booking.objects.count(), "rejected": None, "reused": str(db_path)}
        else:
            with contextlib.suppress(SystemExit):
                call_command("ingest", "bookings", str(csv_path), "--json", "--rejects", str(tmp / "rejects.csv"),
                             stdout=out, stderr=StringIO())
            ingest = json.loads(out.getvalue())
        t_ingest = time.perf_counter() - t1
        load_before = os.getloadavg()
        # the function `handoff people link` runs (services.link), with a clock on each step it announces
        from handoff.access.actor import for_command
        from handoff.linkage import services

        steps: list[tuple[str, float]] = []

        def step(name: str) -> None:
            steps.append((name, time.perf_counter()))

        t2 = time.perf_counter()
        cpu2 = time.process_time()
        link = services.link(actor=for_command("", "bench:people link"), step=step).as_dict()
        t_link = time.perf_counter() - t2
        cpu_link = time.process_time() - cpu2
        ends = [t for _, t in steps[1:]] + [t2 + t_link]
        step_seconds = {name: round(end - start, 1) for (name, start), end in zip(steps, ends, strict=True)}
        export = tmp / "people.csv"
        call_command("people", "export", "--out", str(export), stdout=StringIO())
        got = pd.read_csv(export, dtype=str)
        got["n"] = got["booking_number"].str[2:].astype(int)
        got["human"] = got["n"].map(lambda i: truth[i])
        ours = score(got, "person_id")
        rows = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        t3 = time.perf_counter()
        rows["exact"] = rows["last_name"] + "|" + rows["first_name"] + "|" + rows["date_of_birth"]
        rows.loc[rows["date_of_birth"] == "", "exact"] = rows["booking_number"]  # no DOB: no exact match
        t_base = time.perf_counter() - t3
        rows["human"] = truth
        base = score(rows, "exact")
    print(json.dumps({
        "benchmark": "de-duplication of generated bookings across four county jails",
        "bookings": args.n, "humans": len(set(truth)),
        "generate_seconds": round(t_gen, 1),
        "ingest": {"seconds": round(t_ingest, 1), "accepted": ingest["accepted"], "rejected": ingest["rejected"]},
        "link": {**link, "wall_seconds": round(t_link, 1), "cpu_seconds": round(cpu_link, 1),
                 "steps_seconds": step_seconds},
        "accuracy": ours,
        "baseline_exact_name_dob": {**base, "seconds": round(t_base, 2)},
        "f1_ratio_to_baseline": round(ours["f1"] / base["f1"], 3) if base["f1"] else None,
        "target": {"link_seconds_at_most": 600, "met": t_link <= 600},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_before_link": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }, indent=1))


if __name__ == "__main__":
    main()
