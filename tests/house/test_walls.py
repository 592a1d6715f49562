"""The walls between apps (README "How the code is laid out"), checked on every import in src.

Why walk the syntax tree and not import the modules: an import hidden inside a function or under
`TYPE_CHECKING` crosses a wall just the same; only reading every `import` statement sees them all.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from architecture import imports_of, module_name  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src" / "handoff"
DOMAIN = {"core", "policy", "jurisdictions", "custody", "requests", "notices", "access", "audit", "reports",
          "linkage"}
FACES = {"api", "web"}
ABOVE_DOMAIN = FACES | {"casework", "ingest", "ops"}
#: app -> apps it must never import (the walls)
WALLS: dict[str, set[str]] = {
    "core": {"*"},  # core imports no Handoff app
    "policy": {"*"},  # policy imports nothing of Handoff but core
    "custody": {"requests", "notices"} | ABOVE_DOMAIN,
    "requests": {"notices"} | ABOVE_DOMAIN,
    "notices": ABOVE_DOMAIN,
    "audit": {"access"} | ABOVE_DOMAIN,
    "jurisdictions": ABOVE_DOMAIN,
    "access": ABOVE_DOMAIN,
    "reports": ABOVE_DOMAIN,
    "linkage": {"requests", "notices", "reports"} | ABOVE_DOMAIN,  # reads custody; re-arrest reads it
    "casework": {"ingest", "ops"} | FACES,
    "ingest": {"ops"} | FACES,
}


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "handoff" else None


def _crossings() -> list[str]:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        me = module_name(path, SRC)
        app = _app(me)
        if app is None or path.parent == SRC:
            continue
        forbidden = WALLS.get(app, set())
        for target, _inside_function in imports_of(path, SRC):
            other = _app(target)
            if other is None or other == app:
                continue
            if "*" in forbidden and not (app == "policy" and other == "core"):
                bad.append(f"{me} imports {target} ({app} imports no other Handoff app)")
            elif other in forbidden:
                bad.append(f"{me} imports {target} ({app} may not import {other})")
    return bad


def test_it_keeps_every_wall() -> None:
    assert _crossings() == []


def test_it_sees_imports_hidden_in_functions_and_type_checking(tmp_path: Path) -> None:
    pkg = tmp_path / "handoff" / "custody"
    pkg.mkdir(parents=True)
    (pkg / "x.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from handoff.notices.models import Notice\n"
        "def f():\n    from handoff.requests import services\n"
    )
    found = imports_of(pkg / "x.py", tmp_path / "handoff")
    assert ("handoff.notices.models", False) in found
    assert ("handoff.requests", True) in found


def _is_notice_status(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "NoticeStatus"


WRITERS = {"update", "create", "bulk_create", "get_or_create", "update_or_create"}


def _status_setters(path: Path) -> list[str]:
    text = path.read_text()
    tree = ast.parse(text)
    found = []
    in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Attribute) and target.attr == "status"
                        and isinstance(target.value, ast.Name) and target.value.id in {"notice", "n"}):
                    found.append(f"{path.name}:{node.lineno} assigns notice.status")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITERS
              and any(k.arg == "status" and _is_notice_status(k.value) for k in node.keywords)):
            found.append(f"{path.name}:{node.lineno} writes status=NoticeStatus.… with {node.func.attr}()")
        elif isinstance(node, ast.JoinedStr):
            sql = ast.get_source_segment(text, node) or ""
            # the deliveries table ({d_t}) has a status of its own; the notices' must come from sql_case
            if "SET status" in sql and "{d_t}" not in sql and "sql_case" not in sql:
                found.append(f"{path.name}:{node.lineno} sets a status in SQL")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and "SET status" in node.value
              and id(node) not in in_fstrings):
            found.append(f"{path.name}:{node.lineno} sets a status in SQL")
    return found


@pytest.mark.parametrize("path", [p for p in sorted(SRC.rglob("*.py")) if "migrations" not in p.parts],
                         ids=lambda p: str(p.relative_to(SRC)))
def test_it_changes_a_notice_status_only_through_the_state_table(path: Path) -> None:
    if path == SRC / "notices" / "states.py":
        return
    assert _status_setters(path) == []


def test_it_would_catch_a_status_set_outside_the_table(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "notice.status = 'sent'\n"
        "Notice.objects.filter(pk=1).update(status=NoticeStatus.SENT)\n"
        "cur.execute('UPDATE notices_notice SET status = 1')\n"
    )
    assert len(_status_setters(bad)) == 3
