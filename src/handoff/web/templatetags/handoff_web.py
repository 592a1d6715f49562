"""Template tags for the layout: the header with the navigation of the user's role, times, countdowns."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from handoff.core import clock, vocab
from handoff.web import timefmt
from handoff.web.nav import nav_for, role_label

register = template.Library()
log = logging.getLogger(__name__)


def _url(name: str, default: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return default


@register.inclusion_tag("web/_header.html", takes_context=True)
def handoff_header(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    path = getattr(request, "path", "")
    return {
        "user": user,
        "nav": nav_for(request, path) if request is not None else [],
        "role_label": role_label(request) if request is not None else "",
        "login_url": _url("access:login", settings.LOGIN_URL),
        "logout_url": _url("access:logout", "/logout/"),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def request_link(request_id: str, css_class: str = "") -> SafeString:
    """A link to a request's page, or the id as plain text when it has no address (an id stored before the
    one identifier shape of core.ids, e.g. with a slash). Why: one bad row took the jail dashboard down for a
    whole county (review H5); a page never fails because of one row, and the row is logged so it is fixed."""
    try:
        href = reverse("web:request_detail", args=[request_id])
    except NoReverseMatch:
        log.warning("request id %r has no web address; shown as text", request_id)
        return format_html('<span class="{}" data-bad-id>{}</span>', css_class, request_id)
    if css_class:
        return format_html('<a class="{}" href="{}">{}</a>', css_class, href, request_id)
    return format_html('<a href="{}">{}</a>', href, request_id)


@register.simple_tag
def safe_url(name: str, *args: Any) -> str:
    """`{% url %}` that answers "" (and logs) instead of failing the whole page when one row's id has no
    address (review H5). For form actions and links built from stored identifiers."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        log.warning("no web address for %s%r; the row is shown without it", name, args)
        return ""


@register.simple_tag
def idle_seconds() -> int:
    return int(getattr(settings, "SESSION_IDLE_SECONDS", 30 * 60))


@register.simple_tag
def countdown(due: datetime | None, at_risk_seconds: int = 0) -> SafeString | str:
    """A <time> that reads correctly without JavaScript and is kept live by handoff.js."""
    if due is None:
        return "—"
    return format_html(
        '<time data-countdown datetime="{}" data-at-risk-seconds="{}" class="{}">{}</time>',
        due.isoformat().replace("+00:00", "Z"),
        at_risk_seconds,
        _countdown_class(due, at_risk_seconds),
        timefmt.countdown_words(due, clock.now()),
    )


def _countdown_class(due: datetime, at_risk_seconds: int) -> str:
    left = (due - clock.now()).total_seconds()
    if left < 0:
        return "handoff-countdown--overdue"
    if at_risk_seconds and left <= at_risk_seconds:
        return "handoff-countdown--at-risk"
    return ""


@register.filter
def localtime_in(dt: datetime | None, tz: str | None) -> str:
    return timefmt.local(dt, tz)


@register.filter
def words(seconds: float | None) -> str:
    return "—" if seconds is None else timefmt.duration_words(seconds)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def labelled(values: Any, labels: Any) -> list[tuple[Any, Any]]:
    """(label, value) pairs: a stacked table's body cells take their data-label from the header loop's
    labels (`{% for y, v in values|labelled:years %}`), which a nested loop cannot see otherwise."""
    return list(zip(list(labels or []), list(values or []), strict=False))


@register.filter
def count(value: int | None) -> str:
    """A published count: hidden counts read as a marker explained in the page's notes."""
    return "hidden" if value is None else f"{value:,}"


@register.filter
def field_label(name: str) -> str:
    return str(name).replace("_", " ").capitalize()


@register.filter
def cell(cells: Any, row: Any) -> dict[Any, Any]:
    """`table.cells|cell:row|get_item:month` -> the value of one cell of a ProtectedTable."""
    return {col: value for (r, col), value in cells.items() if r == row}


@register.filter
def status_class(status: str) -> str:
    from handoff.web.views.common import status_tag

    return status_tag(status)


@register.filter
def trigger_words(trigger: str | None) -> str:
    """What made the law decide again, in words ("a conviction was added"), never the stored code."""
    return vocab.trigger_words(trigger or "")
