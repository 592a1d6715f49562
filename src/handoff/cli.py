"""The `handoff` console script: a thin front over Django management commands.

Why management commands underneath: they get Django's settings, database connections and argument
parsing for free, and tests can call them with `call_command` without a subprocess.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["handoff", *args])


if __name__ == "__main__":
    main()
