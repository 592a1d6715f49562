"""Settings in one place: every HANDOFF_* variable is read in settings.py and nowhere else, and the README's
"Configuration" table lists each one with the type and default settings.py gives it.

Why a grep and not a runtime probe: a read of os.environ in a rarely-run module (a command, a worker
branch) is exactly the one a runtime probe would never reach.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "handoff"
ENV_READ = re.compile(r"""(os\.environ|getenv)[^\n]*HANDOFF_""")
ROW = re.compile(r"^\| `(HANDOFF_[A-Z0-9_]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$")


def _readme_rows() -> dict[str, tuple[str, str, str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            name, kind, default, meaning = (g.strip() for g in match.groups())
            rows[name] = (kind, default.strip("`"), meaning)
    return rows


def env_reads_outside_settings(src: Path) -> list[str]:
    found = []
    for path in sorted(src.rglob("*.py")):
        if path.name == "settings.py" and path.parent == src:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ENV_READ.search(line):
                found.append(f"{path.relative_to(src)}:{number}: {line.strip()}")
    return found


def test_it_reads_handoff_variables_only_in_settings() -> None:
    assert env_reads_outside_settings(SRC) == []


def test_it_would_catch_a_read_outside_settings(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text('threads = int(os.environ.get("HANDOFF_WORKER_THREADS", "2"))\n'
                                        'x = os.getenv("HANDOFF_X")\n')
    assert len(env_reads_outside_settings(tmp_path)) == 2


def test_it_documents_every_variable_with_its_type_and_default() -> None:
    rows = _readme_rows()
    assert set(rows) == set(settings.VARIABLES), "README Configuration table and settings.VARIABLES differ"
    for name, (kind, default) in settings.VARIABLES.items():
        assert rows[name][:2] == (kind, default), name
        assert rows[name][2], f"{name}: say what it does"


def test_it_names_only_variables_settings_reads() -> None:
    """A HANDOFF_* name in src that settings.py does not read is a setting nobody can set."""
    named = set()
    for path in SRC.rglob("*.py"):
        named |= set(re.findall(r"\bHANDOFF_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
    assert named - set(settings.VARIABLES) == set()


def test_it_points_docstrings_only_at_files_that_exist() -> None:
    """A docstring or comment naming a repository file (notes/..., docs/..., *.md) names one that exists."""
    missing = []
    pattern = re.compile(r"\b((?:notes|docs|examples|bench|tests|src)/[\w./-]+\.(?:md|py|yaml|csv|json))")
    for path in SRC.rglob("*.py"):
        for ref in pattern.findall(path.read_text()):
            if not (ROOT / ref).exists() and not (SRC / ref).exists():
                missing.append(f"{path.relative_to(SRC)}: {ref}")
    assert missing == []
