"""Accounts, memberships, API tokens and the log-on rules around them. Callers open the transaction; every
change of rights is written to the audit log in it.

Why tokens are shown once: only their SHA-256 digest is stored, so the database cannot give them back.
Why inactive accounts are disabled rather than deleted: the audit log keeps pointing at them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from handoff.access.actor import SYSTEM, Actor, build_actor
from handoff.access.models import GLOBAL_ROLES, Account, ApiToken, Membership, Role
from handoff.access.passwords import DEMO_ACCOUNT_NAMES, DEMO_PASSWORD
from handoff.audit import record
from handoff.core import clock
from handoff.core.errors import Conflict, InvalidInput, NotFound
from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction

TOKEN_PREFIX = "hnd_"
DEFAULT_TOKEN_DAYS = 90


def inactive_days() -> int:
    """CJIS: accounts unused this long are disabled (HANDOFF_INACTIVE_DAYS, 90)."""
    from django.conf import settings

    return int(settings.HANDOFF_INACTIVE_DAYS)


@dataclass(frozen=True)
class Places:
    jurisdictions: tuple[int, ...] = ()
    facilities: tuple[int, ...] = ()
    offices: tuple[int, ...] = ()


def _resolve_places(jurisdictions: Iterable[str], facilities: Iterable[str], offices: Iterable[str]) -> Places:

    def lookup(model: type, field: str, values: Iterable[str], what: str) -> tuple[int, ...]:
        ids = []
        for value in values:
            pk = model.objects.filter(**{field: value}).values_list("pk", flat=True).first()  # type: ignore[attr-defined]
            if pk is None:
                raise NotFound(f"{what} {value!r} is not registered", )
            ids.append(pk)
        return tuple(dict.fromkeys(ids))

    return Places(
        jurisdictions=lookup(Jurisdiction, "fips", jurisdictions, "jurisdiction"),
        facilities=lookup(Facility, "code", facilities, "facility"),
        offices=lookup(FederalOffice, "code", offices, "federal office"),
    )


def _check_places(role: str, places: Places) -> None:
    if role in GLOBAL_ROLES:
        if places.jurisdictions or places.facilities or places.offices:
            raise InvalidInput(f"role {role} is not limited to places: give no --jurisdiction/--facility/--office")
    elif role == Role.FEDERAL_OFFICER:
        if not places.offices or places.jurisdictions or places.facilities:
            raise InvalidInput("a federal_officer belongs to one or more offices (--office CODE), nothing else")
    elif role == Role.COUNTY_COUNSEL:
        if not places.jurisdictions or places.offices or places.facilities:
            raise InvalidInput("county_counsel belongs to one or more jurisdictions (--jurisdiction FIPS)")
    else:
        if not (places.jurisdictions or places.facilities) or places.offices:
            raise InvalidInput(f"{role} belongs to facilities (--facility CODE) or jurisdictions (--jurisdiction FIPS)")


def create_user(
    actor: Actor,
    username: str,
    role: str,
    *,
    jurisdictions: Sequence[str] = (),
    facilities: Sequence[str] = (),
    offices: Sequence[str] = (),
    password: str | None = None,
    email: str = "",
) -> AbstractBaseUser:
    """A new account with one role and its places. Without a password the account cannot log on
    interactively (a service account for API tokens)."""
    if role not in Role.values:
        raise InvalidInput(f"role {role!r} is not one of {', '.join(Role.values)}", "role")
    username = username.strip()
    if not username or len(username) > 150:
        raise InvalidInput("the account name must be 1 to 150 characters", "name")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise Conflict(f"account {username!r} already exists")
    places = _resolve_places(jurisdictions, facilities, offices)
    _check_places(role, places)
    user = User(username=username, email=email, is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), "password") from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    now = clock.now()
    account = Account.objects.create(user=user, role=role, created_at=now)
    Membership.objects.bulk_create(
        [Membership(account=account, jurisdiction_id=j, created_at=now) for j in places.jurisdictions]
        + [Membership(account=account, facility_id=f, created_at=now) for f in places.facilities]
        + [Membership(account=account, office_id=o, created_at=now) for o in places.offices]
    )
    record(actor, "permission.account_create", object_type="user", object_ids=[user.pk],
           detail={"role": role, "jurisdictions": list(jurisdictions), "facilities": list(facilities),
                   "offices": list(offices), "interactive": password is not None})
    return user


def get_account(username: str) -> Account:
    account = Account.objects.select_related("user").filter(user__username=username).first()
    if account is None:
        raise NotFound(f"account {username!r} not found")
    return account


def set_password(actor: Actor, username: str, password: str) -> None:
    account = get_account(username)
    try:
        validate_password(password, account.user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), "password") from None
    account.user.set_password(password)
    account.user.save(update_fields=["password"])
    record(actor, "permission.password_set", object_type="user", object_ids=[account.user_id])


def disable(actor: Actor, username: str, reason: str) -> Account:
    account = get_account(username)
    _disable(account, reason)
    record(actor, "permission.account_disable", object_type="user", object_ids=[account.user_id],
           detail={"reason": reason})
    return account


def _disable(account: Account, reason: str) -> None:
    account.disabled_at = clock.now()
    account.disabled_reason = reason[:200]
    account.save(update_fields=["disabled_at", "disabled_reason"])
    user = account.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())


def enable(actor: Actor, username: str) -> Account:
    """Re-enable an account (after inactivity or a manual disable). Its old tokens stay revoked."""
    account = get_account(username)
    account.disabled_at = None
    account.disabled_reason = ""
    # the 90-day clock restarts now, or the next log-on would disable it again
    account.created_at = clock.now()
    account.save(update_fields=["disabled_at", "disabled_reason", "created_at"])
    user = account.user
    user.is_active = True
    user.last_login = None
    user.save(update_fields=["is_active", "last_login"])
    record(actor, "permission.account_enable", object_type="user", object_ids=[account.user_id])
    return account


def last_use(account: Account) -> datetime:
    """When the account was last used: last log-on, or its creation (or re-enabling) if never since."""
    last = account.user.last_login
    return max(last, account.created_at) if last else account.created_at


def inactive_too_long(account: Account, at: datetime | None = None, days: int | None = None) -> bool:
    return (at or clock.now()) - last_use(account) > timedelta(days=days or inactive_days())


def disable_inactive(actor: Actor, days: int | None = None) -> list[str]:
    """Disable every enabled account unused for more than `days` days (CJIS: inactive accounts).
    Token use counts as use for service accounts without a password."""
    now = clock.now()
    days = days or inactive_days()
    disabled = []
    for account in Account.objects.select_related("user").filter(disabled_at__isnull=True, user__is_active=True):
        if not inactive_too_long(account, now, days):
            continue
        if not account.user.has_usable_password() and ApiToken.objects.filter(
            user=account.user, revoked_at__isnull=True, expires_at__gt=now
        ).exists():
            continue  # a service account whose live token is its use
        _disable(account, f"unused for more than {days} days")
        record(actor, "permission.account_disable", object_type="user", object_ids=[account.user_id],
               detail={"reason": "inactive", "days": days})
        disabled.append(account.user.get_username())
    return disabled


def unlock(actor: Actor, username: str) -> int:
    """Clear a log-on lockout (django-axes) so the account may try again; failures before now no longer count."""
    from axes.utils import reset

    account = get_account(username)
    count = int(reset(username=username) or 0)
    account.unlocked_at = clock.now()
    account.save(update_fields=["unlocked_at"])
    record(actor, "permission.account_unlock", object_type="user", object_ids=[account.user_id],
           detail={"attempts_cleared": count})
    return count


def retire_demo_accounts(actor: Actor | None = None) -> list[str]:
    """Outside debug mode the demo accounts never exist (security review L10): an account named like a demo
    account that still has the published demo password is disabled and its password made unusable, before
    anyone can log on with it and enrol their own authenticator. Run by `serve` at start outside debug."""
    retired = []
    for user in get_user_model().objects.filter(username__in=DEMO_ACCOUNT_NAMES):
        if not user.has_usable_password() or not user.check_password(DEMO_PASSWORD):
            continue
        with transaction.atomic():
            user.set_unusable_password()
            user.save(update_fields=["password"])
            account = Account.objects.filter(user=user).first()
            if account is not None and account.disabled_at is None:
                _disable(account, "demo account outside debug mode")
            record(actor or SYSTEM, "permission.account_disable", object_type="user", object_ids=[user.pk],
                   detail={"reason": "demo account outside debug mode"})
        retired.append(user.get_username())
    return retired


def reset_mfa(actor: Actor, username: str) -> int:
    """Remove the account's TOTP devices: the next log-on enrols a new one (lost phone)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    account = get_account(username)
    count, _ = TOTPDevice.objects.filter(user=account.user).delete()
    record(actor, "permission.mfa_reset", object_type="user", object_ids=[account.user_id])
    return count


# --- API tokens -------------------------------------------------------------------------------------------

def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(
    actor: Actor,
    username: str,
    *,
    name: str = "",
    days: int = DEFAULT_TOKEN_DAYS,
    jurisdictions: Sequence[str] = (),
    facilities: Sequence[str] = (),
    offices: Sequence[str] = (),
) -> tuple[ApiToken, str]:
    """A new token for an account. Returns the row and the token itself, which is never stored. The token
    carries no places of its own (security review M6): it reaches what its account reaches at each use, or
    the subset named here; `role` is the account's role at creation, and a later change of role ends it."""
    account = get_account(username)
    if account.disabled_at is not None or not account.user.is_active:
        raise Conflict(f"account {username!r} is disabled")
    if not 1 <= days <= 366:
        raise InvalidInput("a token lives between 1 and 366 days", "days")
    own = list(Membership.objects.filter(account=account).values_list("jurisdiction_id", "facility_id", "office_id"))
    own_j = {j for j, _, _ in own if j}
    own_f = {f for _, f, _ in own if f}
    own_o = {o for _, _, o in own if o}
    narrow = _resolve_places(jurisdictions, facilities, offices)
    if narrow.jurisdictions or narrow.facilities or narrow.offices:
        if not (set(narrow.jurisdictions) <= own_j and set(narrow.facilities) <= own_f
                and set(narrow.offices) <= own_o):
            raise InvalidInput("a token's places must be among its account's places")
        own_j, own_f, own_o = set(narrow.jurisdictions), set(narrow.facilities), set(narrow.offices)
    else:
        own_j, own_f, own_o = set(), set(), set()  # all of the account's places, as they are at each use
    now = clock.now()
    while True:
        prefix = secrets.token_hex(4)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=account.user, name=name[:100], prefix=prefix, digest=digest(raw), role=account.role,
        jurisdiction_ids=sorted(own_j), facility_ids=sorted(own_f), office_ids=sorted(own_o),
        created_at=now, expires_at=now + timedelta(days=days),
    )
    record(actor, "permission.token_create", object_type="api_token", object_ids=[token.pk],
           detail={"prefix": prefix, "user_id": account.user_id, "role": account.role, "days": days})
    return token, raw


def revoke_token(actor: Actor, prefix: str) -> ApiToken:
    token = ApiToken.objects.filter(prefix=prefix).first()
    if token is None:
        raise NotFound(f"token {prefix!r} not found")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    record(actor, "permission.token_revoke", object_type="api_token", object_ids=[token.pk],
           detail={"prefix": prefix})
    return token


def token_places(token_ids: tuple[list[int], list[int], list[int]],
                 current: tuple[set[int], set[int], set[int]]) -> tuple[set[int], set[int], set[int]]:
    """The places a token reaches now (security review M6): its account's current places, narrowed to the
    token's list when it was created with one. A token never carries places of its own: one the account has
    since lost is gone from the token too."""
    if not any(token_ids):
        return current
    return (current[0] & set(token_ids[0]), current[1] & set(token_ids[1]), current[2] & set(token_ids[2]))


def actor_for_bearer(raw: str, ip: str = "") -> Actor | None:
    """The actor of a live bearer token, or None. Why checked against the account at every use (security
    review M6): a token must not outlive a change of role or places made in /admin/. The role is the account's
    current role; a token created under another role is dead (a demoted admin's token stops working at once).
    The places are the account's current memberships, narrowed by the token. Expiry, revocation and the
    account's state are checked in the same statement as the token; the memberships are a second query."""
    import json

    from django.db import connection

    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    User = get_user_model()
    users = User._meta.db_table
    username = User._meta.get_field(User.USERNAME_FIELD).column  # type: ignore[union-attr]
    tokens = ApiToken._meta.db_table
    accounts = Account._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT t.user_id, t.prefix, t.role, t.facility_ids, t.jurisdiction_ids, t.office_ids, u."{username}", '
            f'a.id, a.role FROM "{tokens}" t JOIN "{users}" u ON u.id = t.user_id '
            f'JOIN "{accounts}" a ON a.user_id = t.user_id '
            f"WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.is_active = %s "
            f"AND a.disabled_at IS NULL",
            [digest(raw), connection.ops.adapt_datetimefield_value(clock.now()), True],
        )
        row = cursor.fetchone()
    if row is None or row[2] != row[8]:
        return None

    def ids(value: Any) -> list[int]:
        return [int(i) for i in (json.loads(value) if isinstance(value, str) else value or [])]

    current: tuple[set[int], set[int], set[int]] = (set(), set(), set())
    for f, j, o in Membership.objects.filter(account_id=row[7]).values_list("facility_id", "jurisdiction_id",
                                                                            "office_id"):
        for bucket, value in zip(current, (f, j, o), strict=True):
            if value:
                bucket.add(value)
    facilities, jurisdictions, offices = token_places((ids(row[3]), ids(row[4]), ids(row[5])), current)
    return build_actor(kind="token", role=row[8], user_id=row[0], username=row[6], token_prefix=row[1],
                       facility_ids=facilities, jurisdiction_ids=jurisdictions, office_ids=offices, ip=ip)
