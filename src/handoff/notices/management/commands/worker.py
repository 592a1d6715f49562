"""`handoff worker [--once] [--json]`: deliver due notices."""

from __future__ import annotations

import json
import os
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from handoff.core import clock
from handoff.notices.models import Delivery, DeliveryStatus
from handoff.notices.worker import Worker, run_threads, supervise


class Command(BaseCommand):
    help = (
        "Deliver due notices to federal offices (webhook, e-mail), retry with backoff, escalate what is late "
        "or unacknowledged. Runs until stopped (SIGTERM/SIGINT); several workers may run at once.\n\n"
        "Example: handoff worker            # run until stopped\n"
        "         handoff worker --once --json   # deliver everything due now, then exit\n"
        "         handoff worker --processes 4   # four forked workers, each restarted if it dies"
    )
    # a worker restarts often (deploys, crashes); URL and admin checks belong to `serve`, not here
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver everything due now, then exit")
        parser.add_argument("--json", action="store_true", help="print a JSON summary (with --once)")
        parser.add_argument("--processes", type=int, default=1,
                            help="run this many worker processes (forked, restarted when one dies)")
        parser.add_argument("--threads", type=int, default=settings.HANDOFF_WORKER_THREADS,
                            help="senders per process, each serving a different office at a time "
                                 "(default HANDOFF_WORKER_THREADS, 2)")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.USING_DEBUG_KEY and not settings.DEBUG and not settings.UNDER_PYTEST:
            # the worker signs one-click acknowledgement links and keys the confidential labels in every
            # payload with the secret key; HANDOFF_TESTING must not let it run on the key printed in the
            # source (security review M13; `serve` refuses the same)
            raise CommandError("HANDOFF_SECRET_KEY is missing or weak; HANDOFF_TESTING does not allow the "
                               "notice worker to run without one outside debug mode", returncode=2)
        stop = threading.Event()
        worker = Worker(stop=stop)
        if options["once"]:
            report = worker.run_once()
            left = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=clock.now()).count()
            failed_now = Delivery.objects.filter(status=DeliveryStatus.PENDING, due_at__lte=clock.now()).count()
            result = {"attempted": report.attempted, "delivered": report.delivered, "failed_attempts": report.failed,
                      "escalated": report.escalated, "gave_up": report.gave_up, "due_not_delivered": failed_now,
                      "claimable_now": left}
            if options["json"]:
                self.stdout.write(json.dumps(result))
            else:
                self.stdout.write(f"Delivered {report.delivered} of {report.attempted} attempted; "
                                  f"{report.failed} attempts failed; {failed_now} due and not delivered.")
            if report.failed or report.gave_up:
                raise CommandError("some deliveries failed (they will be retried)", returncode=1)
            return

        def _stop(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        if options["processes"] < 1 or options["threads"] < 1:
            raise CommandError("--processes and --threads must be at least 1", returncode=2)
        if options["processes"] > 1:
            self.stdout.write(f"Notice worker supervisor {os.getpid()} running {options['processes']} workers; "
                              "stop with Ctrl-C.")
            self.stdout.flush()
            supervise(options["processes"], stop, threads=options["threads"])
            return
        self.stdout.write(f"Notice worker {worker.owner} running ({options['threads']} senders); "
                          "stop with Ctrl-C.")
        self.stdout.flush()
        run_threads(options["threads"], stop)
