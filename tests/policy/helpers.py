"""Small builders for policy tests: write YAML to a temporary library, load it, evaluate."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from handoff.policy.engine import LIBRARY_DIR, Registry

MINIMAL_RULE = """
      - id: r1
        cite: "Test Code 1"
        when: "request.kind == 'detainer'"
        then: {notify: true}
"""

# The `sources` every non-federal test policy carries (the format requires them); versions cite `t-act`.
TEST_SOURCES = """sources:
  - {id: t-act, kind: statute, cite: "Test Act 1", url: null, checked_on: 2026-12-01, note: null}
"""


def policy_yaml(
    pid: str = "x-test",
    *,
    level: str = "state",
    stance: str = "prohibition",
    rules: str = MINIMAL_RULE,
    defaults: str = "{notify: false, hold: prohibited, transfer: prohibited}",
    settings: str = "{lead_time_hours: 48, calendar: clock}",
    extra_top: str = "",
    versions: str | None = None,
    tables: str = "[]",
) -> str:
    version_stance = {"conditional": "limit", "baseline": "neutral"}.get(stance, stance)
    if version_stance not in ("prohibition", "limit", "neutral", "mandate"):
        version_stance = "neutral"  # the test is about the policy-level stance
    body = versions if versions is not None else f"""
  - effective_from: 2020-01-01
    effective_to: null
    stance: {version_stance}
    sources: [t-act]
    source: "Test Act"
    settings: {settings}
    defaults: {defaults}
    rules:{rules}"""
    sources = "" if level == "federal" else TEST_SOURCES
    return textwrap.dedent(
        f"""\
id: {pid}
title: Test policy {pid}
level: {level}
jurisdictions: ["99"]
stance: {stance}
offence_tables: {tables}
{sources}{extra_top}versions:{body}
"""
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def library_with(tmp_path: Path, extra: dict[str, str], copy: tuple[str, ...] = ("us-federal", "us-ca")) -> Path:
    """A library directory: some shipped policies (and every shipped table) plus extra documents."""
    root = tmp_path / "library"
    (root / "offences").mkdir(parents=True, exist_ok=True)
    for table in (LIBRARY_DIR / "offences").glob("*.yaml"):
        shutil.copy(table, root / "offences" / table.name)
    for pid in copy:
        shutil.copy(LIBRARY_DIR / f"{pid}.yaml", root / f"{pid}.yaml")
    for pid, text in extra.items():
        write(root / f"{pid}.yaml", text)
    return root


def registry_with(tmp_path: Path, extra: dict[str, str], copy: tuple[str, ...] = ("us-federal", "us-ca"), **kwargs: object) -> Registry:
    reg = Registry.from_directory(library_with(tmp_path, extra, copy))
    if kwargs:
        reg = Registry(reg.policies, reg.tables, **kwargs)  # type: ignore[arg-type]
    return reg
