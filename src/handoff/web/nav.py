"""The navigation each role sees. Why per role: a clerk's day starts at the jail dashboard, an officer's at
the office dashboard; showing links a role cannot open only produces 403s."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from handoff.access.actor import actor_for_request

ROLE_LABELS = {
    "jail_clerk": "Records clerk",
    "jail_supervisor": "Jail supervisor",
    "federal_officer": "Federal officer",
    "county_counsel": "County counsel",
    "auditor": "Auditor",
    "admin": "Administrator",
}
JAIL_ROLES = {"jail_clerk", "jail_supervisor", "county_counsel", "auditor", "admin"}
OFFICE_ROLES = {"federal_officer", "auditor", "admin"}


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def current_role(request: HttpRequest) -> str | None:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return None

    return actor_for_request(request).role


def role_label(request: HttpRequest) -> str:
    role = current_role(request)
    return ROLE_LABELS.get(role or "", "")


def nav_for(request: HttpRequest, path: str) -> list[NavItem]:
    role = current_role(request)
    items: list[tuple[str, str]] = []
    if role in JAIL_ROLES:
        items.append(("Jail dashboard", reverse("web:jail")))
    if role in ("jail_clerk", "jail_supervisor", "admin"):
        items.append(("Enter a request", reverse("web:request_new")))
    if role in ("jail_clerk", "jail_supervisor", "auditor", "admin"):
        items.append(("People to review", reverse("web:people_review")))
    if role in OFFICE_ROLES:
        items.append(("Office dashboard", reverse("web:office")))
    if role in ("federal_officer", "admin"):
        items.append(("All requests", reverse("web:office_requests")))
    if role in ("county_counsel", "jail_supervisor", "auditor", "admin"):
        items.append(("Overrides", reverse("web:overrides")))
    if role in ("county_counsel", "auditor", "admin"):
        items.append(("Audit log", reverse("access:audit_log")))
    items.append(("The law in force", reverse("web:policies")))
    items.append(("Transparency", reverse("web:transparency")))
    if role == "admin":
        items.append(("Administration", "/admin/"))
    return [NavItem(label, url, path == url or (url != "/" and path.startswith(url))) for label, url in items]
