"""What people read never names the project's internal files (review: reasons read "(uncertain: DOMAIN.md:
...)"). Policy notes, rule texts, filing pages, help and messages are strings in src; docstrings and comments
may point at files for developers.

Why every string literal and every library value, not a list of known places: a new note or message written
tomorrow is checked the same way.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

SRC = Path(__file__).resolve().parents[2] / "src" / "handoff"
INTERNAL = re.compile(r"\b[\w-]+\.md\b")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _values(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _values(inner, f"{where}/{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _values(inner, f"{where}/{i}")


def internal_names(src: Path) -> list[str]:
    bad = []
    for path in sorted(src.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                    and INTERNAL.search(node.value)):
                bad.append(f"{path.relative_to(src)}:{node.lineno}: {INTERNAL.findall(node.value)}")
    for path in sorted(src.rglob("*.yaml")):
        for where, text in _values(yaml.safe_load(path.read_text()), ""):
            if INTERNAL.search(text):
                bad.append(f"{path.relative_to(src)}{where}: {INTERNAL.findall(text)}")
    for path in sorted(src.rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if INTERNAL.search(line):
                bad.append(f"{path.relative_to(src)}:{number}: {INTERNAL.findall(line)}")
    return bad


def test_it_never_shows_people_an_internal_file_name() -> None:
    assert internal_names(SRC) == []


def test_it_would_catch_one_in_a_policy_note_or_a_message(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text('rules:\n  - note: "DOMAIN.md: uncertain"\n')
    (tmp_path / "m.py").write_text('"""Docstrings may cite DESIGN.md."""\nREASON = "see INTERFACES.md"\n')
    assert len(internal_names(tmp_path)) == 2
