"""The `handoff` console script: Handoff's own commands, and nothing else.

Why a curated front and not Django's `execute_from_command_line`: Django's list holds 40 commands an
operator should never run on a live Handoff (`flush` wipes the append-only audit log, `axes_reset` unlocks
accounts around the audited `handoff user unlock`, `createsuperuser` makes a user the actor layer cannot
place, `shell`/`dbshell` edit records with no audit entry). `migrate` runs inside `handoff setup` and
`collectstatic` inside `handoff serve`. Developers reach Django's commands through
`python -m django COMMAND --settings handoff.settings`.

Why management commands underneath: they get Django's settings, database connections and argument
parsing for free, and tests can call them with `call_command` without a subprocess.

The command line behaves: `--help` works with no configuration at all, and a missing
secret key, a bad database URL, an unreachable database or a busy port is one plain line on stderr and exit
status 2, never a traceback (`--traceback` shows it when you want it).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: The command list as `handoff help` prints it, grouped as in the README's "Command line tour".
#: A new management command must be listed here, or `tests/house/test_cli.py` fails: the front runs
#: only what this table names.
GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Set up and run", [
        ("setup", "create or bring the database up to date; load jurisdictions, policies and offence tables"),
        ("serve", "serve the pages, the API and the notice worker"),
        ("worker", "deliver notices (and run the daily jobs) without serving pages"),
    ]),
    ("Places and offices", [
        ("jurisdiction", "list jurisdictions; set one confidential"),
        ("facility", "add and list facilities (jails)"),
        ("office", "add and list federal offices, their webhooks, e-mail and coverage"),
    ]),
    ("Records and decisions", [
        ("ingest", "take in bookings, charges, convictions, releases and requests (CSV, JSONL, column maps)"),
        ("people", "the same person across jails: link, review, confirm, reject, export"),
        ("requests", "re-decide open requests (the worker does this daily)"),
        ("decision", "show a request's decision: every rule, its citation and whether it held"),
        ("holds", "live holds: upcoming, holding, expired (release now), no release time"),
        ("notices", "list notices by status and due time; the ones at risk"),
        ("letters", "letters to the person and the attorney: list, record a hand-over, write a PDF"),
    ]),
    ("The law", [
        ("policy", "list, show and validate policy documents; run scenarios; changes and stale sources"),
        ("collection", "fields a place's law forbids keeping (place of birth...): what is held, and purge"),
    ]),
    ("Evidence and reports", [
        ("report", "statutory filings (il-trust, ca-transfers, ca-truth, or-declined, fl-287g), "
                   "re-arrest and custody time"),
        ("whatif", "what a request would have met under another law or date"),
    ]),
    ("Users and the audit log", [
        ("user", "accounts: add, list, unlock, enable, disable, reset MFA"),
        ("token", "API tokens: create, list, revoke"),
        ("audit", "verify the audit log's hash chain; export it"),
    ]),
]

COMMANDS: frozenset[str] = frozenset(name for _, rows in GROUPS for name, _ in rows)
HELP_FLAGS = frozenset({"-h", "--help"})
#: stands in for the configuration while only help is printed: help never opens the database
_HELP_ONLY_ENV = {"HANDOFF_DEBUG": "1", "HANDOFF_DATABASE_URL": "sqlite:///:memory:", "HANDOFF_EMAIL_URL": ""}


def overview() -> str:
    lines = ["Usage: handoff COMMAND [options]    (handoff help COMMAND, or handoff COMMAND --help)", ""]
    width = max(len(name) for name in COMMANDS)
    for title, rows in GROUPS:
        lines.append(f"{title}:")
        lines.extend(f"  {name.ljust(width)}  {summary}" for name, summary in rows)
        lines.append("")
    lines.append("Every command has --help with an example; commands that report a result take --json.")
    lines.append("Exit status: 0 done, 1 done but something failed, 2 usage or configuration error.")
    return "\n".join(lines) + "\n"


def _fail(message: str) -> None:
    sys.stderr.write(f"handoff: {message}\n")
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in HELP_FLAGS or args == ["help"]:
        sys.stdout.write(overview())
        return
    if args[0] == "help":
        args = [args[1], "--help"]
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        _fail(f"unknown command {name!r}; `handoff help` lists the commands")
    if HELP_FLAGS & set(rest):
        os.environ.update(_HELP_ONLY_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    try:
        _run(name, rest)
    except Exception as exc:  # only the environment's failures are caught; everything else is re-raised
        message = _plain(exc)
        if message is None or "--traceback" in rest:
            raise
        _fail(message)


def _run(name: str, rest: list[str]) -> None:
    import django
    from django.core.management import get_commands, load_command_class
    from django.core.management.base import CommandParser, DjangoHelpFormatter

    class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
        pass

    django.setup()
    command = load_command_class(get_commands()[name], name)
    plain = command.create_parser

    def create_parser(prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # keep the line breaks of each command's examples (Django's formatter reflows them into one line)
        return plain(prog_name, subcommand, formatter_class=_HelpFormatter, **kwargs)

    command.create_parser = create_parser  # type: ignore[method-assign]
    command.run_from_argv(["handoff", name, *rest])


def _plain(exc: BaseException) -> str | None:
    """The one line for a failure of the environment (configuration, database, port), or None."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError, InterfaceError

    if isinstance(exc, ImproperlyConfigured):
        return str(exc).splitlines()[0] if str(exc) else "the configuration is incomplete"
    if isinstance(exc, DatabaseError) and _no_tables(exc):
        return "the database has no Handoff tables yet; run `handoff setup` first"
    if isinstance(exc, (InterfaceError, DatabaseError)) and _unreachable(exc):
        first = (str(exc).strip().splitlines() or ["no answer"])[0]
        return f"cannot reach the database named by HANDOFF_DATABASE_URL: {first}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return f"{exc.strerror}; choose another with --port"
    return None


def _no_tables(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _unreachable(exc: BaseException) -> bool:
    """Connection failures only: a failing query inside a running command is a bug and keeps its traceback."""
    from django.db import OperationalError

    text = str(exc).lower()
    return isinstance(exc, OperationalError) and any(
        phrase in text for phrase in ("connect", "unable to open database", "could not translate host",
                                      "connection refused", "does not exist", "password authentication",
                                      "no such host", "timeout expired"))


@contextmanager
def progress_bar(enabled: bool, steps: int | None, label: str = "working") -> Iterator[Callable[..., None]]:
    """A rich progress bar on a terminal's stderr for long imports, reports and linkage; nothing when
    `enabled` is false (`--json`) or stderr is not a terminal, so piped output and JSON stay clean.

    Yields `step(description=None, advance=1, total=None)`: each call moves the bar; `total` sets the
    length once it is known (an import knows its row count only after reading the file).
    """
    if not enabled or not sys.stderr.isatty():
        yield lambda *_a, **_k: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=steps)

        def step(description: str | None = None, advance: float = 1, total: float | None = None) -> None:
            if total is not None:
                bar.update(task, total=total)
            if description is None:
                bar.update(task, advance=advance)
            else:
                bar.update(task, description=description, advance=advance)

        yield step


if __name__ == "__main__":
    main()
