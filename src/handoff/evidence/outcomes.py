"""How every request ended: exactly one outcome each. Pure: plain values in, an outcome name out.

Why derived as well as recorded: staff, the API and imports record outcomes (a `notices.Outcome` row per
booking), but most requests end without anyone writing anything down. A report that counted only recorded
outcomes would silently lose the rest; so a request with no record gets the outcome its record proves, and
"still in custody" when nothing else applies. The order below is the order of precedence.
"""

from __future__ import annotations

from datetime import datetime

from handoff.core.vocab import OUTCOME_KINDS, OUTCOMES_BEFORE_RELEASE, RECORDABLE_OUTCOMES

#: every outcome, in the order pages and reports list them (values of notices.OutcomeKind)
OUTCOMES: tuple[str, ...] = OUTCOME_KINDS
LABELS = {
    "transferred_to_ice": "Transferred to ICE at release",
    "released_ice_not_present": "Released, ICE did not come",
    "released_before_notice": "Released before notice",
    "detainer_cancelled": "Detainer cancelled",
    "withdrawn": "Withdrawn",
    "transferred_other": "Sent to prison or another agency",
    "still_in_custody": "Still in custody",
}
#: what a person (or an import) may record; "still in custody" is what is left when nothing is recorded
RECORDABLE: tuple[str, ...] = RECORDABLE_OUTCOMES
#: outcomes that can be true while the person is still held (the request ends, the booking goes on)
BEFORE_RELEASE: frozenset[str] = frozenset(OUTCOMES_BEFORE_RELEASE)
#: release notices (not the "request declined" answer nor the letters)
RELEASE_NOTICE_KINDS: tuple[str, ...] = ("release.advance_notice", "release.short_notice")


def derive(*, recorded: str | None, withdrawn_at: datetime | None, released_at: datetime | None,
           release_reason: str, notice_sent_at: datetime | None, recorded_names_another: bool = False) -> str:
    """The one outcome of a request.

    1. what was recorded for its booking (staff, API, import, or the system at release), unless the record
       names another request of the booking and this one was withdrawn before the release (then 2.);
    2. withdrawn, when ICE withdrew it before any release;
    3. still in custody, while the booking is open (or no booking was ever matched);
    4. the jail's release reason when it says the person went to ICE or to another agency;
    5. ICE did not come, when a release notice went out before the release;
    6. otherwise released before notice."""
    withdrawn = withdrawn_at is not None and (released_at is None or withdrawn_at <= released_at)
    if recorded and not (recorded_names_another and withdrawn):
        return recorded
    if withdrawn:
        return "withdrawn"
    if released_at is None:
        return "still_in_custody"
    if release_reason in ("transferred_to_ice", "transferred_other"):
        return release_reason
    if notice_sent_at is not None and notice_sent_at <= released_at:
        return "released_ice_not_present"
    return "released_before_notice"
