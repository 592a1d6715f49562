"""Who sees which records, and the confidential-cooperation labels."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from handoff.access import scoping
from handoff.access.actor import actor_for_user, anonymous
from handoff.access.errors import Forbidden
from handoff.access.permissions import rule_for_view
from handoff.core.errors import NotFound
from tests.access import world as W


def actor(world: W.World, role: str) -> Any:
    return actor_for_user(world.users[role])


def ids(qs: Any) -> set[str]:
    return set(qs.values_list("request_id", flat=True))


def test_it_scopes_requests_by_role_and_place(world: W.World) -> None:
    own, other = world.requests["own"].request_id, world.requests["other"].request_id
    assert ids(scoping.requests_for(actor(world, "jail_clerk"))) == {own}
    assert ids(scoping.requests_for(actor(world, "jail_supervisor"))) == {own}
    assert ids(scoping.requests_for(actor(world, "county_counsel"))) == {own}
    assert ids(scoping.requests_for(actor(world, "federal_officer"))) == {own}
    assert ids(scoping.requests_for(actor(world, "other_clerk"))) == {other}
    assert ids(scoping.requests_for(actor(world, "auditor"))) == {own, other}
    assert ids(scoping.requests_for(actor(world, "admin"))) == {own, other}
    assert ids(scoping.requests_for(anonymous())) == set()


def test_it_scopes_bookings_people_decisions_and_notices_the_same_way(world: W.World) -> None:
    clerk = actor(world, "jail_clerk")
    officer = actor(world, "federal_officer")
    own_booking = world.bookings["own"]
    assert set(scoping.bookings_for(clerk)) == {own_booking, world.bookings["own_release"]}
    assert set(scoping.bookings_for(officer)) == {own_booking}  # only the bookings its requests point at
    assert set(scoping.persons_for(clerk)) == {own_booking.person}
    assert {d.request_id for d in scoping.decisions_for(clerk)} == {world.requests["own"].pk}
    assert {n.request_id for n in scoping.notices_for(officer)} == {world.requests["own"].pk}
    assert not scoping.notices_for(anonymous()).exists()
    assert scoping.can_read_booking(clerk, own_booking)
    assert not scoping.can_read_booking(clerk, world.bookings["other"])


def test_it_scopes_a_state_and_a_city_membership_through_every_query(world: W.World) -> None:
    """Staff of a state see its counties' jails, staff of a city the jails it governs; notices and decisions
    (read through a join on the request's facility) answer exactly as the requests they belong to."""
    from handoff.access.actor import SYSTEM, build_actor
    from handoff.access.services import create_user
    from handoff.jurisdictions.models import Facility, Jurisdiction

    california = world.jurisdictions["06"]
    city = Jurisdiction.objects.create(fips="4819000", name="Dallas", kind="city", parent=world.jurisdictions[
        W.OTHER_FIPS], postal="TX", default_timezone="America/Chicago")
    Facility.objects.filter(code=W.OTHER_FACILITY).update(city=city)
    state_staff = actor_for_user(create_user(SYSTEM, "state_counsel", "county_counsel", jurisdictions=["06"]))
    city_staff = build_actor(kind="user", role="jail_clerk", user_id=None, username="city_clerk",
                             jurisdiction_ids=[city.pk])
    own, other = world.requests["own"], world.requests["other"]
    expected = {
        state_staff: {own.pk},
        city_staff: {other.pk},
        **{actor(world, role): {own.pk} for role in ("jail_clerk", "jail_supervisor", "county_counsel",
                                                       "federal_officer")},
        actor(world, "other_clerk"): {other.pk},
        actor(world, "auditor"): {own.pk, other.pk},
        anonymous(): set(),
    }
    assert california.pk in state_staff.jurisdiction_ids
    for who, pks in expected.items():
        assert set(scoping.requests_for(who).values_list("pk", flat=True)) == pks, who.username
        assert {d.request_id for d in scoping.decisions_for(who)} == pks, who.username
        assert {n.request_id for n in scoping.notices_for(who)} == pks, who.username
        assert {b.facility_id for b in scoping.bookings_for(who)} == {
            r.facility_id for r in (own, other) if r.pk in pks}, who.username


def test_it_hides_objects_outside_the_scope_as_not_found(world: W.World) -> None:
    clerk = actor(world, "jail_clerk")
    assert scoping.get_request(clerk, world.requests["own"].request_id).pk == world.requests["own"].pk
    with pytest.raises(NotFound):
        scoping.get_request(clerk, world.requests["other"].request_id)
    with pytest.raises(Forbidden):
        scoping.writable_facility(clerk, W.OTHER_FACILITY)
    with pytest.raises(Forbidden):  # an unknown code gets the same answer: codes cannot be probed
        scoping.writable_facility(clerk, "NO-SUCH-JAIL")
    with pytest.raises(Forbidden):
        scoping.writable_facility(actor(world, "county_counsel"), W.OWN_FACILITY)
    with pytest.raises(NotFound):
        scoping.writable_facility(actor(world, "admin"), "NO-SUCH-JAIL")


def test_it_gives_a_token_its_owners_scope(world: W.World) -> None:
    from handoff.access.services import actor_for_bearer

    by_token = actor_for_bearer(world.tokens["jail_clerk"])
    assert by_token is not None
    assert ids(scoping.requests_for(by_token)) == {world.requests["own"].request_id}


def test_it_shows_a_confidential_place_by_name_only_to_its_staff_its_offices_and_auditors(world: W.World) -> None:
    dallas = world.jurisdictions[W.OTHER_FIPS]
    jail = world.facilities[W.OTHER_FACILITY]
    insiders = [actor(world, "other_clerk"), actor(world, "auditor"), actor(world, "admin")]
    from handoff.access.actor import build_actor

    insiders.append(build_actor(kind="user", role="federal_officer", user_id=None, username="hou",
                                office_ids=[world.offices[W.OTHER_OFFICE].pk]))
    for a in insiders:
        assert scoping.label_jurisdiction(a, dallas) == W.OTHER_NAME
        assert scoping.label_facility(a, jail) == W.OTHER_FACILITY_NAME
        assert scoping.facility_code(a, jail) == W.OTHER_FACILITY
    outsiders = [actor(world, r) for r in W.ROLES if r not in ("auditor", "admin")] + [anonymous(), scoping.PUBLIC]
    for a in outsiders:
        label = scoping.label_jurisdiction(a, dallas)
        assert W.OTHER_NAME not in label and W.OTHER_FIPS not in label
        assert re.fullmatch(r"Confidential jurisdiction C-[0-9A-F]{4}", label)
        assert scoping.jurisdiction_code(a, dallas) == scoping.label_code(dallas)
        assert scoping.facility_code(a, jail) == scoping.label_code(dallas)
        assert "Lew Sterrett" not in scoping.label_facility(a, jail)
    # a place that is not confidential is named to everyone
    assert scoping.public_label(world.jurisdictions[W.OWN_FIPS]) == "Los Angeles County"


def test_it_redacts_every_mention_in_free_text_and_codes(world: W.World) -> None:
    data = {"facility": W.OTHER_FACILITY, "fips": W.OTHER_FIPS, "rows": [f"Released from {W.OTHER_FACILITY_NAME}",
            f"{W.OTHER_NAME}, Texas", "Los Angeles County"], "n": 3}
    out = scoping.redact(scoping.PUBLIC, data)
    text = repr(out)
    for secret in (W.OTHER_FACILITY, W.OTHER_FIPS, "Lew Sterrett", "Dallas"):
        assert secret not in text
    assert "Los Angeles County" in text and out["n"] == 3
    assert scoping.redact(actor(world, "auditor"), data) == data


HIDDEN = (W.OTHER_NAME, "Dallas", W.OTHER_FIPS, W.OTHER_FACILITY, "Lew Sterrett")


def _page_paths(world: W.World) -> list[str]:
    """Every page the clerk's role may read, filled with the clerk's own and the other county's objects."""
    from handoff.notices.services import ack_token

    values = {"request_id": [world.requests[s].request_id for s in ("own", "other")],
              "notice_id": [str(world.notices[s].uid) for s in ("own", "other", "own_letter", "other_letter")],
              "token": [ack_token(world.notices["own"])], "policy_id": ["us-ca", "us-tx", "us-federal"]}
    paths: list[str] = []

    def walk(patterns: Any, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), ":".join(x for x in (namespace, p.namespace) if x))
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                rule = rule_for_view(name)
                if rule is None or name.startswith("admin:") or not (
                        "jail_clerk" in rule.read or rule.is_public("GET")):
                    continue
                route = prefix + str(p.pattern)
                kwargs = re.findall(r"<(?:\w+:)?(\w+)>", route)
                if not kwargs:
                    paths.append(route)
                for kw in kwargs[:1]:
                    for v in values.get(kw, []):
                        paths.append(re.sub(r"<(?:\w+:)?" + kw + ">", v, route))

    walk(get_resolver().url_patterns, "/", "")
    return paths


def test_it_keeps_a_confidential_countys_name_out_of_everything_another_countys_clerk_can_fetch(
        world: W.World) -> None:
    client = Client()
    W.verified_login(client, world.users["jail_clerk"])
    fetched: dict[str, bytes] = {}
    for path in _page_paths(world):
        fetched[path] = client.get(path).content
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['jail_clerk']}"}
    for path in ["/api/v1/me", "/api/v1/notices", "/api/v1/openapi.json", "/api/v1/docs",
                 f"/api/v1/requests/{world.requests['own'].request_id}",
                 f"/api/v1/requests/{world.requests['other'].request_id}",
                 f"/api/v1/notices?request_id={world.requests['other'].request_id}"]:
        fetched[path] = client.get(path, **bearer).content
    # writing to the confidential county's jail answers without naming it either
    fetched["POST /api/v1/bookings"] = client.post(
        "/api/v1/bookings", {"facility": W.OTHER_FACILITY, "booking_number": "X1", "booked_at": "2025-01-01T00:00:00",
                             "last_name": "A", "first_name": "B", "date_of_birth": "1990-01-01"},
        content_type="application/json", **bearer).content
    assert len(fetched) > 15
    leaks = [f"{path}: {secret!r}" for path, body in fetched.items() for secret in HIDDEN
             if secret.encode() in body]
    assert not leaks, "\n".join(leaks)
    # and the test can see a leak: the county's own clerk does get the name
    own = Client()
    W.verified_login(own, world.users["other_clerk"])
    page = own.get(f"/requests/{world.requests['other'].request_id}/")
    assert page.status_code == 200 and W.OTHER_FACILITY_NAME.encode() in page.content
