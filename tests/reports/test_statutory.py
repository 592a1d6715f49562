"""The statutory reports as the clerk who files them and the official who signs them read them: the statute's
fields, the certification of a zero, no personal data, a public version under disclosure control."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from handoff.core import clock
from tests.web.world import World, add_booking, build_world, send_request


@pytest.fixture
def world(db: None) -> World:
    """The page tests' world plus an Illinois jail (Cook County) and an Oregon jail (Multnomah County)."""
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
    from handoff.jurisdictions.services import assign_shipped_policies
    from handoff.requests.services import registry

    w = build_world(with_users=False)
    nation = Jurisdiction.objects.get(fips="us")
    for state, postal, tz, county, name, code, jail in (
        ("17", "IL", "America/Chicago", "17031", "Cook County", "CK-JAIL", "Cook County Jail"),
        ("41", "OR", "America/Los_Angeles", "41051", "Multnomah County", "MC-DET", "Multnomah County Detention Center"),
    ):
        st = Jurisdiction.objects.create(fips=state, name=name.split()[0], kind="state", parent=nation, postal=postal,
                                         default_timezone=tz)
        place = Jurisdiction.objects.create(fips=county, name=name, kind="county", parent=st, postal=postal,
                                            default_timezone=tz)
        w.facilities[code] = Facility.objects.create(code=code, name=jail, jurisdiction=place, timezone=tz)
        office = FederalOffice.objects.create(code=f"ERO-{postal}", name=f"ICE ERO {postal}")
        office.covers.set([place])
        w.offices[f"ERO-{postal}"] = office
    assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
    return w


def _run(name: str, out: Path, *extra: str, year: int | None = None) -> str:
    buf = io.StringIO()
    call_command("report", name, "--year", str(year or clock.now().year), "--out", str(out), *extra, stdout=buf)
    return buf.getvalue()


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


PERSONAL = ("Garcia", "Miguel", "Nguyen", "Cook", "Lopez", "Illi", "Oreg", "A123456789", "1988-03-14")


def _no_personal_data(*paths: Path, words: tuple[str, ...] = ()) -> None:
    for p in paths:
        text = p.read_text()
        for w in words:
            assert w not in text, (p.name, w)
        assert "-000" not in text, "no booking number"  # the world's booking numbers are CODE-000NNN


def _release(booking: Any, *, reason: str, at: datetime) -> None:
    from handoff.custody.models import Booking

    Booking.objects.filter(pk=booking.pk).update(released_at=at, release_reason=reason,
                                                  release_type="bail" if reason == "bail_posted" else "scheduled")
    booking.refresh_from_db()


@pytest.mark.django_db
def test_it_writes_the_illinois_trust_act_report_with_the_statutes_fields(world: World, tmp_path: Path) -> None:
    from handoff.notices.services import record_outcome

    now = clock.now()
    jail = world.facilities["CK-JAIL"]
    people = []
    for i, last in enumerate(["Illiana", "Illford", "Illwood"]):
        b = add_booking(jail, last=last, first="Pat", dob=date(1980, 1, 1 + i), release_in=timedelta(days=3))
        people.append(b)
        send_request(f"IL-R-{i}", b, "ERO-IL", at=now - timedelta(days=40 - i))
    _release(people[0], reason="bail_posted", at=now - timedelta(days=30))
    _release(people[1], reason="transferred_to_ice", at=now - timedelta(days=20))
    record_outcome(people[1], "transferred_to_ice")
    last_year = add_booking(jail, last="Illold", first="Pat", dob=date(1970, 1, 1), release_in=timedelta(days=3))
    send_request("IL-R-OLD", last_year, "ERO-IL", at=datetime(now.year - 1, 6, 1, 12, tzinfo=UTC))

    out = _run("il-trust", tmp_path)
    assert "3 records" in out
    rows = _read(tmp_path / f"il-trust-{now.year}.csv")
    header, records = rows[0], rows[1:]
    assert header == ["Record", "Facility", "Detainer or civil immigration warrant", "(A) Date received",
                      "(B) Date and time criminal bail was posted", "(C) Released or transferred",
                      "(D) Date and time released or transferred", "(E) Transferred to which agency's custody"]
    assert [r[0] for r in records] == ["1", "2", "3"]
    bail, transferred, held = records
    assert bail[4] and bail[5] == "released" and bail[4] == bail[6] and bail[4].endswith("CST")
    assert transferred[5] == "transferred" and "Immigration and Customs Enforcement" in transferred[7]
    assert transferred[4] == "" and transferred[6]
    assert held[5].startswith("in custody") and held[6] == "" and held[7] == ""
    assert all("I-200" in r[2] for r in records)
    html = (tmp_path / f"il-trust-{now.year}.html").read_text()
    assert "5 ILCS 805/25" in html and "Office of the Illinois Attorney General" in html
    assert 'id="certification"' not in html and "805/25(a)(1)" in html  # says what Handoff cannot report
    _no_personal_data(tmp_path / f"il-trust-{now.year}.csv", tmp_path / f"il-trust-{now.year}.html",
                      words=("Illiana", "Illford", "Illwood", "IL-R-", "Pat,"))


@pytest.mark.django_db
def test_it_certifies_a_zero_for_illinois_when_no_detainer_came(world: World, tmp_path: Path) -> None:
    _run("il-trust", tmp_path)
    year = clock.now().year
    rows = _read(tmp_path / f"il-trust-{year}.csv")
    assert len(rows) == 2 and rows[1][0].startswith("The agency certifies that it received no immigration detainers")
    html = (tmp_path / f"il-trust-{year}.html").read_text()
    assert 'id="certification"' in html and f"in {year}" in html


@pytest.mark.django_db
def test_it_reports_californias_transfers_by_the_offense_that_allowed_them(world: World, tmp_path: Path) -> None:
    from handoff.notices.services import record_outcome

    booking = world.requests["notify"].booking  # Los Angeles, a robbery conviction: 7282.5(a)(1)
    _release(booking, reason="transferred_to_ice", at=clock.now() - timedelta(hours=2))
    record_outcome(booking, "transferred_to_ice")
    _run("ca-transfers", tmp_path)
    rows = _read(tmp_path / f"ca-transfers-{clock.now().year}.csv")
    assert rows[1][0] == "Serious or violent felony conviction, at any time"
    assert "7282.5(a)(1)" in rows[1][1] and rows[1][2] == "1"
    _no_personal_data(*tmp_path.iterdir(), words=("Garcia", "Miguel", "A123456789", "PC 211", "LOS-2025"))
    # Alameda made none: a certified zero
    _run("ca-transfers", tmp_path / "alameda", "--jurisdiction", "06001")
    zero = _read(tmp_path / "alameda" / f"ca-transfers-{clock.now().year}.csv")
    assert zero[1][0].startswith("The agency certifies that it made no transfers")


@pytest.mark.django_db
def test_it_counts_truth_act_access_publicly_with_small_counts_suppressed(world: World, tmp_path: Path) -> None:
    from handoff.notices.models import Notice, NoticeStatus

    notice = Notice.objects.filter(request=world.requests["notify"], kind__startswith="release.").get()
    Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.SENT, sent_at=clock.now() - timedelta(hours=1))
    out = _run("ca-truth", tmp_path)
    assert "(public counts)" in out
    rows = _read(tmp_path / f"ca-truth-{clock.now().year}-public.csv")
    assert rows[0][0] == "Month" and rows[1][1] == "suppressed", rows  # one notification: 1 is never printed
    assert "1" not in [c for r in rows[1:] for c in r[1:]]


@pytest.mark.django_db
def test_it_logs_oregons_declined_requests_for_the_commission(world: World, tmp_path: Path) -> None:
    jail = world.facilities["MC-DET"]
    for i in range(2):
        b = add_booking(jail, last=f"Oregan{i}", first="Sam", dob=date(1991, 2, 1 + i), release_in=timedelta(days=2))
        send_request(f"OR-R-{i}", b, "ERO-OR")
    _run("or-declined", tmp_path)
    rows = _read(tmp_path / f"or-declined-{clock.now().year}.csv")
    assert rows[0][-2:] == ["Response", "Declined at"]
    assert [r[7] for r in rows[1:]] == ["declined", "declined"]
    assert all(r[3] == "ICE ERO OR" and "detainer" in r[4].lower() for r in rows[1:])
    _no_personal_data(*tmp_path.iterdir(), words=("Oregan", "OR-R-", "Sam"))
    html = (tmp_path / f"or-declined-{clock.now().year}.html").read_text()
    assert "Oregon Criminal Justice Commission" in html and "181A.826(3)" in html


@pytest.mark.django_db
def test_it_certifies_a_zero_for_oregon(world: World, tmp_path: Path) -> None:
    _run("or-declined", tmp_path)
    rows = _read(tmp_path / f"or-declined-{clock.now().year}.csv")
    assert rows[1][0].startswith("The agency certifies that it received no immigration-enforcement requests")


@pytest.mark.django_db
def test_it_produces_no_florida_filing_and_says_why(world: World, tmp_path: Path) -> None:
    out = _run("fl-287g", tmp_path / "fl")
    assert "No Florida filing is produced" in out and "908.11(2)" in out
    assert not (tmp_path / "fl").exists()


@pytest.mark.django_db
def test_it_refuses_a_county_outside_the_reports_state_and_a_public_report_of_a_confidential_place(
    world: World, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="not in this report's state") as exc:
        _run("il-trust", tmp_path, "--jurisdiction", "48201")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="2-digit state or 5-digit county"):
        _run("il-trust", tmp_path, "--jurisdiction", "17/031")
    from handoff.jurisdictions.models import Jurisdiction

    Jurisdiction.objects.filter(fips="17031").update(confidential=True)
    with pytest.raises(CommandError, match="cannot cover a jurisdiction whose cooperation is confidential"):
        _run("il-trust", tmp_path, "--public")
    assert not list(tmp_path.iterdir())


@pytest.mark.django_db
def test_it_passes_the_audit_on_a_public_report(world: World, tmp_path: Path) -> None:
    """A public Illinois report (counts by month and what happened) passes the same LP audit as the page."""
    from handoff.reports.audit import audit
    from handoff.reports.statutory import build

    now = clock.now()
    jail = world.facilities["CK-JAIL"]
    for i in range(30):
        b = add_booking(jail, last=f"Pub{i}", first="X", dob=date(1980, 1, 1 + i % 27), release_in=timedelta(days=3))
        send_request(f"IL-P-{i}", b, "ERO-IL", at=now - timedelta(days=(i % 3) * 31 + 1))
        if i % 4 == 0:
            _release(b, reason="sentence_served", at=now - timedelta(hours=1))
    filing = build("il-trust", now.year, public=True)
    values = [v for r in filing.records for k, v in r.items() if k != "month"]
    assert "suppressed" in values and all(v == "suppressed" or not 1 <= int(v) <= 10 for v in values)
    assert filing.suppressed
    # re-audit the published counts from scratch: the public report's own figures are the whole publication
    from handoff.reports.statutory import il_trust, to_public

    raw = il_trust(now.year, public=True)
    again = to_public(raw)
    assert again.records == filing.records
    from handoff.reports.audit import Publication

    pub = Publication()
    counts: dict[tuple[str, str], int] = {}
    for r in raw.records:
        key = (r["month"], r["released_or_transferred"])
        counts[key] = counts.get(key, 0) + 1
    months = sorted({k[0] for k in counts})
    kinds = sorted({k[1] for k in counts})
    for m in months:
        for k in kinds:
            pub.figure((m, k), [pub.atom((m, k), counts.get((m, k), 0))])
    for m in months:
        pub.figure((m, "total"), [pub.atom((m, k)) for k in kinds])
    for k in kinds:
        pub.figure(("total", k), [pub.atom((m, k)) for m in months])
    pub.figure(("total", "total"), [pub.atom((m, k)) for m in months for k in kinds])
    hidden = {pub.index(key) for key in filing.suppressed}
    assert audit(pub, hidden).ok
