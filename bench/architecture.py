"""Architecture figures: lines per app, imports pointing back up, app-level cycles, function-level imports.

Why: the house review (December 2026) measured the layering by hand; this script lets anyone rerun the
same figures from a clone and compare before/after. It walks every `import` with `ast`, including those
inside functions and under `TYPE_CHECKING`, and prints JSON.

    uv run python bench/architecture.py [--src src/handoff]
"""

from __future__ import annotations

import argparse
import ast
import json
from collections import defaultdict
from pathlib import Path

# The intended floors, lowest first. An import from a higher floor to a lower one is "down" (fine);
# one from a lower floor to a higher one "points back up". Apps on the same floor may not import each other
# upward either; they are compared by index in this list.
FLOORS = [
    "core",
    "policy",
    "audit",
    "jurisdictions",
    "custody",
    "requests",
    "notices",
    "access",
    "casework",
    "ingest",
    "reports",
    "ops",
    "api",
    "web",
]


def app_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "handoff":
        return None
    return parts[1]


def module_name(path: Path, src: Path) -> str:
    rel = path.relative_to(src.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, src: Path) -> list[tuple[str, bool]]:
    """(imported module, is it inside a function) for every handoff import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    me = module_name(path, src)
    out: list[tuple[str, bool]] = []

    def walk(node: ast.AST, in_func: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_func or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((a.name, in_func) for a in child.names if a.name.startswith("handoff"))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = me.split(".")
                    if path.name != "__init__.py":
                        base = base[:-1]
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.startswith("handoff"):
                    out.append((target, in_func))
            walk(child, inner)

    walk(tree, False)
    return out


def sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                result.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return result


def measure(src: Path) -> dict[str, object]:
    lines: dict[str, int] = defaultdict(int)
    graph: dict[str, set[str]] = defaultdict(set)
    up: list[str] = []
    lazy: list[str] = []
    for path in sorted(src.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        me = module_name(path, src)
        app = app_of(me) or "(root)"
        if path.parent == src:
            app = "(root)"
        lines[app] += len(path.read_text().splitlines())
        for target, in_func in imports_of(path, src):
            other = app_of(target)
            if in_func:
                lazy.append(f"{me} -> {target}")
            if other is None or other == app or app == "(root)":
                continue
            graph[app].add(other)
            if app in FLOORS and other in FLOORS and FLOORS.index(other) > FLOORS.index(app):
                up.append(f"{me} -> {target}")
    return {
        "lines_per_app": dict(sorted(lines.items())),
        "imports_pointing_up": len(up),
        "imports_pointing_up_list": sorted(set(up)),
        "app_cycles": sccs(graph),
        "function_level_handoff_imports": len(lazy),
        "function_level_handoff_imports_list": lazy,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=str(Path(__file__).resolve().parent.parent / "src" / "handoff"))
    parser.add_argument("--brief", action="store_true", help="leave out the lists")
    args = parser.parse_args()
    figures = measure(Path(args.src))
    if args.brief:
        figures = {k: v for k, v in figures.items() if not k.endswith("_list")}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
