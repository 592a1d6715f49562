"""`handoff policy list|show ID|check FILE...|test FILE...|changes|stale [--json]`: the law as data, from the
command line.

`changes` and `stale` read `policy.history`, the same answer the national view shows.

Exit codes (INTERFACES.md): 0 success; 1 done but something failed (a policy file with problems, a failed
scenario); 2 usage error or unreadable input (a missing file, a scenario file that is not one).
"""

from __future__ import annotations

import json
from argparse import RawDescriptionHelpFormatter
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handoff.core import clock
from handoff.policy import history
from handoff.policy.documents import PolicyDocument, PolicyError, Problem, load_policy, load_table, read_yaml
from handoff.policy.engine import LIBRARY_DIR, Registry, load_library
from handoff.policy.offences import OffenceTable
from handoff.policy.scenarios import ScenarioFileError, run_file

EXAMPLES = """examples:
  handoff policy list
  handoff policy show us-ca
  handoff policy check
  handoff policy check src/handoff/policy/library/us-ca.yaml
  handoff policy test tests/scenarios/us-ca.yaml --json
  handoff policy changes --since 2024-01-01
  handoff policy stale --days 180 --json
"""


class Command(BaseCommand):
    help = (
        "List, show and validate policy documents; run policy scenario files.\n\n"
        "Examples:\n"
        "  handoff policy list\n"
        "  handoff policy test tests/scenarios/*.yaml\n"
        "  handoff policy stale --days 180"
    )
    requires_system_checks: list[str] = []  # pure files in, text out: no database, no checks

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, epilog=EXAMPLES, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list,show,check,test,changes,stale}")
        common: dict[str, Any] = {"formatter_class": RawDescriptionHelpFormatter}

        p = sub.add_parser("list", help="list the shipped policies", epilog="example:\n  handoff policy list --json", **common)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--library", help="a policy library directory (default: the shipped one)")

        p = sub.add_parser("show", help="print one policy with its versions and rules",
                           epilog="example:\n  handoff policy show us-ca --at 2025-06-01", **common)
        p.add_argument("id", help="policy id, e.g. us-ca")
        p.add_argument("--at", help="show only the version in force on this date (YYYY-MM-DD)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--library", help="a policy library directory (default: the shipped one)")

        p = sub.add_parser("check", help="validate policy documents or offence tables (file:line for every problem); "
                           "no FILE: the whole library",
                           epilog="example:\n  handoff policy check\n  handoff policy check my-county.yaml", **common)
        p.add_argument("files", nargs="*", metavar="FILE",
                       help="files to check (default: every policy and offence table of --library, then the "
                       "library as a whole)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--library", help="where named offence tables are found (default: the shipped library)")

        p = sub.add_parser("test", help="run scenario files against the policies",
                           epilog="example:\n  handoff policy test tests/scenarios/us-ca.yaml tests/scenarios/us-federal.yaml --json", **common)
        p.add_argument("files", nargs="+", metavar="FILE")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--strict", action="store_true", help="fail scenarios that do not name their `statute:`")
        p.add_argument("--library", help="a policy library directory (default: the shipped one)")

        p = sub.add_parser("changes", help="every change of version in the library: place, date, stance before and after, source",
                           epilog="example:\n  handoff policy changes --since 2024-01-01 --json", **common)
        p.add_argument("--since", help="only changes on or after this date (YYYY-MM-DD)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--library", help="a policy library directory (default: the shipped one)")

        p = sub.add_parser("stale", help="every source not checked within --days days (exit 1 when any)",
                           epilog="example:\n  handoff policy stale --days 180", **common)
        p.add_argument("--days", type=int, default=180, help="how many days a check stays fresh (default 180)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--library", help="a policy library directory (default: the shipped one)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        getattr(self, f"_{action}")(options)

    # ---- helpers

    def _registry(self, options: dict[str, Any]) -> Registry:
        try:
            return load_library(options.get("library"))
        except PolicyError as exc:
            raise CommandError(f"the policy library does not load:\n{exc}", returncode=1) from exc

    def _emit(self, options: dict[str, Any], payload: dict[str, Any], text: str) -> None:
        if options.get("json"):
            self.stdout.write(json.dumps(payload, indent=2, default=str))
        else:
            self.stdout.write(text)

    # ---- list

    def _list(self, options: dict[str, Any]) -> None:
        registry = self._registry(options)
        today = clock.now().date()
        rows = []
        for pid in sorted(registry.policies):
            doc = registry.policies[pid]
            current = doc.version_at(today)
            rows.append({
                "id": doc.id, "title": doc.title, "level": doc.level,
                "stance": (current.stance if current is not None and current.stance else doc.stance),
                "jurisdictions": list(doc.jurisdictions),
                "in_force": current.label if current else None,
                "versions": [{"effective_from": v.effective_from.isoformat(),
                              "effective_to": v.effective_to.isoformat() if v.effective_to else None,
                              "stance": v.stance or doc.stance, "sources": list(v.source_ids),
                              "rules": len(v.rules)} for v in doc.versions],
            })
        lines = [f"{'id':<18} {'level':<8} {'stance':<12} {'in force':<11} title"]
        for r in rows:
            lines.append(f"{r['id']:<18} {r['level']:<8} {r['stance']:<12} {r['in_force'] or '-':<11} {r['title']}")
        self._emit(options, {"policies": rows}, "\n".join(lines))

    # ---- show

    def _show(self, options: dict[str, Any]) -> None:
        registry = self._registry(options)
        pid = options["id"]
        if pid not in registry.policies:
            raise CommandError(f"unknown policy {pid!r}; known: {', '.join(sorted(registry.policies))}", returncode=2)
        doc = registry.policies[pid]
        versions = list(doc.versions)
        if options.get("at"):
            from datetime import date

            try:
                day = date.fromisoformat(options["at"])
            except ValueError as exc:
                raise CommandError(f"--at {options['at']!r} is not a date (YYYY-MM-DD)", returncode=2) from exc
            v = doc.version_at(day)
            versions = [v] if v else []
        self._emit(options, _doc_json(doc, versions), _doc_text(doc, versions))

    # ---- check

    def _check(self, options: dict[str, Any]) -> None:
        library = Path(options.get("library") or LIBRARY_DIR)
        results = []
        tables: dict[Path, dict[str, OffenceTable]] = {}
        whole = not options["files"]
        names = options["files"] or [str(p) for p in [*sorted(library.glob("*.yaml")),
                                                      *sorted((library / "offences").glob("*.yaml"))]]
        if whole and not names:
            raise CommandError(f"{library}: no policy files there", returncode=2)
        for name in names:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file", returncode=2)
            results.append(_check_one(path, library, tables))
        if whole and all(not r["problems"] for r in results):
            # each file is sound on its own; the library must also load as one (ids, places, composition)
            try:
                load_library(library)
            except PolicyError as exc:
                results.append({"file": str(library), "kind": "library", "id": None,
                                "problems": [{"file": p.file, "line": p.line, "message": p.message}
                                             for p in exc.problems]})
        ok = all(not r["problems"] for r in results)
        lines: list[str] = []
        for r in results:
            if r["problems"]:
                lines.extend(f"{p['file']}:{p['line']}: {p['message']}" for p in r["problems"])
            else:
                lines.append(f"{r['file']}: ok ({r['kind']} {r['id']})")
        self._emit(options, {"ok": ok, "files": results}, "\n".join(lines))
        if not ok:
            raise CommandError(f"{sum(len(r['problems']) for r in results)} problem(s) found", returncode=1)

    # ---- test

    def _test(self, options: dict[str, Any]) -> None:
        registry = self._registry(options)
        results = []
        for name in options["files"]:
            if not Path(name).is_file():
                raise CommandError(f"{name}: no such file", returncode=2)
            try:
                results.extend(run_file(name, registry, strict=options.get("strict", False)).results)
            except ScenarioFileError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        passed = sum(r.ok for r in results)
        failed = len(results) - passed
        lines = []
        for r in results:
            mark = "ok  " if r.ok else "FAIL"
            lines.append(f"{mark} {r.name}" + (f"  [{r.statute}]" if r.statute else ""))
            if not r.ok:
                if r.error:
                    lines.append(f"     {r.error}")
                else:
                    lines.append(f"     {r.file}:{r.line}")
                    for k in r.mismatches():
                        lines.append(f"     {k}: expected {_show(r.expected[k])}, got {_show(r.actual[k])}")
                    for reason in r.reasons:
                        if reason["holds"]:
                            lines.append(f"       - {reason['policy']} {reason['rule']}: {reason['detail']} [{reason['cite']}]")
        lines.append(f"{passed} passed, {failed} failed")
        payload = {"passed": passed, "failed": failed, "results": [r.to_dict() for r in results]}
        self._emit(options, payload, "\n".join(lines))
        if failed:
            raise CommandError(f"{failed} scenario(s) failed", returncode=1)


    # ---- changes

    def _changes(self, options: dict[str, Any]) -> None:
        since = _date_option(options.get("since"), "--since")
        registry = self._registry(options)
        found = history.changes(registry.policies.values(), since)
        lines = [f"{'date':<10}  {'policy':<18} {'place':<12} {'before':<12}    {'after':<12} source"]
        for c in found:
            mark = "->" if c.stance_changed else "=>"
            lines.append(
                f"{c.date.isoformat():<10}  {c.policy:<18} {','.join(c.jurisdictions):<12} "
                f"{c.stance_before or '(none)':<12} {mark} {c.stance_after or '(none)':<12} {c.source}"
            )
        sides = sum(c.stance_changed for c in found)
        lines.append(f"{len(found)} change(s) of version, {sides} of stance (-> stance changed, => same stance)")
        self._emit(options, {"since": since.isoformat() if since else None, "changes": [c.to_dict() for c in found]},
                   "\n".join(lines))

    # ---- stale

    def _stale(self, options: dict[str, Any]) -> None:
        days = options["days"]
        if days < 0:
            raise CommandError(f"--days {days}: must be 0 or more", returncode=2)
        registry = self._registry(options)
        today = clock.now().date()
        found = history.stale(registry.policies.values(), today, days)
        lines = [f"{s.checked_on.isoformat()}  {s.days_since:>5} days  {s.policy:<18} {s.source_id}: {s.cite}\n"
                 f"{'':>12}re-check at {_relative(s.file)}:{s.line}" for s in found]
        lines.append(f"{len(found)} source(s) not checked within {days} days of {today.isoformat()}")
        self._emit(options, {"today": today.isoformat(), "days": days, "stale": [s.to_dict() for s in found]},
                   "\n".join(lines))
        if found:
            raise CommandError(f"{len(found)} source(s) not checked within {days} days", returncode=1)


def _relative(path: str) -> str:
    """A policy file's path as a reviewer types it: relative to the working directory when under it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def _date_option(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{name} {value!r} is not a date (YYYY-MM-DD)", returncode=2) from exc


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _check_one(path: Path, library: Path, cache: dict[Path, dict[str, OffenceTable]]) -> dict[str, Any]:
    data, problems = read_yaml(path)
    kind = "offence table" if isinstance(data, dict) and "entries" in data else "policy"
    ident = data.get("id") if isinstance(data, dict) else None
    found: list[Problem] = list(problems)
    if not problems:
        try:
            if kind == "offence table":
                load_table(path)
            else:
                folder = path.resolve().parent
                if folder not in cache:
                    cache[folder] = _tables_for(path, library)
                load_policy(path, cache[folder])
        except PolicyError as exc:
            found = exc.problems
    return {
        "file": str(path),
        "kind": kind,
        "id": ident,
        "problems": [{"file": p.file, "line": p.line, "message": p.message} for p in found],
    }


def _tables_for(path: Path, library: Path) -> dict[str, OffenceTable]:
    """Offence tables a policy file may name: the library's, and those beside the file (its offences/)."""
    tables: dict[str, OffenceTable] = {}
    for folder in (library / "offences", path.resolve().parent / "offences"):
        for table_path in sorted(folder.glob("*.yaml")):
            try:
                t = load_table(table_path)
            except PolicyError:
                continue  # its own `check` reports it; an id that fails to load shows up as unknown
            tables.setdefault(t.id, t)
    return tables


def _doc_json(doc: PolicyDocument, versions: list[Any]) -> dict[str, Any]:
    return {
        "id": doc.id, "title": doc.title, "level": doc.level, "jurisdictions": list(doc.jurisdictions),
        "stance": doc.stance, "offence_tables": list(doc.offence_tables), "notes": doc.notes,
        "composition_cite": doc.composition_cite,
        "sources": [
            {"id": s.id, "kind": s.kind, "cite": s.cite, "url": s.url, "checked_on": s.checked_on.isoformat(),
             "note": s.note}
            for s in doc.sources
        ],
        "agreements_287g": [
            {"agency": a.agency, "model": a.model, "signed_on": a.signed_on.isoformat() if a.signed_on else None,
             "ended_on": a.ended_on.isoformat() if a.ended_on else None, "source": a.source,
             "uncertain": a.uncertain, "note": a.note}
            for a in doc.agreements_287g
        ],
        "versions": [
            {
                "effective_from": v.effective_from.isoformat(),
                "effective_to": v.effective_to.isoformat() if v.effective_to else None,
                "stance": v.stance or doc.stance, "sources": list(v.source_ids),
                "source": v.source, "settings": dict(v.settings), "defaults": dict(v.defaults),
                "rules": [
                    {"id": r.id, "title": r.title, "cite": r.cite, "when": r.when, "then": dict(r.then),
                     "because": r.because, "otherwise": r.otherwise, "uncertain": r.uncertain, "note": r.note}
                    for r in v.rules
                ],
            }
            for v in versions
        ],
    }


def _doc_text(doc: PolicyDocument, versions: list[Any]) -> str:
    out = [f"{doc.id}: {doc.title}", f"  level {doc.level}, stance {doc.stance}, jurisdictions {', '.join(doc.jurisdictions)}"]
    if doc.offence_tables:
        out.append(f"  offence tables: {', '.join(doc.offence_tables)}")
    if doc.notes:
        out.append("")
        out.extend("  " + line for line in doc.notes.rstrip().splitlines())
    for v in versions:
        out.append("")
        out.append(f"version {v.effective_from} to {v.effective_to or 'open'} ({v.stance or doc.stance}): {v.source}")
        if v.source_ids:
            out.append("  sources: " + "; ".join(
                f"{sid} ({src.kind}, checked {src.checked_on})" if (src := doc.source(sid)) else sid for sid in v.source_ids))
        if v.defaults:
            out.append("  defaults: " + ", ".join(f"{k}={_show(x)}" for k, x in v.defaults.items()))
        for r in v.rules:
            flag = " [UNCERTAIN]" if r.uncertain else ""
            out.append(f"  - {r.id}: {r.title}{flag}")
            out.append(f"      cite: {r.cite}")
            out.append(f"      when: {' '.join(r.when.split())}")
            out.append("      then: " + (", ".join(f"{k}={_show(x)}" for k, x in r.then.items()) or "(reason only)"))
            if r.note:
                out.append(f"      note: {r.note}")
    if not versions:
        out.append("\n(no version in force on that date)")
    return "\n".join(out)
