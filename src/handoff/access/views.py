"""Log-on: the use notification, password, then a TOTP code (enrolling a device on first log-on), log-off.

Why two steps with nothing logged in between: until the second factor passes, the session holds only a
short-lived note of who passed the password step, so no page treats the visitor as logged on. Wrong codes
count as failed log-ons, so a stolen password cannot be used to guess codes past the lockout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout, user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from handoff.access import audit_reading, services
from handoff.access.actor import Actor, actor_for_request, actor_for_user, anonymous
from handoff.access.middleware import LOGIN_AT, SEEN_AT
from handoff.access.models import Account
from handoff.access.passwords import demo_password_refused
from handoff.audit import record
from handoff.audit.services import verify
from handoff.core import clock
from handoff.jurisdictions.models import Facility, Jurisdiction

PENDING = "handoff_pending_login"
#: the unconfirmed TOTP device this log-on attempt enrols (security review M5)
ENROL_DEVICE = "handoff_enrol_device"
PENDING_SECONDS = 5 * 60
BACKEND = "django.contrib.auth.backends.ModelBackend"

DEFAULT_BANNER = (
    "You are accessing a criminal justice information system. Use is restricted to authorized users for "
    "authorized purposes. All use is monitored, recorded and subject to audit. Unauthorized use, or use "
    "beyond your authorization, is prohibited and may be subject to criminal and civil penalties. By "
    "logging on you acknowledge and consent to these conditions."
)


def banner() -> str:
    return str(settings.HANDOFF_LOGON_BANNER or DEFAULT_BANNER)


class LoginForm(forms.Form):
    username = forms.CharField(max_length=150, label="Account name", widget=forms.TextInput(
        attrs={"autocomplete": "username", "autofocus": True, "class": "usa-input", "spellcheck": "false"}))
    password = forms.CharField(max_length=4096, label="Password", strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password", "class": "usa-input"}))


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$", label="6-digit code from your authenticator app",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
                                      "class": "usa-input usa-input--medium"}),
    )


def _mark_invalid(form: forms.Form, described_by: str = "form-error") -> None:
    """Show every field of a refused form as in error (USWDS red border) and point it at the message, so a
    screen reader announces why. Why all fields: a wrong account name or password must not say which."""
    for field in form.fields.values():
        attrs = field.widget.attrs
        attrs["class"] = f"{attrs.get('class', '')} usa-input--error".strip()
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = described_by


def _lockout_context() -> dict[str, Any]:
    return {"banner": banner(), "failure_limit": int(getattr(settings, "AXES_FAILURE_LIMIT", 5)),
            "window_minutes": int(settings.HANDOFF_LOCKOUT_WINDOW_MINUTES),
            "lockout_minutes": int(getattr(settings, "HANDOFF_LOCKOUT_MINUTES", 0) or 0)}


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:80]


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _locked(request: HttpRequest, username: str) -> bool:
    return bool(getattr(request, "axes_locked_out", False)) or not AxesProxyHandler.is_allowed(
        request, {"username": username}
    )


def _locked_response(request: HttpRequest, status: int = 403) -> HttpResponse:
    return render(request, "access/locked.html", _lockout_context(), status=status)


def attempted_account(username: str, user_id: int | None = None) -> dict[str, str]:
    """What the audit log keeps of the name typed at a failed log-on (security review L8). Why not the text
    itself: people type their password into the name field, and the log is permanent and read by auditors.
    A name that is an existing account is kept (it names that account, not a secret); anything else is kept
    only as a keyed digest, so repeated guesses of one string can still be counted together."""
    name = username[:150]
    if user_id is not None or get_user_model().objects.filter(username=name).exists():
        return {"account": name}
    keyed = hmac.new(settings.SECRET_KEY.encode(), b"login-name\0" + name.encode("utf-8", "replace"),
                     hashlib.sha256).hexdigest()[:16]
    return {"unknown_account": keyed, "length": str(len(name))}


def _fail(request: HttpRequest, username: str, step: str, user_id: int | None = None) -> None:
    """Record a failed log-on step in the audit log (and, for second-factor failures, with axes)."""
    if step.startswith("totp"):
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    with transaction.atomic():
        record(anonymous(_ip(request)), "login.failure", outcome="failure", object_type="user",
               object_ids=[user_id] if user_id else [],
               detail={"step": step, **attempted_account(username, user_id)})


@never_cache
@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    verified = getattr(request.user, "is_verified", None)
    if request.user.is_authenticated and callable(verified) and verified():
        return redirect(_next(request))
    expired = request.session.pop("handoff_expired", "") if hasattr(request, "session") else ""
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        if _locked(request, username):
            _fail(request, username, "locked")
            return _locked_response(request)
        password = form.cleaned_data["password"]
        if demo_password_refused(password):
            # the published demo password logs nobody on outside debug mode (security review L10); it counts
            # as a failed log-on like any wrong password
            user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
            user = None
        else:
            user = authenticate(request, username=username, password=password)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                _fail(request, username, "password-locked")
                return _locked_response(request)
            _fail(request, username, "password")
            error = "The account name or password is not right."
        else:
            account = Account.objects.filter(user=user).first()
            if account is None or account.disabled_at is not None:
                _fail(request, username, "no-access", user.pk)
                error = "This account has no access to Handoff. Ask an administrator."
            elif services.inactive_too_long(account):
                with transaction.atomic():
                    days = services.inactive_days()
                    services.disable(anonymous(_ip(request)), username, f"unused for more than {days} days")
                    record(anonymous(_ip(request)), "login.failure", outcome="denied", object_type="user",
                           object_ids=[user.pk], detail={"step": "inactive", "account": username})
                error = (f"This account was not used for more than {services.inactive_days()} days and has been disabled. "
                         "Ask an administrator to enable it.")
            else:
                request.session.cycle_key()
                request.session[PENDING] = {"uid": user.pk, "at": clock.now().timestamp(), "next": _next(request)}
                has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
                return redirect("access:verify" if has_device else "access:enrol")
    elif request.method == "POST":
        error = "Enter your account name and password."
    status = 200 if not error else 401
    if error:
        _mark_invalid(form)
    return render(request, "access/login.html", {
        "form": form, "error": error, "banner": banner(), "next": _next(request), "expired": expired,
    }, status=status)


def _pending_user(request: HttpRequest) -> Any | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if clock.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    uid = pending.get("uid")
    if not isinstance(uid, int):
        return None
    return get_user_model().objects.filter(pk=uid, is_active=True).first()


def _complete(request: HttpRequest, user: Any, device: TOTPDevice) -> HttpResponse:
    target = request.session.get(PENDING, {}).get("next") or "/"
    request.session.pop(PENDING, None)
    login(request, user, backend=BACKEND)
    otp_login(request, device)
    now = clock.now().timestamp()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    with transaction.atomic():
        record(actor_for_user(user, _ip(request)), "login.success", object_type="user", object_ids=[user.pk],
               detail={"mfa": "totp"})
    return HttpResponseRedirect(target)


def _check_code(device_pk: int, code: str) -> TOTPDevice | None:
    """Verify under a row lock, so one code cannot pass twice in two racing requests (django-otp keeps
    the last accepted time step in `last_t` and refuses it and anything older)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device_pk)
        return device if device.verify_token(code.strip()) else None


def _try_code(request: HttpRequest, user: Any, device: TOTPDevice, form: CodeForm,
              failure: str) -> TOTPDevice | HttpResponse | None:
    """One TOTP submission, for log-on and enrolment alike: the device when the code is right (and
    unused), the lockout page when the account is or becomes locked, None when the code is wrong. A wrong
    code counts as a failed log-on."""
    username = user.get_username()
    if _locked(request, username):
        _fail(request, username, "locked", user.pk)
        return _locked_response(request)
    if form.is_valid():
        checked = _check_code(device.pk, form.cleaned_data["code"])
        if checked is not None:
            return checked
    _fail(request, username, failure, user.pk)
    if getattr(request, "axes_locked_out", False):
        request.session.pop(PENDING, None)
        return _locked_response(request)
    return None


@never_cache
def verify_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("access:login")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        return redirect("access:enrol")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST":
        outcome = _try_code(request, user, device, form, "totp")
        if isinstance(outcome, TOTPDevice):
            return _complete(request, user, outcome)
        if outcome is not None:
            return outcome
        error = "That code is not right, or it was already used. Wait for the next code and try again."
        _mark_invalid(form)
    return render(request, "access/verify.html", {"form": form, "error": error, "banner": banner()},
                  status=401 if error else 200)


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no script, no external image: fits the content security policy)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg


def _enrol_device(request: HttpRequest, user: Any) -> TOTPDevice | None:
    """The device (and so the secret) this attempt enrols. Why new on every showing of the page (security
    review M5): a device shared between attempts let anyone who passed the password step before the owner's
    first log-on see the seed the owner later confirms, and keep valid codes afterwards. Each GET makes a
    fresh device with a fresh random key for this session only (dropping this session's previous one); a
    POST checks the code against this session's device, never another attempt's."""
    current = request.session.get(ENROL_DEVICE)
    if request.method == "POST":
        if not isinstance(current, int):
            return None
        return TOTPDevice.objects.filter(pk=current, user=user, confirmed=False).first()
    stale = timezone.now() - timedelta(seconds=PENDING_SECONDS)  # created_at is django-otp's auto_now_add
    with transaction.atomic():
        if isinstance(current, int):
            TOTPDevice.objects.filter(pk=current, user=user, confirmed=False).delete()
        # abandoned attempts: their pending log-on has expired anyway
        TOTPDevice.objects.filter(user=user, confirmed=False, created_at__lt=stale).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    request.session[ENROL_DEVICE] = device.pk
    return device


@never_cache
def enrol_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("access:login")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("access:verify")
    device = _enrol_device(request, user)
    if device is None:
        return redirect("access:enrol")  # a code posted for a secret this attempt never showed
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST":
        outcome = _try_code(request, user, device, form, "totp-enrol")
        if isinstance(outcome, TOTPDevice):
            outcome.confirmed = True
            outcome.save(update_fields=["confirmed"])
            # the secrets other attempts were shown are worthless from now on
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            request.session.pop(ENROL_DEVICE, None)
            with transaction.atomic():
                record(actor_for_user(user, _ip(request)), "permission.mfa_enrol", object_type="user",
                       object_ids=[user.pk])
            return _complete(request, user, outcome)
        if outcome is not None:
            return outcome
        error = "That code is not right. Check the time on your phone and try the next code."
        _mark_invalid(form)
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(request, "access/enrol.html", {
        "form": form, "error": error, "qr_svg": qr_svg(device.config_url), "secret": secret, "banner": banner(),
    }, status=401 if error else 200)


@never_cache
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = request.user
        if user.is_authenticated:
            with transaction.atomic():
                record(actor_for_user(user, _ip(request)), "logout", object_type="user", object_ids=[user.pk])
        logout(request)
        return redirect(reverse("access:login") + "?logged_out=1")
    return render(request, "access/logout.html", {})


def locked_view(request: HttpRequest) -> HttpResponse:
    """The explanation on its own (a bookmarked link): nothing was refused, so 200."""
    return _locked_response(request, status=200)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """What django-axes answers once an account is locked: the plain explanation, never a bare 429."""
    return _locked_response(request)


class AuditFilter(forms.Form):
    actor = forms.CharField(max_length=150, required=False, label="Who (account name)",
                            widget=forms.TextInput(attrs={"class": "usa-input"}))
    action = forms.CharField(max_length=60, required=False, label="What (action, e.g. request.read)",
                             widget=forms.TextInput(attrs={"class": "usa-input"}))
    outcome = forms.ChoiceField(required=False, choices=[("", "any"), ("success", "success"), ("denied", "denied"),
                                                         ("failure", "failure"), ("not_found", "not found")],
                                widget=forms.Select(attrs={"class": "usa-select"}))
    object_id = forms.CharField(max_length=80, required=False, label="Object id",
                                widget=forms.TextInput(attrs={"class": "usa-input"}))
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


AUDIT_PAGE = 100
AUDIT_SCAN = 20_000


@never_cache
def audit_log_view(request: HttpRequest) -> HttpResponse:
    """The audit log for auditors (read-only), newest first, with the chain's state. Reading it is itself
    an auditable event."""

    form = AuditFilter(request.GET or None)
    who = actor_for_request(request)
    qs = audit_reading.events_for(who).order_by("-seq")  # counsel: their county's accounts only
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            qs = qs.filter(actor__startswith=data["actor"])
        if data["action"]:
            qs = qs.filter(action__startswith=data["action"])
        if data["outcome"]:
            qs = qs.filter(outcome=data["outcome"])
        if data["before"]:
            qs = qs.filter(seq__lt=data["before"])
    wanted: int | str | None = None
    if form.is_valid() and form.cleaned_data["object_id"]:
        text = form.cleaned_data["object_id"].strip()
        wanted = int(text) if text.isdigit() else text
    if wanted is None:
        entries = list(qs[:AUDIT_PAGE + 1])
    else:  # JSON containment is not portable to SQLite: scan a bounded window instead
        entries = [e for e in qs[:AUDIT_SCAN] if wanted in e.object_ids][:AUDIT_PAGE + 1]
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    whole = who.role != "county_counsel"
    chain = verify() if request.GET.get("verify") and whole else None
    with transaction.atomic():
        record(actor_for_request(request), "audit.read", object_type="audit_event",
               object_ids=[e.seq for e in entries[:1]] + [e.seq for e in entries[-1:]],
               detail={"filters": {k: str(v) for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v},
                       "verified": chain is not None})
    query = request.GET.copy()
    if more:
        query["before"] = str(entries[-1].seq)
    zone = home_zone(actor_for_request(request))
    for e in entries:
        e.at_local = clock.local_text(e.at, zone, seconds=True)  # type: ignore[attr-defined]
    return render(request, "access/audit_log.html", {
        "form": form, "entries": entries, "more": more, "next_query": query.urlencode(), "chain": chain,
        "whole": whole, "can_export": who.role in ("auditor", "admin"), "export_form": AuditExportForm(),
        "zone": zone,
    })


class AuditExportForm(forms.Form):
    start = forms.DateField(label="From (YYYY-MM-DD, UTC day)", widget=forms.DateInput(
        attrs={"class": "usa-input", "type": "date"}))
    end = forms.DateField(label="To (YYYY-MM-DD, UTC day, included)", widget=forms.DateInput(
        attrs={"class": "usa-input", "type": "date"}))
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("json", "JSON")], initial="csv",
                               widget=forms.Select(attrs={"class": "usa-select"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end is before the start.")
        return data


@never_cache
def audit_export_view(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The auditor's export of the audit log for a date range, as CSV or JSON, with each entry's hashes so
    the chain can be checked outside Handoff. The export is itself audited (before it streams)."""
    form = AuditExportForm(request.GET or None)
    if not form.is_valid():
        return JsonResponse({"error": "give start and end dates (YYYY-MM-DD) and format csv or json",
                             "fields": {k: [str(e) for e in v] for k, v in form.errors.items()}}, status=400)
    who = actor_for_request(request)
    start, end, fmt = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["format"]
    qs = audit_reading.in_range(audit_reading.events_for(who), start, end)
    with transaction.atomic():
        record(who, "audit.export", object_type="audit_event",
               detail={"from": start.isoformat(), "to": end.isoformat(), "format": fmt}, request=request)
    name = f"audit-{start.isoformat()}-{end.isoformat()}.{fmt}"
    if fmt == "json":
        response = StreamingHttpResponse(audit_reading.as_json(qs, start, end), content_type="application/json")
    else:
        response = StreamingHttpResponse(audit_reading.as_csv(qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def home_zone(who: Actor) -> str:
    """The zone the reader works in: their facility's, else their jurisdiction's, else the one zone all of the
    deployment's facilities share (a county's auditor has no place of their own), else UTC; always named.
    Why the reader's and not each entry's: an audit entry names an action, not a place."""
    facility = Facility.objects.filter(pk__in=who.facility_ids).order_by("pk").first()
    if facility is not None and facility.timezone:
        return facility.timezone
    place = (Jurisdiction.objects.filter(pk__in=who.jurisdiction_ids).exclude(default_timezone="")
             .order_by("pk").first())
    if place is not None:
        return place.default_timezone
    zones = list(Facility.objects.exclude(timezone="").values_list("timezone", flat=True).distinct()[:2])
    return zones[0] if len(zones) == 1 else "UTC"

