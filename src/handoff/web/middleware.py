"""A page answered while the database is busy.

Why: on SQLite one writer holds the lock; a long import can hold it past the busy timeout, and every page
that writes (each read of a person is audited, so nearly every page) then failed with a 500 and a logged
traceback, as if Handoff had a bug (security review M11: the API answers 503 with Retry-After; pages did
not). A busy database is a moment to wait, and says so: 503, Retry-After, a short page, one log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
BUSY_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{seconds}"><title>Busy - Handoff</title></head>
<body><main><h1>Handoff is busy for a moment</h1>
<p>Another job (an import, most likely) is writing to the database. Nothing was lost and nothing you sent was
saved twice: this page will try again in {seconds} seconds. If you submitted a form, check the result before
sending it again.</p></main></body></html>
"""


def is_lock_error(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database table is locked"."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


class DatabaseBusyMiddleware:
    """Turns a lock timeout on a page into a 503 with Retry-After (the API has its own handler)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_lock_error(exc):
            return None
        log.warning("page %s %s: database is locked; answered 503", request.method, request.path)
        response = HttpResponse(BUSY_PAGE.format(seconds=RETRY_AFTER_SECONDS), status=503,
                                content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
