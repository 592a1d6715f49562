"""/transparency as a journalist reads it: the "days since" counters in words when there is nothing to count,
the policy-change counter from the versions of the law in force, and charts that always show something
legible, each followed by a table of the same figures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from handoff.core import clock
from tests.web.world import World


def _text(response: Any) -> str:
    return response.content.decode()


def _stat(html: str, stat_id: str) -> str:
    block = html.split(f'id="{stat_id}"')[1].split(">", 1)[1].split("</div>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).strip()


def _svg(html: str, chart_id: str) -> str:
    return html.split(f'aria-labelledby="{chart_id}-title')[1].split("</svg>")[0]


def _table_rows(html: str, table_id: str) -> dict[str, list[str]]:
    table = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def _requests_at(world: World, at: datetime, per_facility: int) -> None:
    """`per_facility` more requests received at `at` by every jail in the world: no small count anywhere."""
    from handoff.requests.models import ImmigrationRequest

    ImmigrationRequest.objects.bulk_create(
        ImmigrationRequest(request_id=f"T-{code}-{at:%Y%m}-{i:03d}", kind="detainer", issued_at=at, received_at=at,
                           office=world.offices["LOS"], facility=facility, status="waiting")
        for code, facility in world.facilities.items() for i in range(per_facility)
    )


@pytest.mark.django_db
def test_it_says_in_words_that_no_missed_notice_is_on_record(world: World, client: Client) -> None:
    html = _text(client.get("/transparency"))
    stat = _stat(html, "stat-missed")
    assert stat.startswith("No missed notice on record"), stat
    assert "None" not in stat
    days_table = html.split('"Days since" per jurisdiction')[1].split("</table>")[0]
    assert "No missed notice on record" in days_table and ">None" not in days_table


@pytest.mark.django_db
def test_it_counts_the_days_since_the_last_missed_notice(world: World, client: Client) -> None:
    from handoff.notices.models import Notice

    notice = Notice.objects.filter(request__request_id="LOS-2025-0001", kind__startswith="release.").get()
    Notice.objects.filter(pk=notice.pk).update(missed=True, release_at=clock.now() - timedelta(days=12))
    html = _text(client.get("/transparency"))
    assert _stat(html, "stat-missed") == "12 days since the last missed notice"
    la_row = re.split(r'<th scope="row"[^>]*>Los Angeles County</th>', html)[1].split("</tr>")[0]
    assert re.search(r"<td[^>]*>12</td>", la_row)  # cells carry data-label (stacked tables)


@pytest.mark.django_db
def test_it_counts_the_days_since_the_law_in_force_last_changed(world: World, client: Client) -> None:
    """Texas SB 4's 2025 version (us-tx, from 1 January 2025) is the latest change in the places listed; before
    it takes effect, Montgomery County's 2024 version is, and the coming Texas version does not count yet."""
    with time_machine.travel(datetime(2025, 6, 1, 12, tzinfo=UTC), tick=False):
        html = _text(client.get("/transparency"))
    stat = _stat(html, "stat-policy")
    assert stat.startswith("151 days since the last policy change"), stat
    assert "1 January 2025" in stat and 'href="/policies/us-tx"' in html.split('id="stat-policy"')[1].split("</div>")[0]
    rows = {label: cells for label, cells in _days_rows(html).items()}
    assert rows["Montgomery County"][3].startswith(str((date(2025, 6, 1) - date(2024, 3, 1)).days))
    assert rows["Los Angeles County"][3].startswith(str((date(2025, 6, 1) - date(2018, 1, 1)).days))
    assert rows["Harris County"][3].startswith("151")

    with time_machine.travel(datetime(2024, 12, 31, 12, tzinfo=UTC), tick=False):
        html = _text(client.get("/transparency"))
    assert _stat(html, "stat-policy").startswith(f"{(date(2024, 12, 31) - date(2024, 3, 1)).days} days since")
    assert _days_rows(html)["Harris County"][3].startswith(str((date(2024, 12, 31) - date(2017, 9, 1)).days))


def _days_rows(html: str) -> dict[str, list[str]]:
    table = html.split('"Days since" per jurisdiction')[1].split("</table>")[0]
    out: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        out[cells[0]] = cells[1:]
    return out


@pytest.mark.django_db
def test_it_reads_the_policy_chain_of_each_place_as_the_engine_does(world: World) -> None:
    from handoff.jurisdictions.models import Facility, Jurisdiction
    from handoff.jurisdictions.services import chains_for, policy_chain

    places = list(Jurisdiction.objects.filter(facilities__isnull=False).distinct())
    chains = chains_for(places)
    for facility in Facility.objects.all():
        assert chains[facility.jurisdiction_id] == policy_chain(facility), facility.code


@pytest.mark.django_db
def test_it_labels_every_month_and_says_why_a_chart_has_no_bar(world: World, client: Client) -> None:
    """The world's requests all arrived this month, in small numbers: hidden. Every other month is 0."""
    html = _text(client.get("/transparency"))
    svg = _svg(html, "chart-received")
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    months = [m.strftime("%b %Y") for m in _months()]
    assert all(m in labels for m in months)
    assert labels.count("0") >= 11 and "hidden" in labels
    assert "No bar to draw: every month is 0 or hidden" in svg and "<rect" not in svg
    table = _table_rows(html, "chart-received-table")
    assert table["Figure"] == months
    assert table["Requests received"] == ["0"] * 11 + ["hidden"]


@pytest.mark.django_db
def test_it_draws_a_bar_for_every_published_month_with_the_same_figure_in_its_table(
    world: World, client: Client
) -> None:
    now = clock.now()
    last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=15, hour=12)
    _requests_at(world, last_month, 20)
    _requests_at(world, now - timedelta(minutes=1), 20)
    received = 20 * len(world.facilities)
    html = _text(client.get("/transparency"))
    svg = _svg(html, "chart-received")
    bars = re.findall(r'<rect class="bar-received"[^>]*><title>([^<]+)</title>', svg)
    this_month = received + len([r for r in world.requests.values() if hasattr(r, "received_at")])
    assert bars == [f"{last_month:%b %Y}: requests received {received}", f"{now:%b %Y}: requests received {this_month}"]
    assert "No bar to draw" not in svg
    row = _table_rows(html, "chart-received-table")["Requests received"]
    assert row[-2:] == [str(received), str(this_month)] and row[:-2] == ["0"] * 10
    # the scale is drawn: ticks from 0 up to at least the tallest bar
    ticks = [int(t.replace(",", "")) for t in re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', svg)]
    assert ticks[0] == 0 and ticks[-1] >= this_month
    # the notices chart has its own table, one row per kind and a total
    assert set(_table_rows(html, "chart-notices-table")) >= {"Notices on time", "Notices short", "Notices missed", "All"}


def _months() -> list[date]:
    from handoff.reports.services import last_months

    return last_months(clock.now().date())


def _replayed_stances(day: date, hidden: set[str]) -> dict[str, int]:
    """Places by stance on `day`, worked out independently of the page: replay `handoff policy changes` (the
    library's history) up to that day. A state with no change yet has no policy on file; a local policy
    counts only while one of its versions is in force; confidential local policies only when 3 or more."""
    from handoff.core.places import places
    from handoff.policy import history
    from handoff.policy.registry import registry

    docs = list(registry().policies.values())
    stance: dict[str, str | None] = {}
    for c in history.changes(docs):
        if c.date <= day:
            stance[c.policy] = c.stance_after
    out = dict.fromkeys(("prohibition", "limit", "neutral", "mandate", "none"), 0)
    states = {d.jurisdictions[0]: d.id for d in docs if d.level == "state"}
    for p in places().values():
        if p.kind == "state" and p.postal not in ("PR", "GU", "VI", "AS", "MP", "UM"):
            out[stance.get(states.get(p.fips, "")) or "none"] += 1
    local = [d.id for d in docs if d.level in ("county", "city")]
    pooled = len([pid for pid in local if pid in hidden]) >= 3
    for pid in local:
        if stance.get(pid) and (pid not in hidden or pooled):
            out[stance[pid]] += 1  # type: ignore[index]
    return out


@pytest.mark.django_db
def test_it_counts_places_by_stance_from_the_library_history_today_and_a_year_ago(world: World, client: Client) -> None:
    """A journalist reads how many places require cooperation or prohibit holds now and a year ago: the
    "increasingly cooperating" trend. The figures must be the library's dated history, the same /policies
    and `handoff policy changes` show, with the world's three confidential counties counted only in the pool
    and never named."""
    hidden = {"us-tx-dallas", "us-tx-bexar", "us-tx-travis"}
    with time_machine.travel(datetime(2025, 6, 1, 12, tzinfo=UTC), tick=False):
        html = _text(client.get("/transparency"))
    now, then = _replayed_stances(date(2025, 6, 1), hidden), _replayed_stances(date(2024, 6, 1), hidden)
    rows = _table_rows(html, "stance-table")
    labels = {"prohibition": "Prohibits holds", "limit": "Limits cooperation", "neutral": "No law either way",
              "mandate": "Requires cooperation", "none": "No policy on file"}
    for key, label in labels.items():
        change = now[key] - then[key]
        assert rows[label] == [str(now[key]), str(then[key]), "no change" if change == 0 else f"{change:+d}"], label
    assert now["mandate"] > then["mandate"]  # more places took the mandate side that year
    assert _stat(html, "stat-stance-mandate") == (
        f"{now['mandate']} places require cooperation (+{now['mandate'] - then['mandate']} since 1 June 2024)")
    section = html.split('id="h-stances"')[1].split("</section>")[0]
    assert "confidential places counted only in these totals" in section
    assert not [w for w in ("Dallas", "Bexar", "Travis") if w in section]


@pytest.mark.django_db
def test_it_moves_the_stance_counter_on_the_day_a_place_changes_sides(world: World, client: Client) -> None:
    """Miami-Dade's reversal of 26 January 2017 (limit -> mandate) moves one place between the rows that day."""
    def rows_on(day: datetime) -> dict[str, list[str]]:
        with time_machine.travel(day, tick=False):
            return _table_rows(_text(client.get("/transparency")), "stance-table")

    before = rows_on(datetime(2017, 1, 25, 12, tzinfo=UTC))
    after = rows_on(datetime(2017, 1, 26, 12, tzinfo=UTC))
    assert int(after["Requires cooperation"][0]) == int(before["Requires cooperation"][0]) + 1
    assert int(after["Limits cooperation"][0]) == int(before["Limits cooperation"][0]) - 1
