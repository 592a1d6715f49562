"""The reports state law asks a jail for, built from what Handoff holds, with no personal data.

Why each report is a `Filing` (a list of records, the statute's fields as columns, and a certification):
the statutes ask for records (Illinois: one per detainer), counts (California: transfers by the offence
that allowed them) or a log (Oregon: every declined request), and two of them (Illinois 5 ILCS 805/25(a),
Oregon by the Criminal Justice Commission's practice) ask the agency to certify when there is nothing to
report. So a filing with no records is still a filing: it says, in the CSV and on the printed page, that
the agency received none in the year. What the statute asks and Handoff does not hold is said in the
filing's notes, never guessed.

No personal data: a record is numbered, never named; no booking number, request id, name, birth date,
A-number or FBI number appears in any filing (5 ILCS 805/25(b) forbids names and "other personally
identifying information"). Times are in the jail's own time zone; the year is the jail's calendar year.

A report marked public (`--public`) is counted, not listed, and its counts pass the same disclosure control
as /transparency (handoff.reports.audit): counts 1..10 hidden, complementary suppression proved by the
linear program. A public report never covers a jurisdiction whose cooperation is confidential.

Florida: chapter 908 asks for no annual detainer report. 908.11(2) (as amended by ch. 2025-1) asks a sheriff
or chief correctional officer who has NOT yet entered a 287(g) agreement to notify the State Board of
Immigration Enforcement quarterly of the agreement's status and any reason for non-compliance: a statement
about an agreement, which Handoff does not hold. So `fl-287g` produces no filing and says why (FLORIDA_NOTE).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

from handoff.core import clock
from handoff.core.errors import InvalidInput

ICE = "U.S. Immigration and Customs Enforcement (DHS)"
#: said of a request made from a jail export's own record of an ICE hold (handoff.evidence.counting): the
#: export says a hold was placed, not on which form, by which office, or when it arrived (booking time is used)
HISTORICAL_NOTE = " (from the jail's own record of an ICE hold; form and office not recorded, received = booked)"

FLORIDA_NOTE = (
    "No Florida filing is produced. Fla. Stat. chapter 908 (SB 168, 2019; ch. 2022-193; ch. 2025-1) asks for no "
    "annual report of detainers or transfers. Section 908.11(2) asks a sheriff or chief correctional officer "
    "operating a county detention facility that has not yet entered the written 287(g) agreement required by "
    "908.11(1) to notify the State Board of Immigration Enforcement quarterly of the agreement's status and any "
    "reason for non-compliance, beginning no later than 1 April 2025. That is a statement about an agreement, "
    "which Handoff does not hold; the detainer duties of 908.105 ask for no report. Checked against the 2024 "
    "Florida Statutes (including 2025C) as published by the Florida Senate; later amendments not verified."
)


@dataclass(frozen=True)
class Column:
    key: str
    header: str


@dataclass
class Filing:
    slug: str
    title: str
    statute: str
    recipient: str
    year: int
    scope: str  # the places covered, in words
    facilities: list[str]  # facility names covered
    columns: list[Column]
    records: list[dict[str, Any]]
    certification: str  # said when there are no records
    notes: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    generated_at: datetime = field(default_factory=clock.now)
    public: bool = False
    #: for a public version: (row field, column field, count field or "" to count records)
    public_table: tuple[str, str, str] = ("", "", "")
    suppressed: set[tuple[str, str]] = field(default_factory=set)

    @property
    def zero(self) -> bool:
        return not self.records

    def total(self, key: str = "") -> int:
        return sum(int(r.get(key, 1)) for r in self.records) if key else len(self.records)


# --- scope ------------------------------------------------------------------------------------------------
def _scope(state_fips: str, jurisdiction: str | None, *, public: bool) -> tuple[list[Any], str]:
    """The facilities of the state, or of one county (or the state) given by FIPS."""
    from handoff.jurisdictions.models import Facility, Jurisdiction

    code = (jurisdiction or state_fips).strip()
    if not code.isdigit() or len(code) not in (2, 5):
        raise InvalidInput(f"--jurisdiction must be a 2-digit state or 5-digit county FIPS code, not {code!r}",
                           "jurisdiction")
    if not code.startswith(state_fips):
        raise InvalidInput(f"jurisdiction {code} is not in this report's state (FIPS {state_fips})", "jurisdiction")
    place = Jurisdiction.objects.filter(fips=code).first()
    facilities = list(Facility.objects.select_related("jurisdiction").filter(jurisdiction__fips__startswith=code)
                      .order_by("name"))
    if public:
        secret = sorted({f.jurisdiction.fips for f in facilities if f.jurisdiction.confidential})
        if secret:
            raise InvalidInput("a report marked public cannot cover a jurisdiction whose cooperation is "
                               f"confidential ({len(secret)} in this scope); file it unpublished, or run it for "
                               "a public county", "public")
    label = place.name if place else f"FIPS {code}"
    return facilities, label


def _local(when: datetime | None, tz: str) -> datetime | None:
    if when is None:
        return None
    return when.astimezone(ZoneInfo(tz or "UTC"))


def _in_year(when: datetime | None, tz: str, year: int) -> bool:
    local = _local(when, tz)
    return local is not None and local.year == year


def _year_window(year: int) -> tuple[datetime, datetime]:
    """UTC bounds wide enough for every time zone; the exact local-year test follows."""
    return datetime(year, 1, 1, tzinfo=UTC) - timedelta(days=1), datetime(year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)


def _fmt(when: datetime | None, tz: str) -> str:
    local = _local(when, tz)
    return local.strftime("%Y-%m-%d %H:%M %Z") if local else ""


def _kind_label(kind: str) -> str:
    return {"detainer": "Immigration detainer (I-247A)", "notification": "Request for notification of release",
            "transfer": "Request for transfer of custody"}.get(kind, kind)


def _outcomes(request_ids: list[int], booking_ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    from handoff.notices.models import Outcome

    by_request = dict(Outcome.objects.filter(request_id__in=request_ids).values_list("request_id", "kind"))
    by_booking = dict(Outcome.objects.filter(booking_id__in=booking_ids).values_list("booking_id", "kind"))
    return by_request, by_booking


# --- Illinois ---------------------------------------------------------------------------------------------
def il_trust(year: int, jurisdiction: str | None = None, *, public: bool = False) -> Filing:
    """5 ILCS 805/25(a)(2), as amended by the Way Forward Act (P.A. 102-0234, 2021): every immigration
    detainer or civil immigration warrant received, with (A) the date received, (B) the date and time the
    person posted criminal bail, if applicable, (C) whether released or transferred, (D) the date and time
    released or transferred, and (E) if transferred, to which agency's custody."""
    from handoff.evidence.counting import counted

    facilities, label = _scope("17", jurisdiction, public=public)
    lo, hi = _year_window(year)
    qs = (counted().filter(facility__in=facilities, received_at__gte=lo, received_at__lt=hi)
          .select_related("facility", "booking").order_by("received_at", "pk"))
    reqs = [r for r in qs if _in_year(r.received_at, r.facility.timezone, year)]
    by_request, by_booking = _outcomes([r.pk for r in reqs], [r.booking_id for r in reqs if r.booking_id])
    records: list[dict[str, Any]] = []
    for n, r in enumerate(reqs, start=1):
        tz = r.facility.timezone
        b = r.booking
        outcome = by_request.get(r.pk) or (by_booking.get(b.pk) if b else None)
        released_at = b.released_at if b else None
        if outcome == "transferred_to_ice" or (b and b.release_reason == "transferred_to_ice"):
            status, agency = "transferred", ICE
        elif b and b.release_reason == "transferred_other":
            status, agency = "transferred", "another agency (not recorded in Handoff)"
        elif released_at is not None:
            status, agency = "released", ""
        elif b is None:
            status, agency = "no booking matched", ""
        else:
            status, agency = "in custody at the time of the report", ""
        bail = released_at if b and (b.release_reason == "bail_posted" or b.release_type == "bail") else None
        records.append({
            "record": n,
            "facility": r.facility.name,
            "type": _kind_label(r.kind) + (" with an administrative warrant (" + (r.warrant_form or "I-200/I-205") + ")"
                                           if r.warrant_type == "administrative" else "")
            + (HISTORICAL_NOTE if r.historical else ""),
            "received_on": _local(r.received_at, tz).date().isoformat(),  # type: ignore[union-attr]
            "month": _local(r.received_at, tz).strftime("%Y-%m"),  # type: ignore[union-attr]
            "bail_posted_at": _fmt(bail, tz),
            "released_or_transferred": status,
            "released_or_transferred_at": _fmt(released_at, tz) if status in ("released", "transferred") else "",
            "transferred_to": agency,
        })
    return Filing(
        slug="il-trust", title="Illinois TRUST Act annual report to the Attorney General",
        statute="5 ILCS 805/25 (Illinois TRUST Act, as amended by P.A. 102-0234, the Way Forward Act, 2021)",
        recipient="Office of the Illinois Attorney General", year=year, scope=label,
        facilities=[f.name for f in facilities],
        columns=[Column("record", "Record"), Column("facility", "Facility"),
                 Column("type", "Detainer or civil immigration warrant"),
                 Column("received_on", "(A) Date received"),
                 Column("bail_posted_at", "(B) Date and time criminal bail was posted"),
                 Column("released_or_transferred", "(C) Released or transferred"),
                 Column("released_or_transferred_at", "(D) Date and time released or transferred"),
                 Column("transferred_to", "(E) Transferred to which agency's custody")],
        records=records,
        certification=(f"The agency certifies that it received no immigration detainers or civil immigration "
                       f"warrants in {year} (5 ILCS 805/25(a)(2))."),
        notes=[
            "5 ILCS 805/25(a)(1) also asks for every DHS request for participation, support or assistance in a "
            "civil immigration enforcement operation, and how it was addressed, or a certification that none was "
            "received. Handoff does not hold such requests: the agency must add them (or its certification) "
            "itself. This filing certifies nothing about them.",
            "5 ILCS 805/25(b): no names or other personally identifying information. Records are numbered; no "
            "booking number, request id, name or date of birth appears.",
            "(B) is the time of release for a release recorded as on bail (release reason 'bail posted' or "
            "release type 'bail'): Handoff records the release, not the separate moment bail was paid.",
        ],
        uncertain=["Whether the Attorney General prescribes a form or format for this report was not verified; "
                   "the columns follow the statute's items (A) to (E)."],
        public=public, public_table=("month", "released_or_transferred", ""),
    )


# --- California -------------------------------------------------------------------------------------------
def _transfers(facilities: list[Any], year: int) -> Any:
    """The transfers to ICE in the jails' local calendar year, once per booking, by the one counting rule
    (handoff.evidence.services.transfers_to_ice: what the public page counts as "transferred to ICE")."""
    import pandas as pd

    from handoff.evidence.services import transfers_to_ice

    tz_of = {f.pk: f.timezone for f in facilities}
    df = transfers_to_ice(list(tz_of))
    keep = [not pd.isna(t) and _in_year(t.to_pydatetime(), tz_of[int(f)], year)
            for t, f in zip(df["at"], df["facility_id"], strict=True)]
    return df[keep].sort_values(["at", "booking_id"]) if len(df) else df


def _transfer_basis(policies: list[str], reasons: list[dict[str, Any]]) -> tuple[str, str]:
    """The rule of the governing law that permitted the transfer (the class of offence that allowed it)."""
    from handoff.reports.services import _DeclineReasons

    helper = _DeclineReasons()
    found: list[tuple[str, str]] = []
    federal: list[tuple[str, str]] = []
    for r in reasons:
        if not r.get("holds"):
            continue
        policy, rule = str(r.get("policy", "")), str(r.get("rule", ""))
        if helper._rule_then(policy, rule).get("transfer") == "permitted":
            # the state's (or county's) rule names the offence; the federal policy only says ICE may take custody
            (federal if policy.split("@")[0] == "us-federal" else found).append(
                (helper._rule_title(policy, rule), str(r.get("cite", ""))))
    if not found and not federal:
        return "No rule permitting transfer on the decision record (to be checked)", ""
    return (found or federal)[0]


def ca_transfers(year: int, jurisdiction: str | None = None, *, public: bool = False) -> Filing:
    """Gov. Code 7284.6(c)(2): the agency reports to the Department of Justice annually the transfers made under
    7284.6(a)(4) and "the offense that allowed for the transfer"."""
    from handoff.requests.models import ImmigrationRequest

    facilities, label = _scope("06", jurisdiction, public=public)
    transfers = _transfers(facilities, year)
    requests = ImmigrationRequest.objects.select_related("current_decision").in_bulk(
        [int(t) for t in transfers["request_id"]])
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for request_id in transfers["request_id"]:
        req = requests.get(int(request_id))
        decision = req.current_decision if req else None
        basis = _transfer_basis(list(decision.policies), list(decision.reasons)) if decision else (
            "No decision on record for this transfer (to be checked)", "")
        counts[basis] += 1
    records = [{"offense_basis": b, "citation": c, "transfers": n} for (b, c), n in sorted(counts.items())]
    return Filing(
        slug="ca-transfers", title="California annual report of transfers to immigration authorities",
        statute="Cal. Gov. Code 7284.6(c)(2) (California Values Act, SB 54, 2017)",
        recipient="California Department of Justice", year=year, scope=label,
        facilities=[f.name for f in facilities],
        columns=[Column("offense_basis", "The offense that allowed for the transfer (Gov. Code 7282.5 / 7284.6(a)(4))"),
                 Column("citation", "Citation"), Column("transfers", "Transfers")],
        records=records,
        certification=f"The agency certifies that it made no transfers to immigration authorities in {year}.",
        notes=[
            "A transfer is a release to ICE, once per booking: recorded as 'transferred to ICE' (by staff, the "
            "API or an import) or given as the jail's release reason; the same rule the public page counts by. "
            "The offense is given as the provision of "
            "Gov. Code 7282.5 (or the judicial warrant of 7284.6(a)(4)) under which the governing decision "
            "permitted the transfer, i.e. the class of offense; the conviction record behind it stays on the "
            "decision and is not copied here (no personal data).",
        ],
        uncertain=[
            "The text of Gov. Code 7284.6(c)(2) could not be re-read from a primary source in this session; the "
            "quoted words (\"the offense that allowed for the transfer\") follow a secondary summary of the law. Whether the "
            "Department of Justice prescribes a form was not verified.",
        ],
        public=public, public_table=("offense_basis", "", "transfers"),
    )


def ca_truth(year: int, jurisdiction: str | None = None, *, public: bool = True) -> Filing:
    """Gov. Code 7283.1: the records of ICE access. 7283.1(d) lets the agency give its governing body, for the
    annual community forum, the number of people to whom it gave ICE access, the date, and whether by a hold,
    transfer or notification request or other means; 7283.1(b) makes the records of ICE access public."""
    from handoff.custody.models import InterviewRecord
    from handoff.evidence.counting import counted
    from handoff.notices.models import DELIVERED_STATUSES, RELEASE_KINDS, LetterHandover, Notice, NoticeKind

    facilities, label = _scope("06", jurisdiction, public=public)
    lo, hi = _year_window(year)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    people: dict[tuple[str, str], set[int]] = defaultdict(set)
    notices = (Notice.objects.filter(kind__in=RELEASE_KINDS, status__in=DELIVERED_STATUSES,
                                     request__in=counted().filter(facility__in=facilities),
                                     sent_at__gte=lo, sent_at__lt=hi)
               .select_related("request__facility"))
    for n in notices:
        tz = n.request.facility.timezone
        if _in_year(n.sent_at, tz, year):
            key = (_local(n.sent_at, tz).strftime("%Y-%m"), "notification of release date")  # type: ignore[union-attr]
            people[key].add(n.request_id)
    tz_of = {f.pk: f.timezone for f in facilities}
    transfers = _transfers(facilities, year)
    for booking_id, facility_id, when in zip(transfers["booking_id"], transfers["facility_id"], transfers["at"],
                                             strict=True):
        tz = tz_of[int(facility_id)]
        people[(_local(when.to_pydatetime(), tz).strftime("%Y-%m"), "transfer")].add(int(booking_id))  # type: ignore[union-attr]
    letters = (LetterHandover.objects.filter(notice__request__facility__in=facilities,
                                             handed_over_at__gte=lo, handed_over_at__lt=hi)
               .select_related("notice__request__facility"))
    for h in letters:
        tz = h.notice.request.facility.timezone
        if _in_year(h.handed_over_at, tz, year):
            people[(_local(h.handed_over_at, tz).strftime("%Y-%m"),  # type: ignore[union-attr]
                    "written notice given to the person or attorney (7283.1(b))")].add(h.notice.request_id)
    # the e-mailed copy to the attorney or designee (email.attorney) is the same written notice, delivered
    emails = (Notice.objects.filter(kind=NoticeKind.EMAIL_ATTORNEY, status__in=DELIVERED_STATUSES,
                                    request__facility__in=facilities, sent_at__gte=lo, sent_at__lt=hi)
              .select_related("request__facility"))
    for n in emails:
        tz = n.request.facility.timezone
        if _in_year(n.sent_at, tz, year):
            people[(_local(n.sent_at, tz).strftime("%Y-%m"),  # type: ignore[union-attr]
                    "written notice given to the person or attorney (7283.1(b))")].add(n.request_id)
    # ICE interviews the person consented to (7283.1(a): written consent form first); counted by person
    for r in (InterviewRecord.objects.filter(booking__facility__in=facilities, answer="consented",
                                             interview_at__gte=lo, interview_at__lt=hi)
              .select_related("booking__facility")):
        tz = r.booking.facility.timezone
        if r.interview_at is not None and _in_year(r.interview_at, tz, year):
            people[(_local(r.interview_at, tz).strftime("%Y-%m"),  # type: ignore[union-attr]
                    "interview, with the person's written consent (7283.1(a))")].add(r.booking.person_id)
    for key, ids in people.items():
        counts[key] = len(ids)
    records = [{"month": m, "access": a, "individuals": n} for (m, a), n in sorted(counts.items())]
    return Filing(
        slug="ca-truth", title="California TRUTH Act: records of ICE access",
        statute="Cal. Gov. Code 7283.1(b), (d) (TRUTH Act, AB 2792, 2016)",
        recipient="The county's governing body, for the annual community forum; public record", year=year,
        scope=label, facilities=[f.name for f in facilities],
        columns=[Column("month", "Month"), Column("access", "How ICE access was given"),
                 Column("individuals", "Individuals")],
        records=records,
        certification=f"The agency certifies that it gave ICE access to no one in {year} through Handoff's records.",
        notes=[
            "Counted: release-date notifications delivered to ICE, transfers to ICE at release, the written "
            "notices of 7283.1(b) handed to the person or their attorney or e-mailed to the attorney or designee, "
            "and ICE interviews recorded with the person's written consent (7283.1(a); by person and month of the "
            "interview). Holds are never given in California (7284.6(a)(1)(B)). Access Handoff does not record "
            "(an interview nobody entered, telephone access) is not counted.",
            "Months, not dates: this report is public by default, so its counts pass disclosure control; run it "
            "with --no-public for the governing body's own copy by date is not offered (dates would be personal "
            "data at small counts).",
        ],
        uncertain=["7283.1(d) says the agency 'may' provide these figures; the form of the forum data is not "
                   "prescribed. Demographics (which 7283.1(d) mentions) are not reported."],
        public=public, public_table=("month", "access", "individuals"),
    )


# --- Oregon -----------------------------------------------------------------------------------------------
def or_declined(year: int, jurisdiction: str | None = None, *, public: bool = False) -> Filing:
    """ORS 181A.826(3) (Sanctuary Promise Act, HB 3265, 2021): a public body that receives a request from a
    federal agency relating to immigration enforcement (other than a qualifying judicial subpoena) declines it
    and documents it; the documentation is reported to the Oregon Criminal Justice Commission."""
    from handoff.evidence.counting import counted

    facilities, label = _scope("41", jurisdiction, public=public)
    lo, hi = _year_window(year)
    qs = (counted().filter(facility__in=facilities, received_at__gte=lo, received_at__lt=hi)
          .select_related("facility", "office", "current_decision").order_by("received_at", "pk"))
    records: list[dict[str, Any]] = []
    for r in qs:
        tz = r.facility.timezone
        if not _in_year(r.received_at, tz, year):
            continue
        d = r.current_decision
        declined = d is not None and not d.notify and d.hold != "required" and d.transfer != "permitted"
        asked = ["notice of release"] + (["hold past release"] if r.kind == "detainer" else []) + (
            ["transfer of custody"] if r.kind == "transfer" else [])
        records.append({
            "record": len(records) + 1,
            "facility": r.facility.name,
            "received_at": _fmt(r.received_at, tz),
            "month": _local(r.received_at, tz).strftime("%Y-%m"),  # type: ignore[union-attr]
            "requesting_agency": r.office.name,
            "request": _kind_label(r.kind),
            "warrant": {"administrative": f"administrative ({r.warrant_form or 'I-200/I-205'})",
                        "judicial": "judicial", "none": "none"}.get(r.warrant_type, r.warrant_type),
            "asked": "; ".join(asked),
            "response": ("not decided in Handoff: from the jail's own record of an ICE hold" if r.historical
                         else "declined" if declined else ("not yet decided" if d is None else "NOT declined: check")),
            "decided_at": _fmt(d.evaluated_at, tz) if d else "",
        })
    return Filing(
        slug="or-declined", title="Oregon log of declined immigration-enforcement requests",
        statute="ORS 181A.826(3) (Sanctuary Promise Act, HB 3265, 2021)",
        recipient="Oregon Criminal Justice Commission", year=year, scope=label,
        facilities=[f.name for f in facilities],
        columns=[Column("record", "Record"), Column("facility", "Facility"), Column("received_at", "Received"),
                 Column("requesting_agency", "Requesting federal agency"), Column("request", "Request"),
                 Column("warrant", "Warrant"), Column("asked", "What was asked"), Column("response", "Response"),
                 Column("decided_at", "Declined at")],
        records=records,
        certification=(f"The agency certifies that it received no immigration-enforcement requests from a federal "
                       f"agency in {year}. (The Commission asks for reports only when requests were received.)"),
        notes=[
            "Every request Handoff holds for an Oregon jail is listed; a request the law did not lead Handoff to "
            "decline is marked 'NOT declined: check' (ORS 181A.826 leaves no case in which a non-judicial "
            "request is granted).",
            "The Commission's reporting page asks public bodies to report at least monthly when they receive "
            "requests; this annual log can be filed in monthly parts by month.",
        ],
        uncertain=["The Commission's reporting form and fields were not verified; the exact recipient wording of "
                   "181A.826(3)(a) after 'must be provided to the director ...' was not re-read."],
        public=public, public_table=("month", "request", ""),
    )


# --- over-detention (every state) ----------------------------------------------------------------------------
def _scope_any(jurisdiction: str | None, *, public: bool) -> tuple[list[Any], str]:
    """Every facility (no --jurisdiction), or those of one state or county by FIPS."""
    from handoff.jurisdictions.models import Facility

    if jurisdiction is None:
        facilities = list(Facility.objects.select_related("jurisdiction").order_by("name"))
        if public and any(f.jurisdiction.confidential for f in facilities):
            raise InvalidInput("a report marked public cannot cover a jurisdiction whose cooperation is "
                               "confidential; give --jurisdiction for a public state or county", "public")
        return facilities, "every jail using Handoff"
    code = jurisdiction.strip()
    return _scope(code[:2], code, public=public)


def over_detention(year: int, jurisdiction: str | None = None, *, public: bool = False) -> Filing:
    """Releases recorded after the end of the hold the law allowed (issue 9 item 2; law review X3): the I-247A
    asks for a hold "not to exceed 48 hours" past release, and a hold past that is a new seizure with no
    warrant. No statute asks for this report; it is the jail's own record for its sheriff, county counsel and
    (counted, under disclosure control) the public."""
    from handoff.reports.services import over_detentions

    facilities, label = _scope_any(jurisdiction, public=public)
    lo, hi = _year_window(year)
    names = {f.pk: f.name for f in facilities}
    records: list[dict[str, Any]] = []
    for o in over_detentions(facility_ids=list(names), released_from=lo, released_to=hi):
        if not _in_year(o.released_at, o.timezone, year):
            continue
        records.append({
            "record": len(records) + 1,
            "facility": names[o.facility_id],
            "month": _local(o.released_at, o.timezone).strftime("%Y-%m"),  # type: ignore[union-attr]
            "hold_until": _fmt(o.hold_until, o.timezone),
            "released_at": _fmt(o.released_at, o.timezone),
            "hours_over": o.hours_over,
        })
    return Filing(
        slug="over-detention", title="Releases after the hold's end (over-detention)",
        statute="Form I-247A (3/17) (a hold 'not to exceed 48 hours'); 8 CFR 287.7(d); U.S. Const. amend. IV",
        recipient="The jail's own record (no statute asks for it): the sheriff, county counsel, the public",
        year=year, scope=label, facilities=[f.name for f in facilities],
        columns=[Column("record", "Record"), Column("facility", "Facility"), Column("month", "Month"),
                 Column("hold_until", "Hold ended"), Column("released_at", "Released"),
                 Column("hours_over", "Hours past the hold's end")],
        records=records,
        certification=f"No release in {year} was recorded after the end of a hold, in Handoff's records.",
        notes=[
            "A release counts when it was recorded after the hold's end of the decision the hold ran under: the "
            "release time plus the shortest period any governing text allows (the I-247A's 48 hours binds even "
            "where 8 CFR 287.7(d) would stretch across a weekend). One per booking, by the year of the release "
            "in the jail's time zone; a release time corrected to before the hold's end no longer counts.",
            "Holds Handoff did not decide (no request in Handoff, or a release with no release time known) are "
            "not counted.",
        ],
        public=public, public_table=("month", "facility", ""),
    )


REPORTS: dict[str, Callable[..., Filing]] = {
    "over-detention": over_detention,
    "il-trust": il_trust,
    "ca-transfers": ca_transfers,
    "ca-truth": ca_truth,
    "or-declined": or_declined,
}
PUBLIC_BY_DEFAULT = {"ca-truth"}


# --- public versions: counts under disclosure control ------------------------------------------------------
def to_public(filing: Filing) -> Filing:
    """Counts instead of records, protected with the linear-program audit (the same rule as /transparency)."""
    from handoff.reports.audit import Publication, suppress

    row_field, col_field, count_field = filing.public_table
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for rec in filing.records:
        col = str(rec[col_field]) if col_field else "count"
        counts[(str(rec[row_field]), col)] += int(rec[count_field]) if count_field else 1
    rows = sorted({k[0] for k in counts})
    cols = sorted({k[1] for k in counts}) if col_field else ["count"]
    pub = Publication()
    for r in rows:
        for c in cols:
            pub.figure((r, c), [pub.atom((r, c), counts.get((r, c), 0))])
    row_keys = [*rows, *(["total"] if len(rows) > 1 else [])]
    col_keys = [*cols, *(["total"] if len(cols) > 1 else [])]
    for r in row_keys:
        for c in col_keys:
            if r != "total" and c != "total":
                continue
            pub.figure((r, c), [pub.atom((x, y)) for x in (rows if r == "total" else [r])
                                for y in (cols if c == "total" else [c])])
    result = suppress(pub)
    hidden: set[tuple[str, str]] = {pub.figures[i].key for i in result.hidden}  # type: ignore[misc]
    records = [{row_field: r, **{c: ("suppressed" if (r, c) in hidden else pub.value(pub.index((r, c))))
                                 for c in col_keys}} for r in row_keys]
    headers = {c.key: c.header for c in filing.columns}
    columns = [Column(row_field, headers.get(row_field, row_field))]
    columns += [Column(c, {"total": "Total", "count": headers.get(count_field, "Count")}.get(c, c)) for c in col_keys]
    return Filing(
        slug=filing.slug, title=filing.title + " (public counts)", statute=filing.statute,
        recipient=filing.recipient, year=filing.year, scope=filing.scope, facilities=filing.facilities,
        columns=columns, records=records if rows else [], certification=filing.certification,
        notes=[*filing.notes, "Public version: counts only. Counts from 1 to 10 are shown as 'suppressed', and "
               "further counts are suppressed until a linear program over every published count shows that each "
               "suppressed count could lie anywhere in a range at least 15 wide."],
        uncertain=filing.uncertain, generated_at=filing.generated_at, public=True,
        public_table=filing.public_table, suppressed=hidden,
    )


def build(name: str, year: int, jurisdiction: str | None = None, *, public: bool | None = None) -> Filing:
    if name not in REPORTS:
        raise InvalidInput(f"unknown report {name!r}; known: {', '.join(sorted(REPORTS))}, fl-287g", "report")
    if not 1900 < year < 2200:
        raise InvalidInput(f"--year {year} is out of range", "year")
    public = (name in PUBLIC_BY_DEFAULT) if public is None else public
    filing = REPORTS[name](year, jurisdiction, public=public)
    return to_public(filing) if public else filing


def write(filing: Filing, out_dir: Path) -> list[Path]:
    """The filing's CSV and its printable HTML page, named after the report and year."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{filing.slug}-{filing.year}" + ("-public" if filing.public else "")
    csv_path = out_dir / f"{stem}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.header for c in filing.columns])
        for r in filing.records:
            writer.writerow([r.get(c.key, "") for c in filing.columns])
        if filing.zero:
            writer.writerow([filing.certification] + [""] * (len(filing.columns) - 1))
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(render_to_string("reports/filing.html", {
        "f": filing, "rows": [[r.get(c.key, "") for c in filing.columns] for r in filing.records],
        "today": date.today(),
    }), encoding="utf-8")
    return [csv_path, html_path]
