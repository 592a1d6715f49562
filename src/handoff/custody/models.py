"""People in custody, their bookings, charges and criminal history.

Why one Person across bookings: the law asks about a person's whole history (a conviction in 2019 matters to
a booking in 2025), and a federal request names a person, not a booking.
Why a Person belongs to one county (security review H4): a clerk must never reach another county's record, its
identity or its criminal history, by typing that county's FBI number into a booking of their own. Bookings join
a Person only inside the county that booked them; that two counties' Persons are one human is recorded in the
linkage layer (`handoff.linkage`), readable only by the roles cleared for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from handoff.core import vocab
from handoff.custody import names

#: the Person fields a name search reads (their folded words are kept in NameKey)
NAME_FIELDS = ("last_name", "first_name", "middle_name")


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    X = "X", "X"
    UNKNOWN = "U", "Unknown"


class Person(models.Model):
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The county whose jail booked this person; empty only for criminal history imported by the "
                  "system before any booking.")
    last_name = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True, help_text="empty: unknown")
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    fbi_number = models.CharField(max_length=20, blank=True, db_index=True)
    state_id = models.CharField(max_length=30, blank=True, db_index=True)
    a_number = models.CharField(max_length=10, blank=True, db_index=True)
    country_of_birth = models.CharField(max_length=60, blank=True)
    registrant_sex_offender = models.BooleanField(default=False)
    registrant_arson = models.BooleanField(default=False)
    lawful_status_proven = models.BooleanField(
        default=False, help_text="Proof of citizenship or lawful status was presented (e.g. Tex. CCP art. 2.251(b))."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["last_name", "first_name", "date_of_birth"], name="person_name_dob"),
            models.Index(fields=["jurisdiction", "fbi_number"], name="person_county_fbi"),
            # near-miss matching and people search look people up by date of birth alone (a day either side,
            # day and month swapped), then compare names as a clerk would (custody.names)
            models.Index(fields=["date_of_birth"], name="person_dob"),
        ]

    def __str__(self) -> str:
        return f"Person #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saved with its name keys. Why here: every single-record write (a clerk's correction, the admin, a
        test) passes through save(); the bulk import and its updates keep the keys in custody.services."""
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or set(fields) & set(NAME_FIELDS):
            NameKey.replace([self])


class NameKey(models.Model):
    """One folded word of a person's names (custody.names.name_keys), indexed. Why a row per word: a clerk
    types "garcia", "lopez jose" or "jose garcia" and each word must find the family name, a part of a compound
    one, a given or a middle name; one indexed range per word answers that without reading every booking of
    the county and folding its names (issue 12: a name search over 100,000 bookings took a second)."""

    # no index of its own: the unique constraint's index starts with the person
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_keys", db_index=False)
    # db_index: on PostgreSQL Django adds a varchar_pattern_ops index beside it, which LIKE 'garc%' uses
    key = models.CharField(max_length=names.KEY_LENGTH, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="uniq_person_name_key")]

    def __str__(self) -> str:
        return f"Name key {self.key!r} of person #{self.person_id}"

    @classmethod
    def rows(cls, people: Iterable[Any]) -> list[tuple[int, str]]:
        """(person id, key) for each person: anything with pk, last_name, first_name and middle_name."""
        return [(p.pk, k) for p in people for k in sorted(names.name_keys(p.last_name, p.first_name,
                                                                           p.middle_name))]

    @classmethod
    def replace(cls, people: Iterable[Any]) -> None:
        """The keys of these (saved) people made to match their names now."""
        people = list(people)
        if not people:
            return
        NameKey.objects.filter(person_id__in=[p.pk for p in people]).delete()
        NameKey.objects.bulk_create([NameKey(person_id=pk, key=k) for pk, k in cls.rows(people)], batch_size=1000)


class ReleaseType(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COURTROOM = "courtroom", "Courtroom"
    BAIL = "bail", "Bail"
    OTHER = "other", "Other"


class ReleaseReason(models.TextChoices):
    BAIL_POSTED = "bail_posted", "Bail posted"
    SENTENCE_SERVED = "sentence_served", "Sentence served"
    CHARGES_DROPPED = "charges_dropped", "Charges dropped"
    ACQUITTED = "acquitted", "Acquitted"
    COURT_ORDER = "court_order", "Court order"
    TRANSFERRED_TO_ICE = "transferred_to_ice", "Transferred to ICE"
    TRANSFERRED_OTHER = "transferred_other", "Transferred elsewhere"
    OTHER = "other", "Other"


class Booking(models.Model):
    facility = models.ForeignKey("jurisdictions.Facility", on_delete=models.PROTECT, related_name="bookings")
    booking_number = models.CharField(max_length=60)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="bookings")
    booked_at = models.DateTimeField()
    # When the person was arrested for the charges of this booking, if the jail's system says. Why: some law
    # counts its look-back from the arrest, not from today (N.Y.C. Admin. Code 9-131, the "instant arrest").
    arrested_at = models.DateTimeField(null=True, blank=True,
                                       help_text="arrest for this booking's charges (optional; NYC 9-131 counts "
                                       "its five years back from it)")
    scheduled_release_at = models.DateTimeField(null=True, blank=True)
    release_type = models.CharField(max_length=12, choices=ReleaseType.choices, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=24, choices=ReleaseReason.choices, blank=True)
    # db_default: the bulk import writes rows with plain SQL that does not name this column
    released_to = models.CharField(max_length=200, blank=True, default="", db_default="",
                                   help_text="who the person was released to (a clerk records it on the release page)")
    ice_hold = models.BooleanField(
        default=False,
        help_text="The jail's own record flags an immigration hold on this booking (e.g. an export's hold "
        "column). A fact reported by the jail, not a request received through Handoff.",
    )
    # The address the person gave at this booking: evidence for linkage across jails, not a mailing address.
    address_street = models.CharField(max_length=200, blank=True)
    address_city = models.CharField(max_length=100, blank=True)
    address_postcode = models.CharField(max_length=20, blank=True)
    address_state = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "booking_number"], name="uniq_booking_per_facility"),
        ]
        indexes = [
            models.Index(fields=["facility", "scheduled_release_at"], name="booking_fac_release"),
            models.Index(
                fields=["facility", "person"], name="booking_current", condition=models.Q(released_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"Booking {self.booking_number}"

    @property
    def in_custody(self) -> bool:
        return self.released_at is None


class ContactRelation(models.TextChoices):
    ATTORNEY = "attorney", "Attorney"
    DESIGNEE = "designee", "Designee (one person the individual names)"


class AttorneyContact(models.Model):
    """Who receives the TRUTH Act copies besides the person: "their attorney or one additional person who the
    individual shall designate" (Cal. Gov. Code 7283.1(b)). One per booking (the person names them while in
    custody); jail staff record and change it, and every change is audited by the caller.

    Why on the booking, not the person: a designation is made for one custody episode, and a person booked
    again may name someone else. Never shown to a federal office on any channel."""

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="attorney_contact")
    relation = models.CharField(max_length=10, choices=ContactRelation.choices, default=ContactRelation.ATTORNEY)
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, blank=True)
    address = models.TextField(blank=True, help_text="postal address, for a copy sent by mail")
    phone = models.CharField(max_length=40, blank=True)
    bar_number = models.CharField(max_length=20, blank=True, help_text="State Bar number of an attorney")
    recorded_at = models.DateTimeField()
    source = models.CharField(max_length=200, blank=True, help_text="who recorded it (web:USER, api:USER)")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.relation} of booking #{self.booking_id}"


class InterviewRecord(models.Model):
    """An ICE request to interview a person in custody and the person's answer, with the written consent form
    where the place's law requires one (Cal. Gov. Code 7283.1(a): before any interview, a form explaining the
    purpose, that it is voluntary, and that the person may decline or be interviewed only with their attorney
    present). The law in force when it was recorded is kept with it (rule, citation, whether uncertain), so
    the record shows what was required then. One record per request time; never edited."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="interviews")
    requested_at = models.DateTimeField(help_text="when the immigration agency asked to interview the person")
    agency = models.CharField(max_length=200, blank=True, help_text="who asked, e.g. ICE ERO Los Angeles")
    answer = models.CharField(max_length=10, help_text="consented or declined")
    form_language = models.CharField(max_length=10, blank=True, help_text="language of the consent form given")
    form_signed = models.BooleanField(default=False, help_text="the person signed the written consent form")
    signed_at = models.DateTimeField(null=True, blank=True)
    attorney = models.CharField(max_length=10, blank=True,
                                help_text="present: interviewed only with the attorney there; declined: without")
    interview_at = models.DateTimeField(null=True, blank=True, help_text="when the interview took place")
    rule = models.CharField(max_length=14, blank=True, help_text="the law's rule then: consent_form, no_access, none")
    rule_cite = models.CharField(max_length=300, blank=True)
    rule_uncertain = models.BooleanField(default=False)
    recorded_at = models.DateTimeField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["booking", "requested_at"], name="uniq_interview_request")]

    def __str__(self) -> str:
        return f"interview request for booking #{self.booking_id} ({self.answer})"


class ReleaseScheduleChange(models.Model):
    """Every value a booking's scheduled release time has had. Why: whether notice was on time is judged
    against the release time known when the notice was due, and disputes turn on who moved it when."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="release_history")
    previous = models.DateTimeField(null=True, blank=True)
    scheduled_release_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField()
    source = models.CharField(max_length=200, blank=True, help_text="file, API call or person that made the change")

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"Release of booking #{self.booking_id} set to {self.scheduled_release_at}"


class ChargeLevel(models.TextChoices):
    FELONY = "felony", "Felony"
    MISDEMEANOR = "misdemeanor", "Misdemeanor"
    INFRACTION = "infraction", "Infraction"


class Disposition(models.TextChoices):
    PENDING = "pending", "Pending"
    CONVICTED = "convicted", "Convicted"
    DISMISSED = "dismissed", "Dismissed"
    ACQUITTED = "acquitted", "Acquitted"


class Charge(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="charges")
    seq = models.PositiveIntegerField()
    statute = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    level = models.CharField(max_length=12, choices=ChargeLevel.choices, blank=True,
                             help_text="blank only for a row that is not an offence (offence=False)")
    offence = models.BooleanField(
        default=True,
        help_text="False for a row a jail lists among the charges that is not an offence: a hold for another "
        "agency (immigration, marshal, another county) or a probation / community-custody violation. Kept so "
        "an analysis can tell a booking held only on such rows (the UW Center for Human Rights left those "
        "out); never read by the law, which asks about offences.",
    )
    wobbler = models.BooleanField(default=False)
    disposition = models.CharField(max_length=10, choices=Disposition.choices, default=Disposition.PENDING)
    disposition_date = models.DateField(null=True, blank=True)
    probable_cause_found = models.BooleanField(default=False)
    categories = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "seq"], name="uniq_charge_seq")]
        ordering = ["booking", "seq"]

    def __str__(self) -> str:
        return f"Charge {self.seq} of booking #{self.booking_id}: {self.statute}"


class Conviction(models.Model):
    """Criminal history from elsewhere. `source_key` makes re-imports idempotent: it hashes the person
    identifiers, statute and date as they appeared in the source."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="convictions")
    statute = models.CharField(max_length=120)
    level = models.CharField(max_length=12, choices=ChargeLevel.choices)
    wobbler = models.BooleanField(default=False)
    convicted_on = models.DateField()
    state = models.CharField(max_length=2, blank=True)
    categories = models.JSONField(default=list, blank=True)
    state_prison = models.BooleanField(default=False)
    prop47_reduced = models.BooleanField(default=False)
    custody_days_since = models.PositiveIntegerField(default=0)
    # "" an ordinary conviction; a youthful-offender or juvenile-delinquency adjudication is recorded as history
    # but is not a conviction where the law says so (NYC 9-131; core.vocab.ADJUDICATIONS)
    adjudication = models.CharField(max_length=24, blank=True, default="", db_default="",
                                    choices=[(a, a or "conviction") for a in vocab.ADJUDICATIONS])
    source_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person", "convicted_on"]
        # Per person: a state's record imported by the system lands on each county's Person of that human.
        constraints = [models.UniqueConstraint(fields=["person", "source_key"], name="uniq_conviction_per_person")]
        indexes = [models.Index(fields=["source_key"], name="conviction_source_key")]

    def __str__(self) -> str:
        return f"Conviction {self.statute} on {self.convicted_on}"


class RecordChange(models.Model):
    """What a re-import (or API call) changed on an existing row, field by field. Why: a jail export that
    silently rewrites history is how disputes start; we keep old and new values side by side."""

    model = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    changes = models.JSONField(help_text='{"field": [old, new], ...}')
    source = models.CharField(max_length=300, blank=True)
    changed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["model", "object_id"], name="recordchange_obj")]
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"Change to {self.model} #{self.object_id} at {self.changed_at}"
