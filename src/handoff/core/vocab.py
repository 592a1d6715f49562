"""Every list of allowed values, written once.

Why one module: the same words (offence categories, levels, hold and transfer values, notice statuses...)
were written three or four times, in the policy validator, custody's ingest, the API schemas and the models,
and the copies drifted (ingest and the API accepted 20 offence categories while the policy library used 29).
The Django choices, the policy engine's checks, ingest's validation and the API's Pydantic models all read
from here, so adding a value is one edit. Pure Python, no Django: the policy
engine reads it too. The models keep their `TextChoices` (readable member names) and a test holds their
values equal to the lists here.
"""

from __future__ import annotations

import re

# --- criminal history ------------------------------------------------------------------------------------

#: Offence categories a charge or conviction may carry and a policy rule may name. The first 20 are the
#: INTERFACES.md list; the last 9 name Gov. Code 7282.5(a)(3) headings that list has no name for (the
#: policy validator's list, which the API and ingest now accept as well).
OFFENCE_CATEGORIES: tuple[str, ...] = (
    "violent_felony", "serious_felony", "state_prison_felony", "assault_battery", "criminal_threats",
    "child_abuse", "sex_offense_registrable", "theft_burglary_robbery_fraud", "dui_felony", "domestic_violence",
    "weapons", "controlled_substance_felony", "gang", "death_or_great_bodily_injury", "human_trafficking",
    "stalking", "hate_crime", "kidnapping", "obstruction_bribery_escape", "aggravated_felony_federal",
    "vandalism_with_violence", "false_imprisonment", "profiteering_money_laundering", "torture_mayhem",
    "public_safety_threat", "elder_abuse", "solicitation", "offense_while_on_bail", "hit_and_run_felony",
)

SEXES: tuple[str, ...] = ("M", "F", "X", "U")

RELEASE_TYPE_VALUES: tuple[str, ...] = ("scheduled", "courtroom", "bail", "other")

RELEASE_REASONS: tuple[str, ...] = ("bail_posted", "sentence_served", "charges_dropped", "acquitted", "court_order", "transferred_to_ice", "transferred_other", "other")

CHARGE_LEVELS: tuple[str, ...] = ("felony", "misdemeanor", "infraction")

DISPOSITIONS: tuple[str, ...] = ("pending", "convicted", "dismissed", "acquitted")


#: what kind of judgment a criminal-history record is: "" an ordinary conviction; a youthful-offender or
#: juvenile-delinquency adjudication is not a conviction (N.Y. CPL 720.35(1), Family Ct. Act 380.1(1);
#: N.Y.C. Admin. Code 9-131 as the city law reads it)
ADJUDICATIONS: tuple[str, ...] = ("", "youthful_offender", "juvenile_delinquent")

#: charge levels as the policy facts take them ("" = not known)
LEVELS: tuple[str, ...] = (*CHARGE_LEVELS, "")
#: release types as the policy facts take them ("" = not known)
RELEASE_TYPES: tuple[str, ...] = (*RELEASE_TYPE_VALUES, "")

# --- requests --------------------------------------------------------------------------------------------

REQUEST_KINDS: tuple[str, ...] = ("detainer", "notification", "transfer")

WARRANT_TYPES: tuple[str, ...] = ("none", "administrative", "judicial")

REQUEST_STATUSES: tuple[str, ...] = ("waiting", "review", "matched", "withdrawn")

#: the grounds a request may give for believing the person is removable
BASIS_VALUES: tuple[str, ...] = ("final_order", "pending_proceedings", "biometric_match", "statements")

# --- the law's answer ------------------------------------------------------------------------------------

HOLD_VALUES: tuple[str, ...] = ("prohibited", "permitted", "required")  # least to most cooperation
TRANSFER_VALUES: tuple[str, ...] = ("prohibited", "permitted")
CALENDARS: tuple[str, ...] = ("clock", "business")
#: the fields of a decision that say what the jail does (the rest are its reasons and bookkeeping)
OUTCOME_FIELDS: tuple[str, ...] = (
    "notify", "hold", "transfer", "individual_notice", "attorney_notice", "lead_time_hours", "calendar",
    "review", "answer_declined",
)

# --- notices ---------------------------------------------------------------------------------------------

NOTICE_KINDS: tuple[str, ...] = ("release.advance_notice", "release.short_notice", "release.occurred", "request.declined", "letter.individual", "letter.attorney", "letter.request_copy", "email.attorney")

NOTICE_STATUSES: tuple[str, ...] = (
    "scheduled", "sending", "sent", "acknowledged", "cancelled", "failed", "pending_review",
)

#: "attorney": the e-mailed copy to the person's attorney or designee (`email.attorney`), never to an office
CHANNELS: tuple[str, ...] = ("webhook", "email", "escalation", "attorney")

#: what a place's law says before ICE interviews a person in custody (policy setting `interview_consent`):
#: a written consent form first (Cal. Gov. Code 7283.1(a)), or no access at all
INTERVIEW_RULES: tuple[str, ...] = ("consent_form", "no_access")
#: the person's answer to an interview request, and whether an attorney was there
INTERVIEW_ANSWERS: tuple[str, ...] = ("consented", "declined")
INTERVIEW_ATTORNEY: tuple[str, ...] = ("present", "declined")
#: the consent form's languages Cal. Gov. Code 7283.1(a) names (ISO 639-1), plus "other" (county threshold
#: languages, as the policy lists them)
CONSENT_LANGUAGES: tuple[str, ...] = ("en", "es", "zh", "tl", "vi", "ko")

#: fields a place's law may forbid collecting or keeping (policy setting `collection_limits`): the booked
#: person's place of birth (custody.Person.country_of_birth) and the citizenship a request states
#: (requests.ImmigrationRequest.subject_citizenship)
COLLECTION_FIELDS: tuple[str, ...] = ("place_of_birth", "citizenship")

#: who a booking's contact for the TRUTH Act copies is (Cal. Gov. Code 7283.1(b): "their attorney or one
#: additional person who the individual shall designate")
CONTACT_RELATIONS: tuple[str, ...] = ("attorney", "designee")

DELIVERY_STATUSES: tuple[str, ...] = ("pending", "sent", "failed", "cancelled")

#: how a request ended: exactly one per request (recorded, or derived by handoff.evidence.outcomes);
#: "still_in_custody" is only ever derived, never recorded
OUTCOME_KINDS: tuple[str, ...] = (
    "transferred_to_ice", "released_ice_not_present", "released_before_notice", "detainer_cancelled",
    "withdrawn", "transferred_other", "still_in_custody",
)
#: what staff, the API or an import may record ("still in custody" is what is left when nothing is)
RECORDABLE_OUTCOMES: tuple[str, ...] = OUTCOME_KINDS[:-1]
#: outcomes that can be true while the person is still held (the request ends, the booking goes on)
OUTCOMES_BEFORE_RELEASE: tuple[str, ...] = ("transferred_to_ice", "detainer_cancelled", "withdrawn")


# --- linkage of people across jails ----------------------------------------------------------------------

#: how a person joined an identity: an identifier, a match weight above the threshold, or a reviewer
LINK_METHODS: tuple[str, ...] = ("deterministic", "probabilistic", "manual")

#: a pair in the review band: waiting, or decided one way or the other
REVIEW_STATUSES: tuple[str, ...] = ("open", "confirmed", "rejected")


# --- what made the law decide again ----------------------------------------------------------------------

#: the codes custody and the flow write as a decision's trigger, in words a clerk reads on the pages.
#: Why here: the codes are stored on every Decision and notice (stable, searchable); the pages, e-mails and
#: exports show the words, so a new code is one line in this table.
TRIGGER_WORDS: dict[str, str] = {
    "booking.created": "a booking was created",
    "booking.updated": "the booking was changed",
    "booking.released": "the person was released",
    "booking.unreleased": "a recorded release was taken back",
    "booking.corrected": "a clerk corrected the booking",
    "release.scheduled": "a release date was set",
    "release.moved": "the release date moved",
    "release.stale": "the scheduled release has passed",
    "charge.added": "a charge was added",
    "charge.updated": "a charge was changed",
    "charge.disposed": "a charge was disposed of",
    "conviction.added": "a conviction was added",
    "conviction.changed": "a conviction was changed",
    "person.updated": "the person's record was changed",
    "hold.warning": "a hold is about to end",
    "hold.expired": "a hold ended",
    "hold.over_detention": "the person was held past the hold's end",
    "review.due": "a review is due",
    "attorney.contact": "the attorney or designee contact was recorded",
    "override": "a supervisor decided",
    "match confirmed": "a clerk confirmed the booking",
    "request withdrawn": "the request was withdrawn",
}

_CODE = r"\b[a-z_]+\.[a-z_]+\b"


def trigger_words(trigger: str) -> str:
    """A stored trigger ("conviction.added", "booking LA-1: booking.created", "request received (api)") in
    words: every known code inside it is replaced, anything else is kept as written (it is already words)."""
    text = str(trigger or "").strip()
    if text in TRIGGER_WORDS:
        return TRIGGER_WORDS[text]
    return re.sub(_CODE, lambda m: TRIGGER_WORDS.get(m.group(0), m.group(0).replace("_", " ").replace(".", " ")),
                  text)
