"""What federal offices send, and what the law says about it."""

from __future__ import annotations

from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from handoff.access import scoping
from handoff.access.actor import Actor
from handoff.access.errors import Forbidden
from handoff.access.models import Role
from handoff.api import present
from handoff.api.common import actor_of, audited, source
from handoff.api.schemas import (
    ERRORS,
    ERRORS_409,
    LinkIn,
    MeOut,
    OutcomeIn,
    OutcomeOut,
    OverrideIn,
    RequestId,
    RequestIn,
    RequestOut,
    RequestWrite,
    WithdrawIn,
)
from handoff.audit import record
from handoff.casework import flow
from handoff.core.errors import Conflict, NotFound
from handoff.evidence.outcomes import LABELS
from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
from handoff.notices.services import record_outcome
from handoff.requests.inputs import parse_request
from handoff.requests.models import ImmigrationRequest

router = Router(tags=["requests"])
#: review M8: request ids are unique per office and facility
QUALIFIER = ("only when the caller can see more than one request with this id (409 otherwise): the office's "
             "or the facility's code")


def _notices(actor: Actor, req: ImmigrationRequest) -> list[Any]:
    """Through the scoping choke point like every other personal-data read, even though the request
    itself was already scoped."""
    return list(scoping.notices_for(actor).filter(request_id=req.pk).select_related("office", "booking", "decision")
                .order_by("pk"))


def _detail(actor: Actor, req: ImmigrationRequest) -> tuple[dict[str, Any], list[Any]]:
    notices = _notices(actor, req)
    return present.request(actor, req, notices), notices


def _read_ids(req: ImmigrationRequest, notices: list[Any]) -> dict[str, Any]:
    """What a read disclosed, as ids (AU-3: object identity, never names)."""
    return {"booking": req.booking_id, "person": req.booking.person_id if req.booking_id and req.booking else None,
            "decision": req.current_decision_id, "notices": [n.pk for n in notices]}


def _get(actor: Actor, request_id: str, office: str | None, facility: str | None) -> ImmigrationRequest:
    """The request by id among those the caller may read; `?office=&facility=` tell apart two that carry
    the same id (ids are unique per office and facility, review M8)."""
    return scoping.get_request(actor, request_id, office=(office or "").strip() or None,
                               facility=(facility or "").strip() or None)


def _again(actor: Actor, req: ImmigrationRequest) -> ImmigrationRequest:
    """The same request read again after a write, through the scoping choke point."""
    return scoping.get_request(actor, req.request_id, office=req.office.code, facility=req.facility.code)


def _check_request_write(actor: Actor, req: ImmigrationRequest) -> None:
    """A federal officer changes only its own offices' requests; a jail only its own facilities' ones."""
    if actor.is_global:
        return
    if actor.role == Role.FEDERAL_OFFICER:
        if req.office_id not in actor.office_ids:
            raise Forbidden("that request was filed by another office")
        return
    scoping.writable_facility(actor, req.facility.code)


@router.post("/requests", response={200: RequestWrite, 201: RequestWrite, **ERRORS_409}, url_name="api_requests")
def post_request(request: HttpRequest, body: RequestIn) -> Status[dict[str, Any]]:
    """Receive a request (detainer, notification or transfer). Idempotent on request_id: the same body again
    changes nothing; a changed body updates the request and re-decides it."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        scoping.writable_facility(actor, body.facility)
        scoping.writable_office(actor, body.office)
        # Review M8: an id is unique per (office, facility), a namespace this writer sees whole (it writes for
        # that office or that facility), so whether the id is taken elsewhere never changes the answer.
        existing = (ImmigrationRequest.objects.select_related("facility")
                    .filter(request_id=body.request_id, office__code=body.office, facility__code=body.facility)
                    .first())
        if existing is not None:
            if not scoping.can_read_request(actor, existing):  # cannot happen (see above); never a 403
                raise NotFound(f"request {body.request_id!r} not found")
            _check_request_write(actor, existing)
        data = parse_request(body.model_dump(mode="json", exclude_none=True))
        received = flow.receive(data, source=source(actor))
        req = _again(actor, received.request)
        detail, notices = _detail(actor, req)
        return ({"outcome": received.outcome, "request": detail}, [req.pk],
                {"outcome": received.outcome, **_read_ids(req, notices)})

    out = audited(actor, "request.receive", "request", run, target=[body.request_id])
    return Status((201 if out["outcome"] == "created" else 200), out)


@router.get("/requests/{request_id}", response={200: RequestOut, **ERRORS}, url_name="api_request")
def get_request(request: HttpRequest, request_id: Annotated[RequestId, Path(example="LOS-2025-0001")],
        office: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None,
        facility: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None) -> Status[dict[str, Any]]:
    """One request with its current decision (reasons and citations) and its notices."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        req = _get(actor, request_id, office, facility)
        detail, notices = _detail(actor, req)
        return detail, [req.pk], _read_ids(req, notices)

    return Status(200, audited(actor, "request.read", "request", run, target=[request_id]))


@router.post("/requests/{request_id}/withdraw", response={200: RequestWrite, **ERRORS_409},
             url_name="api_request_withdraw")
def post_withdraw(request: HttpRequest, request_id: Annotated[RequestId, Path(example="LOS-2025-0001")],
        body: WithdrawIn, office: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None,
        facility: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None) -> Status[dict[str, Any]]:
    """The office withdraws its request; pending notices are cancelled."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        req = _get(actor, request_id, office, facility)
        _check_request_write(actor, req)
        withdrawn_at = body.withdrawn_at
        received = flow.withdraw(req, withdrawn_at, source=source(actor))
        req = _again(actor, req)
        detail, notices = _detail(actor, req)
        return ({"outcome": received.outcome, "request": detail}, [req.pk],
                {"outcome": received.outcome, **_read_ids(req, notices)})

    return Status(200, audited(actor, "request.withdraw", "request", run, target=[request_id]))


@router.post("/requests/{request_id}/override", response={200: RequestOut, **ERRORS_409},
             url_name="api_request_override")
def post_override(request: HttpRequest, request_id: Annotated[RequestId, Path(example="LOS-2025-0001")],
        body: OverrideIn, office: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None,
        facility: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None) -> Status[dict[str, Any]]:
    """A supervisor decides a request whose decision needs review, with a reason."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        req = _get(actor, request_id, office, facility)
        _check_request_write(actor, req)
        if actor.user_id is None:
            raise Forbidden("an override needs a person's account")
        user = get_user_model().objects.get(pk=actor.user_id)
        choices = body.model_dump(exclude={"reason"}, exclude_none=True)
        row = flow.override_decision(req, user, body.reason, **choices)
        req = _again(actor, req)
        detail, notices = _detail(actor, req)
        return detail, [req.pk], {"decision": row.pk, "overrides": row.overrides_id, "changed": sorted(choices)}

    return Status(200, audited(actor, "decision.override", "request", run, target=[request_id]))


@router.post("/requests/{request_id}/link", response={200: RequestOut, **ERRORS_409}, url_name="api_request_link")
def post_link(request: HttpRequest, request_id: Annotated[RequestId, Path(example="LOS-2025-0001")],
        body: LinkIn, office: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None,
        facility: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None) -> Status[dict[str, Any]]:
    """Jail staff link a request (waiting, in review, or matched to the wrong booking) to a booking of its
    facility by hand, with a reason; the law is applied at once. A booking outside the caller's facilities
    (another county's) is 404, as if it did not exist."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        req = _get(actor, request_id, office, facility)
        _check_request_write(actor, req)
        booking = scoping.get_booking(actor, body.booking)
        user = get_user_model().objects.filter(pk=actor.user_id).first() if actor.user_id else None
        flow.link_by_hand(req, booking, by=user, reason=body.reason)
        req = _again(actor, req)
        detail, notices = _detail(actor, req)
        return detail, [req.pk], {"booking": booking.pk, "reason": body.reason, **_read_ids(req, notices)}

    return Status(200, audited(actor, "request.link", "request", run, target=[request_id]))


@router.post("/requests/{request_id}/outcome", response={200: OutcomeOut, **ERRORS_409},
             url_name="api_request_outcome")
def post_outcome(request: HttpRequest, request_id: Annotated[RequestId, Path(example="LOS-2025-0001")],
        body: OutcomeIn, office: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None,
        facility: Annotated[str | None, Query(max_length=40, description=QUALIFIER)] = None) -> Status[dict[str, Any]]:
    """Jail staff of the request's facility record how it ended (issue 11). Recording again replaces the earlier
    record; the request's page and the reports show it. While the person is held only transferred_to_ice,
    detainer_cancelled or withdrawn are accepted (409 otherwise)."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        req = _get(actor, request_id, office, facility)
        _check_request_write(actor, req)
        booking = req.booking
        if booking is None:
            raise Conflict("the request has no booking yet: match it to a booking first")
        user = get_user_model().objects.filter(pk=actor.user_id).first() if actor.user_id else None
        outcome = record_outcome(booking, body.outcome, user=user, source="api", note=body.note, request=req)
        out = {"request_id": req.request_id, "outcome": outcome.kind, "label": LABELS[outcome.kind],
               "source": outcome.source, "recorded_at": outcome.recorded_at, "note": outcome.note}
        return out, [req.pk], {"outcome": outcome.kind, "outcome_id": outcome.pk}

    return Status(200, audited(actor, "outcome.record", "request", run, target=[request_id]))


@router.get("/me", response={200: MeOut, **ERRORS}, url_name="api_me")
def get_me(request: HttpRequest) -> Status[dict[str, Any]]:
    """Who the token belongs to, its role and places (check a token before using it)."""
    actor = actor_of(request)
    with transaction.atomic():
        record(actor, "token.whoami", object_type="user", object_ids=[actor.user_id] if actor.user_id else [])
    if not actor.user_id:
        raise NotFound("no account")
    return Status(200, {
        "kind": actor.kind, "name": actor.username, "role": actor.role, "token_prefix": actor.token_prefix,
        "facilities": sorted(Facility.objects.filter(pk__in=actor.facility_ids).values_list("code", flat=True)),
        "jurisdictions": sorted(Jurisdiction.objects.filter(pk__in=actor.jurisdiction_ids, kind__in=["state", "county", "city"])
                                .values_list("fips", flat=True))[:500],
        "offices": sorted(FederalOffice.objects.filter(pk__in=actor.office_ids).values_list("code", flat=True)),
    })
