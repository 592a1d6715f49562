"""The one object that says who is asking: a logged-on user, an API token, the public, or the system.

Why one type for users and tokens: the scoping layer and the audit log must not care how someone proved
who they are, only what they may see; a token simply carries a (possibly narrower) copy of its owner's
scope.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

from handoff.access.models import GLOBAL_ROLES, Account, Membership, Role
from handoff.core.errors import NotFound
from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction

if TYPE_CHECKING:
    from django.http import HttpRequest


WRITER_ROLES = frozenset({Role.JAIL_CLERK, Role.JAIL_SUPERVISOR, Role.FEDERAL_OFFICER, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    kind: str
    role: str | None = None
    user_id: int | None = None
    username: str = ""
    token_prefix: str = ""
    facility_ids: frozenset[int] = field(default_factory=frozenset)
    jurisdiction_ids: frozenset[int] = field(default_factory=frozenset)
    office_ids: frozenset[int] = field(default_factory=frozenset)
    covered_ids: frozenset[int] = field(default_factory=frozenset)
    ip: str = ""
    internal: bool = False

    @cached_property
    def home_ids(self) -> frozenset[int]:
        """The jurisdictions the actor is staff of: its jurisdiction memberships, and the county (and city)
        of each facility it belongs to. Computed when first needed (only confidential labels need it)."""
        home = set(self.jurisdiction_ids)
        if self.facility_ids:

            for j, c in Facility.objects.filter(pk__in=self.facility_ids).values_list("jurisdiction_id", "city_id"):
                home.add(j)
                if c is not None:
                    home.add(c)
        return frozenset(home)

    @cached_property
    def place_facility_ids(self) -> frozenset[int]:
        """Every facility a place role (jail staff, county counsel) may read: its facility memberships and the
        jails of its jurisdictions (as county or city). Why resolved to ids once: a filter on a literal list of
        facility ids lets the database drive a query from whichever index is selective (a rare notice status,
        the newest decisions), where a filter through joined places or a subquery pins it to the places."""
        ids = set(self.facility_ids)
        if self.jurisdiction_ids:
            from django.db.models import Q

            ids.update(Facility.objects.filter(
                Q(jurisdiction_id__in=self.jurisdiction_ids) | Q(city_id__in=self.jurisdiction_ids)
            ).values_list("pk", flat=True))
        return frozenset(ids)

    @property
    def is_global(self) -> bool:
        return self.internal or self.role in GLOBAL_ROLES

    @property
    def can_write(self) -> bool:
        return self.internal or self.role in WRITER_ROLES

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def who(self) -> str:
        """The identity written to the audit log."""
        if self.kind == "token":
            return f"{self.username}/token:{self.token_prefix}"
        if self.kind == "anonymous":
            return "anonymous"
        return self.username

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @classmethod
    def system(cls, name: str = "") -> Actor:
        """Commands, the worker and ingest: global, named after the OS user and the tool."""
        try:
            user = getpass.getuser()
        except Exception:  # no passwd entry in some containers
            user = "unknown"
        who = f"system:{user}" + (f":{name}" if name else "")
        return cls(kind="system", username=who, ip=f"cli@{socket.gethostname()}"[:80], internal=True)


ANONYMOUS = Actor(kind="anonymous")


def anonymous(ip: str = "") -> Actor:
    return Actor(kind="anonymous", ip=ip)


def _client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR: behind a proxy, the proxy must set it (waitress trusted_proxy, or SECURE_PROXY_SSL_HEADER
    deployments); we do not trust X-Forwarded-For from the client itself."""
    return str(request.META.get("REMOTE_ADDR", ""))[:80]


def expand_jurisdictions(ids: Iterable[int]) -> frozenset[int]:
    """A membership of a state covers its counties (and their cities): two levels down."""
    from django.db.models import Q

    ids = list(ids)
    if not ids:
        return frozenset()
    found = Jurisdiction.objects.filter(
        Q(pk__in=ids) | Q(parent_id__in=ids) | Q(parent__parent_id__in=ids)
    ).values_list("pk", flat=True)
    return frozenset(found)


def build_actor(
    *, kind: str, role: str, user_id: int | None, username: str, token_prefix: str = "",
    facility_ids: Iterable[int] = (), jurisdiction_ids: Iterable[int] = (), office_ids: Iterable[int] = (),
    ip: str = "",
) -> Actor:
    """Turn memberships (as ids) into the expanded sets the scoping layer reads."""

    facility_ids = frozenset(facility_ids)
    office_ids = frozenset(office_ids)
    jurisdictions = expand_jurisdictions(jurisdiction_ids)
    covered: frozenset[int] = frozenset()
    if office_ids:
        covered = expand_jurisdictions(
            FederalOffice.covers.through.objects.filter(federaloffice_id__in=office_ids).values_list(
                "jurisdiction_id", flat=True
            )
        )
    return Actor(
        kind=kind, role=role, user_id=user_id, username=username, token_prefix=token_prefix,
        facility_ids=facility_ids, jurisdiction_ids=jurisdictions, office_ids=office_ids, covered_ids=covered,
        ip=ip,
    )


def actor_for_office(office: FederalOffice) -> Actor:
    """The reader a federal office is when something is sent to it (webhook, e-mail, export): a federal
    officer of that office alone. Why: an outbound body is built for its recipient through the same scoping
    and labels as the office's pages (security review H1)."""
    return build_actor(kind="office", role=Role.FEDERAL_OFFICER, user_id=None, username=f"office:{office.code}",
                       office_ids=[office.pk])


def actor_for_user(user: object, ip: str = "") -> Actor:
    """A logged-on user. A user without an access account (or disabled) is treated as anonymous."""

    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return anonymous(ip)
    try:
        account = Account.objects.get(user_id=user.pk)  # type: ignore[attr-defined]
    except Account.DoesNotExist:
        return anonymous(ip)
    if account.disabled_at is not None:
        return anonymous(ip)
    memberships = list(Membership.objects.filter(account=account).values_list("facility_id", "jurisdiction_id",
                                                                               "office_id"))
    return build_actor(
        kind="user", role=account.role, user_id=user.pk, username=user.get_username(),  # type: ignore[attr-defined]
        facility_ids=[f for f, _, _ in memberships if f],
        jurisdiction_ids=[j for _, j, _ in memberships if j],
        office_ids=[o for _, _, o in memberships if o],
        ip=ip,
    )


def actor_for_request(request: HttpRequest) -> Actor:
    """The actor of a page request (session user), cached on the request. API routes set request.actor
    from the bearer token before the view runs."""
    cached = getattr(request, "actor", None)
    if isinstance(cached, Actor):
        return cached
    user = getattr(request, "user", None)
    ip = _client_ip(request)
    actor = anonymous(ip)
    if user is not None and getattr(user, "is_authenticated", False):
        verified = getattr(user, "is_verified", None)
        if callable(verified) and verified():
            actor = actor_for_user(user, ip)
    request.actor = actor  # type: ignore[attr-defined]
    return actor


SYSTEM = Actor(kind="system", username="system", ip="local", internal=True)


def for_command(username: str, tool: str) -> Actor:
    """The actor a command runs as: the named user (`--as NAME`: scoped to their places, as on the pages and
    the API), or the system (global) when no name is given. Why a command may act as a user: a clerk at the
    terminal must see what the pages would show them, and the audit log must name them."""
    if not username:
        return Actor.system(tool)
    user = get_user_model().objects.filter(username=username).first()
    actor = actor_for_user(user) if user is not None else ANONYMOUS
    if not actor.is_authenticated:
        raise NotFound(f"no active account {username!r} (see `handoff user list`)")
    return replace(actor, ip=f"cli@{socket.gethostname()}"[:80])
