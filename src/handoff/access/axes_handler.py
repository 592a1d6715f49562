"""django-axes with a 15-minute window: 5 failed log-ons within 15 minutes lock the account from that address
until the lock expires (HANDOFF_LOCKOUT_MINUTES) or an admin unlocks it.

Why a handler: axes counts failures since the last success or reset and has no window of its own (its
AXES_COOLOFF_TIME ends a lockout; it does not age failures). Before axes records a failure we set the
account's running count to the failures of the last 15 minutes (from axes' own failure log), so axes' count
is exactly "failures in the window, including this one". Once the limit is reached we stop adjusting: the
lockout stays until axes' cool-off (AXES_COOLOFF_TIME, from HANDOFF_LOCKOUT_MINUTES) ends it or `handoff user
unlock NAME` (or the admin's Unlock action) resets it; failures up to that lockout never count again.
Everything is counted per account *and address* (security review L1): guesses from one place cannot lock the
owner out from another.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from handoff.core import clock


def failure_window() -> timedelta:
    return timedelta(minutes=int(settings.HANDOFF_LOCKOUT_WINDOW_MINUTES))


class WindowedAxesHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender: Any, credentials: dict, request: HttpRequest | None = None,
                          **kwargs: Any) -> None:
        if request is not None:
            username = get_client_username(request, credentials)
            if username:
                self._age_failures(request, credentials, username)
        super().user_login_failed(sender, credentials, request, **kwargs)

    def _age_failures(self, request: HttpRequest, credentials: dict, username: str) -> None:
        limit = get_failure_limit(request, credentials)
        ip = getattr(request, "axes_ip_address", None)
        with transaction.atomic():
            attempts = list(AccessAttempt.objects.select_for_update().filter(username=username, ip_address=ip))
            total = sum(a.failures_since_start for a in attempts)
            if total >= limit:
                return  # locked: only an unlock clears it
            floor = clock.now() - failure_window()
            from handoff.access.models import Account

            account = Account.objects.select_related("user").filter(user__username=username).first()
            if account is not None:
                for marker in (account.unlocked_at, account.user.last_login):
                    if marker is not None and marker > floor:
                        floor = marker
            # failures up to the last lockout were cleared by whoever unlocked it (command or admin site)
            last_lock = (AccessFailureLog.objects.filter(username=username, ip_address=ip, locked_out=True)
                         .order_by("-id").values_list("id", flat=True).first() or 0)
            recent = AccessFailureLog.objects.filter(username=username, ip_address=ip, attempt_time__gte=floor,
                                                     id__gt=last_lock).count()
            if recent == total:
                return
            AccessAttempt.objects.filter(username=username, ip_address=ip).delete()
            if recent:
                AccessAttempt.objects.create(
                    username=username,
                    ip_address=ip,
                    user_agent=getattr(request, "axes_user_agent", "") or "",
                    get_data="", post_data="",
                    http_accept=getattr(request, "axes_http_accept", "") or "",
                    path_info=getattr(request, "axes_path_info", "") or "",
                    failures_since_start=recent,
                    attempt_time=getattr(request, "axes_attempt_time", None) or clock.now(),
                )
