"""A stored decision as JSON (INTERFACES.md "Decisions") and as text a county counsel can check.

Why the text spells everything out: counsel reads it to answer "was this lawful?". So it gives the request as
received, the facts as they stood when the answer was given, each policy with the version that was in force,
the outcome in words, and every rule evaluated (held or not, why, and its citation), then any override and
the history of answers. Times are shown in the facility's time zone, with the zone named.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handoff.custody.models import Booking
from handoff.policy.registry import registry
from handoff.requests.models import Decision, ImmigrationRequest, RequestStatus


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def hold_clock(row: Decision, req: ImmigrationRequest) -> tuple[datetime | None, str]:
    """`hold_until` for a decision that permits or requires a hold, and why there is none otherwise.

    The release time is the booking's scheduled release (the time the person would otherwise be released);
    the period is the shortest any governing text allows (core.calendar.hold_until: the I-247A's 48 clock
    hours bind even where 8 CFR 287.7(d) would count business hours)."""
    from handoff.core.calendar import hold_until

    if row.hold not in ("permitted", "required"):
        return None, "no hold: the decision does not permit one"
    booking = req.booking if req.booking_id else None
    if booking is None:
        return None, "no hold end: the request is not matched to a booking"
    if booking.scheduled_release_at is None:
        return None, "no hold end: the booking has no release time, so the 48 hours cannot start"
    return hold_until(booking.scheduled_release_at, req.facility.timezone), ""


def decision_json(row: Decision, req: ImmigrationRequest | None = None) -> dict[str, Any]:
    """INTERFACES.md's decision object, plus `decision_id`, `trigger`, `calendar`, `answer_declined`,
    `override` (null unless a supervisor decided), `facts`, and `hold_until` (UTC; null with `hold_note`
    saying why when there is no hold or no release time)."""
    req = req or row.request
    until, hold_note = hold_clock(row, req)
    override = None
    if row.overrides_id is not None:
        override = {
            "overrides": row.overrides_id,
            "reason": row.override_reason,
            "by": row.override_by.get_username() if row.override_by is not None else None,
        }
    return {
        "request_id": req.request_id,
        "decision_id": row.pk,
        "policies": list(row.policies),
        "evaluated_at": _iso(row.evaluated_at),
        "trigger": row.trigger,
        "notify": row.notify,
        "hold": row.hold,
        "transfer": row.transfer,
        "individual_notice": row.individual_notice,
        "attorney_notice": row.attorney_notice,
        "lead_time_hours": row.lead_time_hours,
        "calendar": row.calendar,
        "review": row.review,
        "answer_declined": row.answer_declined,
        "reasons": list(row.reasons),
        "override": override,
        "facts": row.facts,
        "hold_until": _iso(until),
        "hold_note": hold_note,
    }


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _policy_lines(entry: str) -> list[str]:
    """The policy id and version, with its title and source from the library when it still has them."""
    pid, _, since = entry.partition("@")
    lines = [f"  {pid}, version in force since {since}" if since else f"  {pid}"]
    try:

        doc = registry().document(pid)
    except Exception:  # a policy no longer in the library: the id and version are still the record
        return lines
    lines.append(f"      {doc.title} ({doc.level}, {doc.stance})")
    for version in doc.versions:
        if version.effective_from.isoformat() == since:
            lines.append(f"      Source: {version.source}")
    return lines


def _local(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return "-"
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _outcome_lines(row: Decision) -> list[str]:
    unit = "business hours (weekends and federal holidays excluded)" if row.calendar == "business" else "hours"
    notify = (f"YES - at least {row.lead_time_hours} {unit} before release" if row.notify
              else "NO - the release date and time may not be shared under this decision")
    hold = {
        "prohibited": "PROHIBITED - release at the time the person would otherwise be released",
        "permitted": "permitted (not required); never beyond the 48 hours the request asks",
        "required": "REQUIRED - for the time the request asks, at most 48 hours past release",
    }.get(row.hold, row.hold)
    transfer = {"prohibited": "PROHIBITED", "permitted": "permitted"}.get(row.transfer, row.transfer)
    return [
        f"  Notify the federal office before release:  {notify}",
        f"  Hold past release:                         {hold}",
        f"  Transfer custody to the federal office:    {transfer}",
        f"  Written notice to the person:              {_yes(row.individual_notice)}",
        f"  Written notice to attorney or designee:    {_yes(row.attorney_notice)}",
        f"  Answer the office that the request is declined: {_yes(row.answer_declined)}",
        f"  Needs review by a person:                  "
        f"{'YES - a supervisor must decide (see uncertain rules below)' if row.review else 'no'}",
    ]


def _fact_lines(facts: dict[str, Any]) -> list[str]:
    if not facts:
        return ["  (not recorded for this decision)"]
    lines: list[str] = []
    booking = facts.get("booking", {})
    lines.append(f"  Release type: {booking.get('release_type') or 'not given'}; "
                 f"released: {_yes(bool(booking.get('released')))}; "
                 f"arrested on: {booking.get('arrested_on') or 'not given (look-backs from the arrest count from the decision date)'}")
    charges = facts.get("charges", [])
    lines.append(f"  Charges on this booking ({len(charges)}):")
    for i, c in enumerate(charges, 1):
        cats = ", ".join(c.get("categories") or []) or "none recorded"
        lines.append(
            f"    {i}. {c['statute']} ({c.get('level') or 'level not given'}{', wobbler' if c.get('wobbler') else ''})"
            f" - {c.get('disposition')}; probable cause found by a magistrate: "
            f"{_yes(bool(c.get('probable_cause_found')))}; categories: {cats}"
        )
    if not charges:
        lines.append("    none")
    convictions = facts.get("convictions", [])
    lines.append(f"  Convictions ({len(convictions)}):")
    for c in convictions:
        cats = ", ".join(c.get("categories") or []) or "none recorded"
        extra = []
        if c.get("state_prison"):
            extra.append("punishable by state prison")
        if c.get("prop47_reduced"):
            extra.append("reduced under Proposition 47")
        if c.get("custody_days_since"):
            extra.append(f"{c['custody_days_since']} days in custody since")
        lines.append(
            f"    - {c['statute']} ({c.get('level') or 'level not given'}{', wobbler' if c.get('wobbler') else ''}),"
            f" convicted {c['convicted_on']}{' in ' + c['state'] if c.get('state') else ''}; categories: {cats}"
            + (f"; {'; '.join(extra)}" if extra else "")
        )
    if not convictions:
        lines.append("    none")
    reg = facts.get("registrant", {})
    lines.append(f"  Registrant: sex offender {_yes(bool(reg.get('sex_offender')))}, "
                 f"arson {_yes(bool(reg.get('arson')))}")
    person = facts.get("person", {})
    lines.append(f"  Proof of citizenship or lawful status presented: {_yes(bool(person.get('lawful_status_proven')))}")
    return lines


def _reason_lines(reasons: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for r in reasons:
        mark = "HELD    " if r.get("holds") else "not held"
        policy = r.get("policy") or ""
        if policy == "*":  # reasons the engine gives itself (withdrawal, composition bookkeeping)
            policy = "(engine)"
        head = f"  [{mark}] {policy + ' ' if policy else ''}{r.get('rule', '')}"
        if r.get("uncertain"):
            head += ("  (UNCERTAIN LAW, and it holds: a person must review)" if r.get("holds")
                     else "  (uncertain law; does not apply here)")
        lines.append(head)
        if r.get("cite"):
            lines.append(f"             Citation: {r['cite']}")
        if r.get("detail"):
            lines.append(f"             {r['detail']}")
    return lines or ["  (none)"]


def _summary(row: Decision) -> str:
    return (f"notify {_yes(row.notify)}, hold {row.hold}, transfer {row.transfer}, "
            f"notice to person {_yes(row.individual_notice)}, to attorney {_yes(row.attorney_notice)}, "
            f"review {_yes(row.review)}")


def request_lines(req: ImmigrationRequest, tz: ZoneInfo) -> list[str]:
    facility = req.facility
    county = facility.jurisdiction
    warrant = {"none": "none", "administrative": "administrative (signed by an immigration officer, not a judge)",
               "judicial": "judicial (signed by a judge)"}.get(req.warrant_type, req.warrant_type)
    warrant += f"; form {req.warrant_form}" if req.warrant_form else ""
    subject = ", ".join(p for p in [req.subject_last_name.upper(), req.subject_first_name] if p) or "not named"
    if req.subject_date_of_birth:
        subject += f", born {req.subject_date_of_birth.isoformat()}"
    ids = [f"A-number {req.subject_a_number}" if req.subject_a_number else "",
           f"FBI number {req.subject_fbi_number}" if req.subject_fbi_number else ""]
    booking = req.booking
    lines = [
        "THE REQUEST",
        f"  Kind:        {req.get_kind_display()}{' (Form ' + req.form + ')' if req.form else ''}",
        f"  Issued:      {_local(req.issued_at, tz)} by {req.office.name} ({req.office.code}); "
        f"received {_local(req.received_at, tz)}",
        f"  Facility:    {facility.name} ({facility.code}), {county.name}"
        f"{', ' + county.parent.name if county.parent is not None else ''} ({county.fips})",
        f"  Subject:     {subject}{'; ' + ', '.join(i for i in ids if i) if any(ids) else ''}",
        f"  Warrant:     {warrant}",
        f"  Judicial probable-cause determination attached: {_yes(req.judicial_probable_cause)}",
        f"  Basis:       {', '.join(req.basis) if req.basis else 'none given'}",
        f"  Lead time the office asks for: {req.lead_time_hours} hours",
        f"  The office asserts: aggravated felony conviction {_yes(req.federal_aggravated_felony_conviction)}; "
        f"outstanding federal felony warrant {_yes(req.federal_outstanding_felony_warrant)}; "
        f"terrorist screening match {_yes(req.federal_terrorist_screening_match)}",
        f"  Status:      {req.get_status_display()}"
        + (f" (withdrawn {_local(req.withdrawn_at, tz)})" if req.withdrawn_at else ""),
        f"  Match:       {req.match_note or '-'}",
    ]
    if booking is not None:
        lines.append(
            f"  Booking:     {booking.booking_number}, booked {_local(booking.booked_at, tz)}; scheduled release "
            f"{_local(booking.scheduled_release_at, tz)}; released {_local(booking.released_at, tz)}"
        )
    if req.status == RequestStatus.REVIEW and req.match_candidates:

        lines.append("  Candidate bookings (a person must choose; none is assumed):")
        for b in Booking.objects.filter(pk__in=req.match_candidates).select_related("person").order_by("pk"):
            p = b.person
            lines.append(
                f"    - booking {b.booking_number}: {p.last_name.upper()}, {p.first_name}, born "
                f"{p.date_of_birth.isoformat() if p.date_of_birth else 'unknown'}; A-number {p.a_number or '-'}; "
                f"FBI number {p.fbi_number or '-'}"
            )
    return lines


def decision_text(req: ImmigrationRequest) -> str:
    tz = ZoneInfo(req.facility.timezone)
    row = req.current_decision
    lines = [f"Request {req.request_id}", ""]
    lines += request_lines(req, tz)
    lines.append("")
    if row is None:
        lines.append("NO DECISION YET: the request is not matched to a booking, so the law has not been applied.")
        return "\n".join(lines) + "\n"
    lines.append(f"DECISION #{row.pk}, evaluated {_local(row.evaluated_at, tz)}; cause: {row.trigger}")
    lines.append("")
    lines.append("THE FACTS THE LAW WAS APPLIED TO (as they stood when this answer was given)")
    lines += _fact_lines(row.facts)
    lines.append("")
    lines.append("THE LAW CONSULTED (most general first; a more specific policy decides within the limits above it)")
    for p in row.policies:
        lines += _policy_lines(p)
    if not row.policies:
        lines.append("  (none)")
    lines.append("")
    lines.append("OUTCOME")
    lines += _outcome_lines(row)
    until, hold_note = hold_clock(row, req)
    if until is not None:
        lines.append(f"  Hold ends (release + 48 clock hours, I-247A): {_local(until, tz)} - release then at the latest")
    elif row.hold in ("permitted", "required"):
        lines.append(f"  Hold ends: {hold_note}")
    lines.append("")
    lines.append("REASONS: every rule evaluated, in order; a later rule that holds overrides an earlier one.")
    lines.append("(Categories an offence table gives a statute appear as their own lines, with the table's citation.)")
    lines += _reason_lines(list(row.reasons))
    if row.overrides_id is not None:
        base = row.overrides
        who = row.override_by.get_username() if row.override_by is not None else "unknown"
        lines.append("")
        lines.append("OVERRIDE")
        lines.append(f"  A supervisor ({who}) decided this on {_local(row.evaluated_at, tz)}, replacing decision "
                     f"#{row.overrides_id}, which needed review.")
        lines.append(f"  Reason given: {row.override_reason}")
        if base is not None:
            for name in ("notify", "hold", "transfer", "individual_notice", "attorney_notice", "lead_time_hours"):
                old, new = getattr(base, name), getattr(row, name)
                if old != new:
                    lines.append(f"  Changed {name.replace('_', ' ')}: {old} -> {new}")
    history = list(req.decisions.order_by("evaluated_at", "pk"))
    if len(history) > 1:
        lines.append("")
        lines.append("HISTORY OF ANSWERS (each row was the law's answer until the next)")
        for d in history:
            marker = "*" if d.pk == row.pk else " "
            lines.append(f" {marker}#{d.pk} {_local(d.evaluated_at, tz)} ({d.trigger}): {_summary(d)}"
                         + (f"; override by {d.override_by.get_username() if d.override_by else '?'}"
                            if d.overrides_id else ""))
    return "\n".join(lines) + "\n"
