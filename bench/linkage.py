"""Benchmark: FEBRL dataset4a x dataset4b linked through Handoff (the real ingest command with the shipped map,
then `handoff people link`, then the export), and through the `recordlinkage` package on the same files in the
same run. Prints one JSON object with precision, recall and F1 of both and the ratio.

    uv run python bench/linkage.py                 # needs ../shared/data/febrl (targets: F1 >= 0.99, >= recordlinkage)
    uv run python bench/linkage.py --save-model    # also rewrite src/handoff/linkage/default_model.json

How it is scored: the truth is every pair (a record of 4a, a record of 4b) with the same rec-<n> (5,000 pairs).
Handoff's answer is every such pair whose bookings share a person_id in `handoff people export`; a 4b row that
ingest rejected (a date of birth that is not a date) counts as a missed pair, not as left out.
recordlinkage runs its FEBRL4 example approach: blocking (given name, surname, date of birth), comparison of
names, date of birth and address fields, and the unsupervised ECM classifier on the binary comparison vectors.
Both use the same fields (names, date of birth, address; not soc_sec_id).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import sys
import tempfile
import time
from io import StringIO
from itertools import product
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FEBRL = ROOT.parent / "shared" / "data" / "febrl"
MAP = ROOT / "examples" / "mappings" / "febrl.yaml"


def _truth(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(fh, skipinitialspace=True)
        return {r["rec_id"].strip(): r["rec_id"].strip().split("-")[1] for r in rows}


def _score(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, Any]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs_found": len(found), "true_positives": tp, "false_positives": len(found) - tp,
            "false_negatives": len(truth) - tp, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}


def setup_django(db_path: Path) -> None:
    os.environ["HANDOFF_DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["HANDOFF_DEBUG"] = "0"
    os.environ.setdefault("HANDOFF_SECRET_KEY", "bench-" + os.urandom(32).hex())  # a weak key stops start-up (M13)
    os.environ.setdefault("HANDOFF_BASE_URL", "http://127.0.0.1:8000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.jurisdictions.services import add_facility

    us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
    st = Jurisdiction.objects.create(fips="06", name="California", kind="state", parent=us, postal="CA",
                                     default_timezone="UTC")
    for fips, code in (("06001", "FEBRL-A"), ("06003", "FEBRL-B")):
        Jurisdiction.objects.create(fips=fips, name=f"County {fips}", kind="county", parent=st, postal="CA",
                                    default_timezone="UTC")
        add_facility(code, fips, f"FEBRL file {code[-1]}", "UTC")


def handoff_run(a: Path, b: Path, tmp: Path, save_model: bool) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    from django.core.management import call_command

    from handoff.linkage.models import LinkRun

    ingest: dict[str, Any] = {}
    t0 = time.perf_counter()
    for path, code in ((a, "FEBRL-A"), (b, "FEBRL-B")):
        mapping = tmp / f"{code}.yaml"
        mapping.write_text(MAP.read_text().replace("facility: FEBRL-A", f"facility: {code}"))
        out = StringIO()
        with contextlib.suppress(SystemExit):
            call_command("ingest", "bookings", str(path), "--mapping", str(mapping), "--json",
                         "--rejects", str(tmp / f"{code}.rejects.csv"), stdout=out, stderr=StringIO())
        report = json.loads(out.getvalue())
        ingest[code] = {"accepted": report["accepted"], "rejected": report["rejected"]}
    t_ingest = time.perf_counter() - t0
    out = StringIO()
    t1 = time.perf_counter()
    call_command("people", "link", "--json", stdout=out)
    link = json.loads(out.getvalue())
    t_link = time.perf_counter() - t1
    export = tmp / "people.csv"
    call_command("people", "export", "--out", str(export), "--json", stdout=StringIO())
    by_person: dict[str, dict[str, list[str]]] = {}
    with export.open(newline="") as fh:
        for row in csv.DictReader(fh):
            by_person.setdefault(row["person_id"], {}).setdefault(row["facility"], []).append(row["booking_number"])
    found = {(x, y) for side in by_person.values()
             for x, y in product(side.get("FEBRL-A", []), side.get("FEBRL-B", []))}
    if save_model:
        model = LinkRun.objects.get(pk=link["run"]).model
        model.pop("linker_uid", None)
        target = ROOT / "src" / "handoff" / "linkage" / "default_model.json"
        target.write_text(json.dumps(model, indent=1) + "\n")
    return found, {"ingest": ingest, "ingest_seconds": round(t_ingest, 2), "link_seconds": round(t_link, 2),
                   "link": {k: link[k] for k in ("people", "pairs_scored", "identities", "linked_people",
                                                 "review_open", "trained", "threshold", "review_floor")}}


def recordlinkage_run(a: Path, b: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    import pandas as pd
    import recordlinkage

    def load(p: Path) -> pd.DataFrame:
        df = pd.read_csv(p, skipinitialspace=True, dtype=str, index_col="rec_id")
        df.index = df.index.str.strip()
        return df.apply(lambda s: s.str.strip())

    t0 = time.perf_counter()
    dfa, dfb = load(a), load(b)
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    indexer.block("date_of_birth")
    candidates = indexer.index(dfa, dfb)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85, label="address_1")
    compare.exact("street_number", "street_number", label="street_number")
    compare.exact("postcode", "postcode", label="postcode")
    features = compare.compute(candidates, dfa, dfb)
    ecm = recordlinkage.ECMClassifier(binarize=None)
    links = ecm.fit_predict(features)
    seconds = time.perf_counter() - t0
    return {(str(x), str(y)) for x, y in links}, {"candidate_pairs": len(candidates), "seconds": round(seconds, 2),
                                                    "classifier": "ECMClassifier (unsupervised)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=FEBRL, help="folder with dataset4a.csv and dataset4b.csv")
    parser.add_argument("--save-model", action="store_true", help="rewrite the shipped default model")
    args = parser.parse_args()
    a, b = args.data / "dataset4a.csv", args.data / "dataset4b.csv"
    if not a.exists() or not b.exists():
        print(json.dumps({"skipped": f"no FEBRL files in {args.data}"}))
        return
    ta, tb = _truth(a), _truth(b)
    truth = {(x, y) for x, y in product(ta, tb) if ta[x] == tb[y]} if len(ta) * len(tb) < 1e6 else set()
    if not truth:  # the quick way for the full files: join on the entity number
        by_n: dict[str, list[str]] = {}
        for y, n in tb.items():
            by_n.setdefault(n, []).append(y)
        truth = {(x, y) for x, n in ta.items() for y in by_n.get(n, [])}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        setup_django(tmp / "bench.sqlite3")
        t0 = time.perf_counter()
        found, detail = handoff_run(a, b, tmp, args.save_model)
        handoff_seconds = time.perf_counter() - t0
    rl_found, rl_detail = recordlinkage_run(a, b)
    ours, theirs = _score(found, truth), _score(rl_found, truth)
    print(json.dumps({
        "benchmark": "FEBRL dataset4a x dataset4b",
        "true_pairs": len(truth),
        "handoff": {**ours, **detail, "seconds": round(handoff_seconds, 2)},
        "recordlinkage": {**theirs, **rl_detail},
        "f1_ratio_handoff_to_recordlinkage": round(ours["f1"] / theirs["f1"], 4) if theirs["f1"] else None,
        "targets": {"f1_at_least": 0.99, "met": ours["f1"] >= 0.99 and ours["f1"] >= theirs["f1"]},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }, indent=1))


if __name__ == "__main__":
    main()
