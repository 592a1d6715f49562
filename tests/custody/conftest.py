"""Places, jails and a way to run `handoff ingest` the way a user does (exit code, JSON, rejects file)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from handoff.jurisdictions.models import Facility, Jurisdiction
from handoff.jurisdictions.services import add_facility


@dataclass
class Run:
    code: int
    report: dict[str, Any]
    stderr: str

    def rejects(self) -> list[dict[str, str]]:
        path = self.report.get("rejects_path")
        if not path:
            return []
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))


def _place(fips: str, name: str, kind: str, parent: Jurisdiction | None, postal: str, tz: str) -> Jurisdiction:
    j, _ = Jurisdiction.objects.get_or_create(
        fips=fips, defaults={"name": name, "kind": kind, "parent": parent, "postal": postal, "default_timezone": tz})
    return j


@pytest.fixture
def jails(db: None) -> dict[str, Facility]:
    """Two jails of Los Angeles County, one of Harris County (another state and zone), and Pierce County's."""
    us = _place("us", "United States", "nation", None, "", "")
    ca = _place("06", "California", "state", us, "CA", "America/Los_Angeles")
    tx = _place("48", "Texas", "state", us, "TX", "America/Chicago")
    wa = _place("53", "Washington", "state", us, "WA", "America/Los_Angeles")
    _place("06037", "Los Angeles County", "county", ca, "CA", "America/Los_Angeles")
    _place("48201", "Harris County", "county", tx, "TX", "America/Chicago")
    _place("53053", "Pierce County", "county", wa, "WA", "America/Los_Angeles")
    return {
        "LA": add_facility("LA-MCJ", "06037", "Men's Central Jail")[0],
        "LA2": add_facility("LA-TTCF", "06037", "Twin Towers Correctional Facility")[0],
        "HARRIS": add_facility("HARRIS", "48201", "Harris County Jail")[0],
        "PIERCE": add_facility("WA-PIERCE", "53053", "Pierce County Jail", "America/Los_Angeles")[0],
    }


@pytest.fixture
def ingest(tmp_path: Path) -> Callable[..., Run]:
    def run(kind: str, path: Path | str, *args: str) -> Run:
        out, err = StringIO(), StringIO()
        extra = list(args)
        if "--rejects" not in extra:
            extra += ["--rejects", str(tmp_path / f"{Path(path).name}.{kind}.rejects.csv")]
        code = 0
        try:
            call_command("ingest", kind, str(path), "--json", *extra, stdout=out, stderr=err)
        except SystemExit as exc:
            code = int(exc.code or 0)
        except CommandError as exc:
            code = exc.returncode
            err.write(str(exc))
        text = out.getvalue().strip()
        return Run(code, json.loads(text) if text else {}, err.getvalue())

    return run
