"""The public page as a source, and the attacker who reads all of it: /transparency, /transparency.csv,
/transparency.parquet (and /metrics, in tests/core) publish ONE protected set of figures; the linear-program
audit passes on that set; the pooled row never carries a member's law (review H3)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.test import Client

from handoff.core import clock
from tests.web.world import World, add_booking, send_request


def _csv(client: Client) -> list[dict[str, str]]:
    response = client.get("/transparency.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _parquet(client: Client) -> list[dict[str, Any]]:
    response = client.get("/transparency.parquet")
    assert response.status_code == 200 and response["Content-Type"] == "application/vnd.apache.parquet"
    return pq.read_table(io.BytesIO(response.content)).to_pylist()


def _declines_in_la(world: World, n: int, *, months_ago: int = 0) -> None:
    """n requests in Los Angeles for people with no qualifying conviction: SB 54 declines them."""
    at = clock.now() - timedelta(days=31 * months_ago)
    for i in range(n):
        booking = add_booking(world.facilities["LA-MCJ"], last=f"Decl{months_ago}x{i}", first="Test",
                              dob=date(1990, 1, 1 + i % 27), release_in=timedelta(days=5), now=at)
        send_request(f"LOS-D{months_ago}-{i:03d}", booking, "LOS", at=at)


def _history(world: World) -> None:
    """Three years of requests in every jail: enough for figures to publish, small ones to hide."""
    from tests.web.test_transparency import _requests_at

    now = clock.now()
    for k, per in ((1, 12), (2, 3), (5, 14), (14, 20), (27, 2)):
        _requests_at(world, now - timedelta(days=31 * k), per)


@pytest.fixture
def pooled(world: World) -> World:
    """Los Angeles and Montgomery made confidential beside Dallas: three confidential places with requests
    (Los Angeles with a dozen SB 54 declines), so they are pooled."""
    from handoff.jurisdictions.models import Jurisdiction

    _declines_in_la(world, 8)
    Jurisdiction.objects.filter(fips__in=["06037", "24031"]).update(confidential=True)
    return world


MEMBER_LAW = re.compile(r"California|SB 54|7282|7284|us-ca|Montgomery|us-md|Texas|SB 4|us-tx|Los Angeles|Dallas",
                        re.IGNORECASE)


@pytest.mark.django_db
def test_h3_the_pooled_row_carries_no_members_policy_reason_or_citation_on_any_channel(
    pooled: World, client: Client
) -> None:
    from handoff.reports.public import DECLINE_CATEGORIES, POOL_KEY, public_data

    data = public_data()
    assert data.pooled_members == 5, "Los Angeles, Montgomery, Dallas, Bexar, Travis"
    pool_lines = [r for r in _csv(client) if r["row_key"] == POOL_KEY]
    declined = [r for r in pool_lines if r["measure"] == "declined" and r["category"]]
    assert declined, "the pool's declines are published by category"
    for line in pool_lines:
        assert not MEMBER_LAW.search(" ".join(line.values())), line
        assert line["citation"] == "" and line["fips"] == "" and line["state"] == ""
    assert {r["category"] for r in declined} <= set(DECLINE_CATEGORIES)
    assert {r["category_label"] for r in declined} <= set(DECLINE_CATEGORIES.values())
    for row in _parquet(client):
        if row["row_key"] == POOL_KEY:
            assert not MEMBER_LAW.search(" ".join(str(v) for v in row.values())), row
    html = client.get("/transparency").content.decode()
    declined_table = html.split('id="table-declined"')[1].split("</table>")[0]
    assert not MEMBER_LAW.search(declined_table), "no declined row names a member's law"
    pool_days = html.split('"Days since" per jurisdiction')[1].split("</table>")[0].split("(pooled)</th>")[1]
    assert "/policies/" not in pool_days.split("</tr>")[0]


@pytest.mark.django_db
def test_h3_a_named_place_keeps_its_own_reason_and_citation(world: World, client: Client) -> None:
    _declines_in_la(world, 12)
    lines = [r for r in _csv(client) if r["row_key"] == "06037" and r["measure"] == "declined" and r["category"]]
    assert lines and all("California Values Act" in r["category_label"] for r in lines)
    assert all("Gov. Code" in r["citation"] or "SB 54" in r["citation"] for r in lines)
    assert {r["fips"] for r in lines} == {"06037"} and {r["state"] for r in lines} == {"CA"}


@pytest.mark.django_db
def test_it_pools_only_three_contributing_places_with_eleven_cases_or_leaves_them_out(
    world: World, client: Client
) -> None:
    """Review M2: pool by contributors, not members. The world has three confidential Texas places, one of
    them with a request: left out, and no total includes Dallas's request."""
    from handoff.reports.public import ALL, POOL_KEY, public_data

    data = public_data()
    assert data.confidential_left_out and not data.pooled_members
    assert all(r.key != POOL_KEY for r in data.rows)
    named = sum(data.pub.value(data.pub.index(("received", r.key, "all", ""))) for r in data.rows)
    assert data.pub.value(data.pub.index(("received", ALL, "all", ""))) == named
    assert "Dallas" not in client.get("/transparency").content.decode()
    assert not any(r["row_key"] == POOL_KEY for r in _csv(client))


@pytest.mark.django_db
def test_it_keeps_history_back_to_the_first_record_with_codes_for_joining(world: World, client: Client) -> None:
    _history(world)
    lines = _csv(client)
    first = (clock.now() - timedelta(days=31 * 27)).strftime("%Y-%m")
    received = {(r["row_key"], r["period"]): r for r in lines if r["measure"] == "received"}
    assert (("06037", first) in received) and received[("06037", first)]["suppressed"] == "yes"  # 2 requests
    years = {r["period"] for r in lines if r["period_type"] == "year"}
    assert first[:4] in years and str(clock.now().year) in years
    for r in lines:
        if r["row_key"] not in ("all", "confidential-pool"):
            assert re.fullmatch(r"\d{5}", r["fips"]) and re.fullmatch(r"[A-Z]{2}", r["state"]), r
            assert r["state_fips"] == r["fips"][:2]
    html = client.get("/transparency").content.decode()
    assert re.search(r"<td[^>]*>06037</td><td[^>]*>CA</td>", html)  # cells carry data-label (stacked tables)


@pytest.mark.django_db
def test_h3_attacker_diffs_the_page_the_csv_and_the_parquet_file(world: World, client: Client) -> None:
    """Every number any channel prints is the same figure in all of them; nothing hidden in one is shown in
    another; nothing from 1 to 10 is printed anywhere."""
    from handoff.reports.public import public_data, row_labels

    _history(world)
    _declines_in_la(world, 13, months_ago=1)
    data = public_data()
    lines = _csv(client)
    by_key = {(r["measure"], r["row_key"], r["period"], r["category"]): r for r in lines}
    assert len(by_key) == len(lines)
    for r in lines:
        if r["suppressed"] == "yes":
            assert r["value"] == ""
        else:
            assert not 1 <= int(r["value"]) <= 10, r
    parquet = {(r["measure"], r["row_key"], r["period"], r["category"]): r for r in _parquet(client)}
    assert parquet.keys() == by_key.keys()
    for key, r in parquet.items():
        assert (r["value"] is None) == (by_key[key]["suppressed"] == "yes")
        assert r["value"] is None or str(r["value"]) == by_key[key]["value"]
    # the page's monthly tables: each printed cell is the CSV's figure
    html = client.get("/transparency").content.decode()
    labels = {v: k for k, v in row_labels(data).items()}
    months = [m.strftime("%Y-%m") for m in data.last12]
    for measure in ("received", "notices_on_time", "notices_short", "notices_missed"):
        table = html.split(f'id="table-{measure}"')[1].split("</table>")[0]
        for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
            cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            key = labels[cells[0]]
            for period, shown in zip([*months, "last-12-months"], cells[1:], strict=True):
                line = by_key[(measure, key, period, "")]
                assert shown == ("hidden" if line["suppressed"] == "yes" else f"{int(line['value']):,}"), (key, period)
    # the per-year declined table too
    table = html.split('id="table-declined"')[1].split("</table>")[0]
    years = [str(y) for y in data.years]
    body = table.split("<tbody>")[1].split("</tbody>")[0]
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = [re.sub(r"<[^>]+>", " ", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        key = labels[cells[0]]
        for y, shown in zip(years, cells[2:], strict=True):
            matches = [r for r in lines if r["measure"] == "declined" and r["row_key"] == key and r["period"] == y
                       and r["category"] and r["category_label"] in cells[1]]
            assert matches and shown == ("hidden" if matches[0]["suppressed"] == "yes" else matches[0]["value"])


@pytest.mark.django_db
def test_it_passes_the_linear_program_audit_on_the_public_pages_data(world: World, client: Client) -> None:
    """The audit the issue asks for, on the real page's data: every hidden figure, given every published one
    (page + CSV + Parquet are one set, checked above), lies in an interval at least 15 wide."""
    from handoff.reports.audit import MIN_WIDTH, audit
    from handoff.reports.public import public_data

    _history(world)
    _declines_in_la(world, 13, months_ago=1)
    data = public_data(use_cache=False)
    hidden = {i for i, r in enumerate(data.pub.figures) if r.published and data.get(*r.key) is None}
    assert hidden == data.suppression.hidden
    result = audit(data.pub, hidden)
    assert result.ok, [(data.pub.figures[f].key, result.intervals[f]) for f in result.failures]
    assert len(result.intervals) >= 10 and result.narrowest() >= MIN_WIDTH
    # and the CSV publishes exactly the audited figures
    lines = _csv(client)
    published = {fig.key: data.pub.value(i) for i, fig in enumerate(data.pub.figures)
                 if fig.published and i not in hidden}
    printed = {(r["measure"], r["row_key"], r["period"], r["category"]): int(r["value"])
               for r in lines if r["suppressed"] == "no"}
    assert printed == published


@pytest.mark.django_db
def test_it_offers_a_codebook_as_a_page_and_a_file_matching_the_download_columns(client: Client) -> None:
    from handoff.reports.codebook import CODEBOOK

    page = client.get("/transparency/codebook")
    assert page.status_code == 200
    html = page.content.decode()
    header = client.get("/transparency.csv").content.decode().splitlines()[0].split(",")
    assert header == [c.name for c in CODEBOOK]
    for c in CODEBOOK:
        assert f"<code>{c.name}</code>" in html
    book = list(csv.reader(io.StringIO(client.get("/transparency/codebook.csv").content.decode())))
    assert book[0] == ["column", "type", "meaning", "values"]
    assert [r[0] for r in book[1:-1]] == header
    assert "at least 15 wide" in book[-1][2]


TOKEN = "scrape-token-for-tests-0123456789abcdef"


@pytest.mark.django_db
def test_m2_metrics_gives_the_public_no_count_at_all(world: World, client: Client) -> None:
    """Review M2: /metrics published exact all-time counts over confidential places beside the page that hides
    them. Now it needs the scraper's bearer token; without it (or with a wrong one, or with none configured)
    it answers 401 and prints no figure."""
    from django.test import override_settings

    for configured in ("", TOKEN):
        with override_settings(HANDOFF_METRICS_TOKEN=configured):
            for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"},
                            {"HTTP_AUTHORIZATION": "Bearer "}):
                response = client.get("/metrics", **headers)
                assert response.status_code == 401, (configured, headers)
                assert response["WWW-Authenticate"].startswith("Bearer")
                body = response.content.decode()
                assert "handoff_" not in body and not re.search(r"\d", body.replace("HANDOFF_METRICS_TOKEN", "")), body
    with override_settings(HANDOFF_METRICS_TOKEN=TOKEN):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and "handoff_notices_missed_total" in response.content.decode()


@pytest.mark.django_db
def test_m2_attacker_diffs_metrics_the_page_and_the_csv(pooled: World, client: Client) -> None:
    """The review's attack: compare /metrics with /transparency and its CSV to learn what the page hides (a miss
    in a confidential place; counts 1..10; the pool's figures from table differences). The anonymous attacker
    gets nothing from /metrics, and the page and CSV are one audited set: a missed notice in a confidential
    place changes no public figure except the pool's own, which stays hidden or >= 11."""
    from django.test import override_settings

    from handoff.notices.models import Notice
    from handoff.reports.audit import audit
    from handoff.reports.public import POOL_KEY, public_data

    before = {(r["measure"], r["row_key"], r["period"], r["category"]): r["value"] for r in _csv(client)}
    notice = Notice.objects.filter(request__request_id="HOU-2025-0001", kind__startswith="release.").get()
    Notice.objects.filter(pk=notice.pk).update(missed=True, release_at=clock.now() - timedelta(days=3))
    with override_settings(HANDOFF_METRICS_TOKEN=TOKEN):
        anonymous = client.get("/metrics")
    assert anonymous.status_code == 401 and "missed" not in anonymous.content.decode()
    after = {(r["measure"], r["row_key"], r["period"], r["category"]): r["value"] for r in _csv(client)}
    changed = {k for k in after if after[k] != before.get(k)}
    assert all(k[1] in (POOL_KEY, "all") for k in changed), changed
    for k in changed:
        assert after[k] == "" or int(after[k]) > 10, (k, after[k])
    data = public_data()
    assert audit(data.pub, data.suppression.hidden).ok
    # the pooled row's "days since" counter is a published fact the audit counted as a floor
    assert any(atoms for atoms, _ in data.pub.floors)
    html = client.get("/transparency").content.decode()
    assert "Dallas" not in html and "HOU-2025-0001" not in html


@pytest.mark.django_db
def test_it_publishes_rebooking_within_a_year_by_the_request_at_release(world: World, client: Client) -> None:
    """40 people released from Harris County 400 days ago with no request, 12 of them booked again within the
    year (one more 400 days later: outside the year); transfers to ICE left out; the share is printed only
    where both counts are. 3 released after a declined request: hidden (none re-booked: 0), no share."""
    from handoff.custody.models import Booking
    from handoff.notices.models import Outcome

    now = clock.now()
    jail = world.facilities["HC-JAIL"]
    la = world.facilities["LA-MCJ"]
    released_at = now - timedelta(days=400)
    for i in range(40):
        b = add_booking(jail, last=f"Rel{i}", first="Q", dob=date(1980, 1, 1 + i % 27), release_in=None,
                        released_ago=timedelta(days=10), now=released_at + timedelta(days=10))
        if i < 12:  # booked again 100 days later, in another county's jail
            Booking.objects.create(facility=la, booking_number=f"AGAIN-{i}", person=b.person,
                                   booked_at=released_at + timedelta(days=100))
        elif i == 12:
            Booking.objects.create(facility=la, booking_number="LATE-1", person=b.person,
                                   booked_at=released_at + timedelta(days=380))
    moved = add_booking(jail, last="Moved", first="Q", dob=date(1970, 1, 1), release_in=None,
                        released_ago=timedelta(days=10), now=released_at + timedelta(days=10))
    Outcome.objects.create(booking=moved, kind="transferred_to_ice", recorded_at=released_at)
    for i in range(3):
        b = add_booking(la, last=f"Dec{i}", first="Q", dob=date(1990, 1, 1 + i), release_in=timedelta(days=1),
                        now=now - timedelta(days=410))
        send_request(f"LOS-OLD-{i}", b, "LOS", at=now - timedelta(days=405))
        Booking.objects.filter(pk=b.pk).update(released_at=released_at, release_reason="charges_dropped")
    html = client.get("/transparency").content.decode()
    table = html.split('id="table-rearrest"')[1].split("</table>")[0]
    rows = {re.sub(r"<[^>]+>", "", r.split("</th>")[0]).strip(): [re.sub(r"<[^>]+>", "", c).strip()
                                                                   for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
            for r in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]}
    assert rows["No immigration request at release"] == ["40", "12", "30.0%"]
    assert rows["Request declined (no notice given)"] == ["hidden", "0", "—"]  # zeros are published
    lines = [r for r in _csv(client) if r["measure"] in ("released", "rebooked") and r["period"] == "all"]
    assert {(r["measure"], r["category"]): r["value"] for r in lines}[("released", "no_request")] == "40"


@pytest.mark.django_db
def test_it_publishes_every_requests_one_outcome_and_kaplan_meier_estimates_under_the_disclosure_rule(
        world: World, client: Client) -> None:
    """Outcomes: every request has one of the seven (the world's open requests: still in custody, none "not
    recorded"). Re-arrest: 40 releases 400 days ago with no request, 12 re-booked 100 days later -> the
    Kaplan-Meier estimate within a year is 30.0%, printed; 3 releases after a declined request -> their
    estimates are not printed (a count from 1 to 10 behind them). The LP audit still passes."""
    from handoff.custody.models import Booking
    from handoff.reports.audit import audit
    from handoff.reports.public import km_publishable, public_data

    now = clock.now()
    jail, la = world.facilities["HC-JAIL"], world.facilities["LA-MCJ"]
    released_at = now - timedelta(days=400)
    for i in range(40):
        b = add_booking(jail, last=f"Km{i}", first="Q", dob=date(1980, 1, 1 + i % 27), release_in=None,
                        released_ago=timedelta(days=10), now=released_at + timedelta(days=10))
        if i < 12:
            Booking.objects.create(facility=la, booking_number=f"KM-AGAIN-{i}", person=b.person,
                                   booked_at=released_at + timedelta(days=100))
    for i in range(3):
        b = add_booking(la, last=f"KmDec{i}", first="Q", dob=date(1990, 1, 1 + i), release_in=timedelta(days=1),
                        now=now - timedelta(days=410))
        send_request(f"LOS-KM-{i}", b, "LOS", at=now - timedelta(days=405))
        Booking.objects.filter(pk=b.pk).update(released_at=released_at, release_reason="charges_dropped")

    html = client.get("/transparency").content.decode()
    outcomes = html.split('id="table-outcomes"')[1].split("</table>")[0]
    assert "Still in custody" in outcomes and "No outcome recorded" not in outcomes
    km = html.split('id="table-km"')[1].split("</table>")[0]
    rows = {re.sub(r"<[^>]+>", "", r.split("</th>")[0]).strip(): [re.sub(r"<[^>]+>", "", c).strip()
                                                                   for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
            for r in re.findall(r"<tr>(.*?)</tr>", km, flags=re.S)[1:]}
    assert rows["No immigration request at release"][0].startswith("30.0%")
    assert rows["Request declined (no notice given)"] == ["—", "—", "—"]
    data = public_data()
    assert audit(data.pub, data.suppression.hidden).ok
    assert not km_publishable(3, 0, True) and not km_publishable(40, 12, False) and km_publishable(40, 12, True)
    assert not km_publishable(40, 35, True)  # 5 not re-arrested: the complement is a small count
