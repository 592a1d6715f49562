"""`handoff serve [--host H] [--port P] [--demo] [--no-worker]`: web, API and the notice worker."""

from __future__ import annotations

import errno
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.access.services import retire_demo_accounts


def waitress_options(host: str, port: int, threads: int) -> dict[str, Any]:
    """What `serve` hands waitress. Why the proxy options (security review M12): waitress drops
    X-Forwarded-* unless told which peer is the proxy, so behind a TLS-terminating proxy every request looked
    like plain http (redirect loop, no HSTS, CSRF refusing the https:// origin). With HANDOFF_TRUSTED_PROXY
    set, waitress takes the scheme, client address, host and port from that peer's headers only."""
    options: dict[str, Any] = {"host": host, "port": port, "threads": threads, "ident": "handoff",
                               "clear_untrusted_proxy_headers": True}
    proxy = str(getattr(settings, "HANDOFF_TRUSTED_PROXY", "") or "")
    if proxy:
        options.update(trusted_proxy=proxy, trusted_proxy_count=1,
                       trusted_proxy_headers={"x-forwarded-proto", "x-forwarded-for", "x-forwarded-host",
                                              "x-forwarded-port"})
    return options


class Command(BaseCommand):
    help = (
        "Serve the web pages, the API and (unless --no-worker) the notice worker.\n\n"
        "Example: handoff serve --host 127.0.0.1 --port 8000 --demo"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--demo", action="store_true", help="load the demo data set into an empty database")
        parser.add_argument("--no-worker", action="store_true", help="do not deliver notices from this process")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "USING_DEBUG_KEY", False) and not settings.DEBUG:
            # HANDOFF_TESTING lets tests and tools run without a key; it must not start a real service that
            # signs sessions and acknowledgement links with the key printed in the source (security review M13)
            raise CommandError("HANDOFF_SECRET_KEY is missing or weak; HANDOFF_TESTING does not allow serving "
                               "without one outside debug mode")
        _check_port(options["host"], options["port"])  # before setup's minutes of work, not after
        if not settings.BASE_URL_GIVEN:  # debug mode only (settings require it otherwise): link to this server
            settings.HANDOFF_BASE_URL = f"http://{options['host']}:{options['port']}"
        call_command("setup", verbosity=0)
        if not settings.DEBUG:
            retired = retire_demo_accounts()
            if retired:
                self.stdout.write(f"Demo accounts disabled outside debug mode: {', '.join(retired)}")
        call_command("collectstatic", interactive=False, verbosity=0)
        if options["demo"]:
            from handoff.ops import demo

            with transaction.atomic():
                loaded = demo.load_demo_if_empty()
            self.stdout.write("Demo data loaded." if loaded else "Database not empty; demo data not loaded.")
            if settings.DEBUG:
                names = ", ".join(name for name, _, _ in demo.DEMO_ACCOUNTS)
                self.stdout.write(
                    f"Demo accounts ({names}) use the password {demo.DEMO_PASSWORD!r}; "
                    "each enrols an authenticator app (TOTP) at first log-on."
                )
        stop = threading.Event()
        if not options["no_worker"]:
            from handoff.notices import worker

            thread = threading.Thread(target=worker.run_forever, kwargs={"stop": stop}, name="notice-worker", daemon=True)
            thread.start()
        from waitress import serve  # type: ignore[import-untyped]

        from handoff.wsgi import application

        self.stdout.write(f"Handoff on http://{options['host']}:{options['port']}/ (database: {settings.DATABASES['default']['NAME']})")
        try:
            serve(application, **waitress_options(options["host"], options["port"], options["threads"]))
        finally:
            stop.set()


def _check_port(host: str, port: int) -> None:
    """A busy port is told at once, as one line (handoff.cli turns EADDRINUSE into it), with the port named."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(errno.EADDRINUSE, f"{host}:{port} is already in use") from None
            raise
