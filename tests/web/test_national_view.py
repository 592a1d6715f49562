"""/policies, the national view (issue 10 item 5): a map and its table of stances on any date, local policies,
places by stance over time, recent changes; a confidential place is never drawn or named, only pooled."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from handoff.jurisdictions.models import Jurisdiction
from tests.web.world import World

CONFIDENTIAL_WORDS = ["Dallas", "Bexar", "Travis", "48113", "48029", "48453"]


def _html(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def _row(html: str, table_id: str, name: str) -> str:
    table = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    return next(r for r in table.split("<tr>") if name in r)


@pytest.mark.django_db
def test_it_draws_every_state_and_dc_with_a_table_alternative(world: World, client: Client) -> None:
    html = _html(client, "/policies?as_of=2025-06-01")
    assert html.count('class="tile tile-') == 51
    assert len(re.findall(r'<tr><th scope="row" data-label="State">', html)) == 51
    assert "Prohibits holds" in _row(html, "states-table", "California")
    assert "Requires cooperation" in _row(html, "states-table", "Texas")
    assert "No law either way" in _row(html, "states-table", "Alaska")


@pytest.mark.django_db
def test_it_shows_miami_dade_changing_sides_on_26_january_2017(world: World, client: Client) -> None:
    before = _html(client, "/policies?as_of=2017-01-25")
    assert "Limits cooperation" in _row(before, "local-table", "Miami-Dade")
    after = _html(client, "/policies?as_of=2017-01-26")
    assert "Requires cooperation" in _row(after, "local-table", "Miami-Dade")
    first = after.split('id="recent-changes"')[1].split("</li>")[0]
    assert "26 Jan 2017" in first and "Miami-Dade" in first and "changed sides" in first
    assert "No policy on file" in _row(after, "states-table", "Florida")  # Florida's law starts 2019-07-01


@pytest.mark.django_db
def test_it_counts_places_by_stance_each_year_in_a_chart_and_its_table(world: World, client: Client) -> None:
    html = _html(client, "/policies?as_of=2025-06-01")
    assert 'id="chart-trend-title"' in html
    for year in ("2010", "2017", "2025"):
        assert f">{year}<" in html
    # most states' encoded law starts on the federal baseline's first day: the page says so, so the drop of
    # "No policy on file" in 2017-2018 is not read as states changing sides
    start = re.sub(r"\s+", " ", html.split('id="trend-start">')[1].split("</span>")[0])
    assert re.match(r"\d+ of the 51 state policies begin on 2 April 2017", start), start


@pytest.mark.django_db
def test_it_never_names_a_confidential_place_but_pools_three_or_more(world: World, client: Client) -> None:
    html = _html(client, "/policies?as_of=2025-06-01")
    assert [w for w in CONFIDENTIAL_WORDS if w in html] == []
    assert "3 places whose cooperation is confidential are included in these totals" in html
    assert client.get("/policies/us-tx-dallas").status_code == 404
    assert "us-tx-dallas" not in _html(client, "/policies/try")


@pytest.mark.django_db
def test_it_leaves_fewer_than_three_confidential_places_out_of_every_figure(world: World, client: Client) -> None:
    Jurisdiction.objects.filter(fips__in=["48029", "48453"]).update(confidential=False)
    html = _html(client, "/policies?as_of=2025-06-01")
    assert "Dallas" not in html and "Bexar" in html
    assert "they are left out of these totals" in html


@pytest.mark.django_db
def test_it_answers_a_bad_date_with_400_and_todays_view(world: World, client: Client) -> None:
    html = _html(client, "/policies?as_of=yesterday", status=400)
    assert "is not a date" in html and html.count('class="tile tile-') == 51


@pytest.mark.django_db
def test_it_shows_a_countys_287g_agreements_on_its_policy_page(world: World, client: Client) -> None:
    html = _html(client, "/policies/us-tx-harris")
    section = html.split('id="agreements-287g"')[1].split("</table>")[0]
    assert "Harris County Sheriff" in section and "2017-02-21" in section.replace("Feb. 21, 2017", "2017-02-21")
    assert "jail enforcement" in section
