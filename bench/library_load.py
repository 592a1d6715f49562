"""Benchmark: loading the whole policy library (validation, CEL compilation, composition tables), against
plain `yaml.safe_load` of the same files in the same run.

    uv run python bench/library_load.py            # 5 repeats, median
    uv run python bench/library_load.py --repeat 9

Prints one JSON object. Times are CPU seconds of this process (`time.process_time`) so other work on the
machine does not count. Each repeat loads from scratch (`Registry.from_directory`, no cache). Target (issue 10):
the library of 80+ policies loads in <= 1 s. `ratio` = library load / plain YAML parse of the same bytes: what
validation, line tracking and compiling every rule cost on top of reading the files.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from handoff.policy.engine import LIBRARY_DIR, Registry  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--library", type=Path, default=LIBRARY_DIR)
    args = parser.parse_args(argv)
    files = sorted(args.library.glob("*.yaml")) + sorted((args.library / "offences").glob("*.yaml"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    loads, parses = [], []
    registry = None
    for _ in range(args.repeat):
        start = time.process_time()
        for text in texts:
            yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        parses.append(time.process_time() - start)
        start = time.process_time()
        registry = Registry.from_directory(args.library)
        loads.append(time.process_time() - start)
    assert registry is not None
    load_s, parse_s = statistics.median(loads), statistics.median(parses)
    result = {
        "benchmark": "policy.library_load",
        "files": len(files),
        "policies": len(registry.policies),
        "offence_tables": len(registry.tables),
        "versions": sum(len(d.versions) for d in registry.policies.values()),
        "rules": sum(len(v.rules) for d in registry.policies.values() for v in d.versions),
        "bytes": sum(len(t.encode()) for t in texts),
        "repeats": args.repeat,
        "library_load_seconds_median": round(load_s, 3),
        "library_load_seconds_max": round(max(loads), 3),
        "plain_yaml_safe_load_seconds_median": round(parse_s, 4),
        "yaml_loader": "CSafeLoader" if hasattr(yaml, "CSafeLoader") else "SafeLoader",
        "ratio_load_to_plain_yaml": round(load_s / parse_s, 1) if parse_s else None,
        "target_seconds": 1.0,
        "meets_target": max(loads) <= 1.0,
        "timing": "CPU seconds of this process (time.process_time), median of the repeats",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
