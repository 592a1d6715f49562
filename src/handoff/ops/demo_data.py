"""The demo data set: five real counties under five different laws, their jails, two federal offices, a few
hundred bookings with charges and criminal history, and about forty requests with a spread of outcomes.

Why real counties: the demo should show the law of real places deciding differently on similar people -
Los Angeles under California's SB 54, Harris County under Texas SB 4, Montgomery County's own practice in
Maryland, Cook County under the Illinois TRUST Act, and Fulton County, Georgia, where only the federal
baseline applies. The people, booking numbers, identifiers and offices are invented.

Why through the real services: the demo is also a smoke test of the whole flow (custody -> matching ->
policy -> decisions -> notices), so it takes the same paths as a file or an API call.

Deterministic: one seeded random generator; times are relative to the moment the demo is loaded (rounded to
the hour), so releases are always upcoming when someone looks at it.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from handoff.casework import flow
from handoff.core import clock
from handoff.custody import services as custody
from handoff.custody.models import Person
from handoff.jurisdictions import services as places
from handoff.jurisdictions.models import Jurisdiction
from handoff.jurisdictions.timezones import STATE_TIMEZONES
from handoff.policy.registry import registry
from handoff.requests.inputs import parse_request

SEED = 20250601
SOURCE = "demo data"
DEMO_WEBHOOK_URL = ""  # e.g. "http://127.0.0.1:8000/demo-receiver" once such a receiver exists


@dataclass(frozen=True)
class Place:
    fips: str
    state: str
    facility: str
    facility_name: str
    office: str
    prefix: str
    offences: tuple[tuple[str, str, bool, tuple[str, ...]], ...]  # statute, level, wobbler, categories


PLACES = (
    Place("06037", "CA", "LASD-MCJ", "Los Angeles County Men's Central Jail (demo)", "DEMO-ERO-WEST", "LA", (
        ("CA PC 211", "felony", False, ("serious_felony", "violent_felony", "theft_burglary_robbery_fraud")),
        ("CA PC 245(a)(1)", "felony", True, ("serious_felony", "assault_battery")),
        ("CA PC 459", "felony", True, ("theft_burglary_robbery_fraud",)),
        ("CA PC 273.5(a)", "felony", True, ("domestic_violence", "assault_battery")),
        ("CA PC 484", "misdemeanor", False, ()),
        ("CA PC 242", "misdemeanor", False, ("assault_battery",)),
        ("CA VC 23152(a)", "misdemeanor", False, ()),
        ("CA HS 11350(a)", "misdemeanor", False, ()),
    )),
    Place("48201", "TX", "HCSO-JAIL", "Harris County Jail (demo)", "DEMO-ERO-WEST", "HC", (
        ("TX PC 22.01", "misdemeanor", False, ("assault_battery",)),
        ("TX PC 22.02", "felony", False, ("assault_battery", "violent_felony")),
        ("TX PC 31.03", "misdemeanor", False, ("theft_burglary_robbery_fraud",)),
        ("TX PC 49.04", "misdemeanor", False, ()),
        ("TX HSC 481.115", "felony", False, ("controlled_substance_felony",)),
    )),
    Place("24031", "MD", "MCDC", "Montgomery County Correctional Facility (demo)", "DEMO-ERO-EAST", "MC", (
        ("MD CR 3-203", "misdemeanor", False, ("assault_battery",)),
        ("MD CR 3-202", "felony", False, ("assault_battery", "violent_felony")),
        ("MD TR 21-902", "misdemeanor", False, ()),
        ("MD CR 7-104", "misdemeanor", False, ("theft_burglary_robbery_fraud",)),
        ("MD CR 3-303", "felony", False, ("sex_offense_registrable", "violent_felony")),
    )),
    Place("17031", "IL", "CCDOC", "Cook County Jail (demo)", "DEMO-ERO-EAST", "CK", (
        ("IL 720 ILCS 5/12-3", "misdemeanor", False, ("assault_battery",)),
        ("IL 720 ILCS 5/12-3.05", "felony", False, ("assault_battery", "violent_felony")),
        ("IL 625 ILCS 5/11-501", "misdemeanor", False, ()),
        ("IL 720 ILCS 5/16-1", "misdemeanor", False, ("theft_burglary_robbery_fraud",)),
    )),
    Place("13121", "GA", "FCJ", "Fulton County Jail (demo)", "DEMO-ERO-EAST", "FC", (
        ("GA OCGA 16-5-21", "felony", False, ("assault_battery", "violent_felony")),
        ("GA OCGA 16-8-2", "misdemeanor", False, ("theft_burglary_robbery_fraud",)),
        ("GA OCGA 40-6-391", "misdemeanor", False, ()),
        ("GA OCGA 16-13-30", "felony", False, ("controlled_substance_felony",)),
    )),
)

LAST = ("Garcia", "Smith", "Nguyen", "Hernandez", "Johnson", "Lopez", "Williams", "Martinez", "Brown", "Gonzalez",
        "Kim", "Rodriguez", "Davis", "Perez", "Wilson", "Sanchez", "Anderson", "Ramirez", "Thomas", "Torres",
        "Flores", "Rivera", "Lee", "Gomez", "Diaz", "Reyes", "Cruz", "Morales", "Ortiz", "Gutierrez", "Chavez",
        "Ramos", "Castillo", "Mendoza", "Ruiz", "Alvarez", "Jimenez", "Moreno", "Romero", "Herrera")
FIRST = ("Jose", "Maria", "Juan", "Ana", "Luis", "Carmen", "Carlos", "Rosa", "Miguel", "Elena", "James", "Linh",
         "David", "Sofia", "Daniel", "Lucia", "Jorge", "Isabel", "Pedro", "Marta", "Michael", "Teresa", "Minh",
         "Laura", "Francisco", "Patricia", "Ricardo", "Gabriela", "Antonio", "Diana")
COUNTRIES = ("Mexico", "Guatemala", "El Salvador", "Honduras", "Vietnam", "Philippines", "China", "India",
             "Korea", "Dominican Republic", "Nigeria", "Ukraine", "United States")
BOOKINGS_PER_PLACE = 60


@dataclass
class _Booked:
    place: Place
    record: dict[str, Any]
    a_number: str
    fbi_number: str
    charges: list[dict[str, Any]] = field(default_factory=list)
    convictions: list[dict[str, Any]] = field(default_factory=list)


def _secret(rng: random.Random) -> str:
    return "whsec_" + base64.b64encode(bytes(rng.getrandbits(8) for _ in range(24))).decode()


def _ensure_places() -> None:
    """The demo needs its five counties; `handoff setup` loads every county, but a bare database (tests)
    gets just these (with their states) so the demo never depends on the full code list."""
    states = {"06": ("California", "CA"), "48": ("Texas", "TX"), "24": ("Maryland", "MD"),
              "17": ("Illinois", "IL"), "13": ("Georgia", "GA")}
    counties = {"06037": "Los Angeles County", "48201": "Harris County", "24031": "Montgomery County",
                "17031": "Cook County", "13121": "Fulton County"}
    nation, _ = Jurisdiction.objects.get_or_create(fips="us", defaults={"name": "United States", "kind": "nation"})
    for fips, (name, postal) in states.items():
        state, _ = Jurisdiction.objects.get_or_create(
            fips=fips, defaults={"name": name, "kind": "state", "parent": nation, "postal": postal,
                                 "default_timezone": STATE_TIMEZONES.get(fips, "")})
        county = next(c for c in counties if c.startswith(fips))
        Jurisdiction.objects.get_or_create(
            fips=county, defaults={"name": counties[county], "kind": "county", "parent": state, "postal": postal,
                                   "default_timezone": state.default_timezone})
    places.assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())


def build() -> dict[str, int]:
    """Load the demo into the current database (the caller opens the transaction). Returns counts."""
    rng = random.Random(SEED)
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    today = now.date()
    _ensure_places()

    # E-mail only: no demo webhook receiver exists, and a webhook nobody answers would fill the demo with
    # failed deliveries. (Set DEMO_WEBHOOK_URL below to point office West at a receiver.)
    secret = _secret(rng)  # drawn even when unused, so the random sequence does not depend on it
    places.add_office("DEMO-ERO-WEST", "ICE ERO field office - West (demo)",
                      webhook_url=DEMO_WEBHOOK_URL, webhook_secret=secret if DEMO_WEBHOOK_URL else "",
                      email="ero-west@example.gov", escalation_email="lesc@example.gov", covers=["06037", "48201"])
    places.add_office("DEMO-ERO-EAST", "ICE ERO field office - East (demo)", email="ero-east@example.gov",
                      escalation_email="lesc@example.gov", covers=["24031", "17031", "13121"])
    for p in PLACES:
        places.add_facility(p.facility, p.fips, p.facility_name)

    booked: list[_Booked] = []
    used_a: set[str] = set()
    for p in PLACES:
        for n in range(BOOKINGS_PER_PLACE):
            a_number = ""
            if rng.random() < 0.6:
                while not a_number or a_number in used_a:
                    a_number = f"A{rng.randrange(10**8, 10**9):09d}"
                used_a.add(a_number)
            fbi = f"{rng.randrange(10**5, 10**6)}{rng.choice('ABCDEFGHJK')}{rng.choice('ABCDEFGHJK')}{rng.randrange(10)}"
            booked_at = now - timedelta(days=rng.randrange(1, 120), hours=rng.randrange(24))
            released = rng.random() < 0.25
            record: dict[str, Any] = {
                "facility": p.facility, "booking_number": f"{p.prefix}-{25000 + n:06d}",
                "booked_at": booked_at.isoformat(), "last_name": rng.choice(LAST), "first_name": rng.choice(FIRST),
                "date_of_birth": date(rng.randrange(1962, 2004), rng.randrange(1, 13), rng.randrange(1, 29)).isoformat(),
                "sex": rng.choice("MMMMF"), "fbi_number": fbi, "a_number": a_number,
                "country_of_birth": rng.choice(COUNTRIES),
                "release_type": rng.choice(("scheduled", "scheduled", "scheduled", "bail", "courtroom")),
            }
            if released:
                record["released_at"] = (booked_at + timedelta(days=rng.randrange(0, 1 + (now - booked_at).days),
                                                               hours=3)).isoformat()
                if record["released_at"] > now.isoformat():
                    record["released_at"] = (now - timedelta(hours=2)).isoformat()
                record["release_reason"] = rng.choice(("bail_posted", "sentence_served", "charges_dropped"))
            else:
                record["scheduled_release_at"] = (now + timedelta(days=rng.randrange(2, 30),
                                                                  hours=rng.randrange(8, 17))).isoformat()
            b = _Booked(p, record, a_number, fbi)
            for seq in range(1, rng.randrange(2, 4)):
                statute, level, wobbler, cats = rng.choice(p.offences)
                b.charges.append({
                    "facility": p.facility, "booking_number": record["booking_number"], "seq": seq,
                    "statute": statute, "level": level, "wobbler": wobbler, "disposition": "pending",
                    "probable_cause_found": rng.random() < 0.5, "categories": list(cats),
                })
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                statute, level, wobbler, cats = rng.choice(p.offences)
                years = rng.choice((1, 3, 4, 6, 9, 12, 18))
                convicted = today - timedelta(days=365 * years + rng.randrange(0, 200))
                b.convictions.append({
                    "fbi_number": fbi, "last_name": record["last_name"], "first_name": record["first_name"],
                    "date_of_birth": record["date_of_birth"], "statute": statute,
                    "level": "misdemeanor" if wobbler and rng.random() < 0.5 else level, "wobbler": wobbler,
                    "convicted_on": convicted.isoformat(), "state": p.state, "categories": list(cats),
                    "state_prison": level == "felony" and rng.random() < 0.5,
                    "prop47_reduced": p.state == "CA" and statute in ("CA PC 484", "CA HS 11350(a)")
                    and rng.random() < 0.5,
                })
            booked.append(b)

    # Two different people with the same name and date of birth in one jail: a request naming only
    # the name and birth date must go to review with both shown.
    twin_of = next(b for b in booked if b.place.fips == "06037" and "released_at" not in b.record)
    twin_record = dict(twin_of.record, booking_number="LA-026999", fbi_number="999999AA9", a_number="",
                       scheduled_release_at=(now + timedelta(days=9, hours=10)).isoformat())
    booked.append(_Booked(twin_of.place, twin_record, "", "999999AA9"))

    # The jail's records go in as an import would: validated and applied in batches (one file each).
    facilities = custody.Facilities()
    counts = {"bookings": 0, "charges": 0, "convictions": 0, "requests": 0}
    for kind, rows, validate, apply in (
        ("bookings", [b.record for b in booked], lambda v: custody.validate_booking(v, facilities),
         flow.apply_bookings),
        ("charges", [ch for b in booked for ch in b.charges], lambda v: custody.validate_charge(v, facilities),
         flow.apply_charges),
        ("convictions", [cv for b in booked for cv in b.convictions], custody.validate_conviction,
         flow.apply_convictions),
    ):
        items: list[tuple[int, Any]] = []
        for number, row in enumerate(rows, start=1):
            cleaned = validate(row)
            if isinstance(cleaned, list):
                raise AssertionError(f"demo {kind} row {number} is invalid: {cleaned}")
            items.append((number, cleaned))
        applied = apply(items, source=SOURCE)
        if applied.result.problems:
            raise AssertionError(f"demo {kind} rejected: {applied.result.problems[:3]}")
        counts[kind] = applied.result.created

    # --- requests: a spread of outcomes per place --------------------------------------------------------
    request_seq = iter(range(1, 10_000))

    def send(b: _Booked | None, place: Place, *, how: str = "booking", kind: str = "detainer",
             warrant: str = "administrative", subject: dict[str, Any] | None = None, **extra: Any) -> str:
        request_id = f"DEMO-{place.prefix}-{next(request_seq):04d}"
        rec = b.record if b is not None else {}
        subj = subject or {"last_name": rec.get("last_name", ""), "first_name": rec.get("first_name", ""),
                           "date_of_birth": rec.get("date_of_birth"), "sex": rec.get("sex", ""),
                           "citizenship": rec.get("country_of_birth", "")}
        payload: dict[str, Any] = {
            "request_id": request_id, "kind": kind, "form": "I-247A",
            "issued_at": (now - timedelta(hours=rng.randrange(2, 200))).isoformat(), "office": place.office,
            "facility": place.facility, "subject": subj,
            "basis": rng.sample(["final_order", "pending_proceedings", "biometric_match", "statements"], 2),
            "warrant": {"type": warrant, "form": {"administrative": rng.choice(("I-200", "I-205")),
                                                  "judicial": "AO 442", "none": ""}[warrant]},
        }
        if how == "booking" and b is not None:
            payload["booking_number"] = rec["booking_number"]
        elif how == "a_number" and b is not None:
            payload["subject"] = dict(subj, a_number=b.a_number)
        payload.update(extra)
        flow.receive(parse_request(payload), source=SOURCE)
        counts["requests"] += 1
        return request_id

    def current(place: Place) -> list[_Booked]:
        return [b for b in booked if b.place == place and "released_at" not in b.record
                and b.record["booking_number"] != "LA-026999"]

    def with_conviction(bs: list[_Booked], cat: str) -> list[_Booked]:
        return [b for b in bs if any(cat in c["categories"] for c in b.convictions)]

    def without_convictions(bs: list[_Booked]) -> list[_Booked]:
        return [b for b in bs if not b.convictions]

    by_fips = {p.fips: p for p in PLACES}
    la, hc, mc, ck, fc = (by_fips[f] for f in ("06037", "48201", "24031", "17031", "13121"))
    picked: set[str] = set()

    def pick(bs: list[_Booked], n: int) -> list[_Booked]:
        out = [b for b in bs if b.record["booking_number"] not in picked][:n]
        picked.update(b.record["booking_number"] for b in out)
        return out

    # Los Angeles (SB 54): serious/violent history -> notice may be given; nothing listed -> declined;
    # a judicial warrant; a person in review (two candidates); a person not yet booked.
    la_now = current(la)
    for b in pick(with_conviction(la_now, "serious_felony"), 4):
        send(b, la)
    for b in pick(without_convictions(la_now), 4):
        send(b, la)
    for b in pick(la_now, 1):
        send(b, la, warrant="judicial")
    for b in pick([b for b in la_now if b.a_number], 2):
        send(b, la, how="a_number", kind="notification", warrant="none")
    send(None, la, subject={"last_name": twin_of.record["last_name"], "first_name": twin_of.record["first_name"],
                            "date_of_birth": twin_of.record["date_of_birth"]})
    send(None, la, subject={"last_name": "Quintero", "first_name": "Rafael", "date_of_birth": "1991-07-14",
                            "a_number": "A208765432"})
    # Harris County (SB 4): detainers are honoured; one person proved lawful status.
    hc_now = current(hc)
    for b in pick(hc_now, 6):
        send(b, hc)
    # Montgomery County, MD: notice on every detainer (uncertain -> review); a courtroom release.
    mc_now = current(mc)
    for b in pick([b for b in mc_now if b.record.get("release_type") == "courtroom"], 1):
        send(b, mc)
    for b in pick(mc_now, 5):
        send(b, mc)
    send(None, mc, how="name", subject={"last_name": "Okafor", "first_name": "Chinedu",
                                        "date_of_birth": "1984-02-29", "a_number": "A123450987"})
    # Cook County (TRUST Act): every detainer declined.
    for b in pick(current(ck), 6):
        send(b, ck)
    # Fulton County: the federal baseline only.
    fc_now = current(fc)
    for b in pick(fc_now, 4):
        send(b, fc)
    for b in pick([b for b in fc_now if b.a_number], 2):
        send(b, fc, how="a_number")

    # --- later facts: a history worth reading -----------------------------------------------------------
    changed = 0
    for b in pick(current(la), 1):  # a new conviction arrives after the request
        send(b, la)
        flow.add_conviction({
            "fbi_number": b.fbi_number, "statute": "CA PC 211", "level": "felony",
            "convicted_on": (today - timedelta(days=800)).isoformat(), "state": "CA",
            "categories": ["serious_felony", "violent_felony"],
        }, source=SOURCE)
        changed += 1
    for b in pick(current(hc), 1):  # lawful status proven (Tex. CCP art. 2.251(b))
        send(b, hc)

        person = Person.objects.get(bookings__facility__code=hc.facility,
                                    bookings__booking_number=b.record["booking_number"])
        person.lawful_status_proven = True
        person.save(update_fields=["lawful_status_proven", "updated_at"])
        flow.on_person_changed(person, trigger="lawful status proven")
        changed += 1
    for b in pick(current(fc), 1):  # the release date moves
        send(b, fc)
        moved = dict(b.record, scheduled_release_at=(now + timedelta(days=3, hours=9)).isoformat())
        flow.upsert_booking(moved, source=SOURCE)
        changed += 1
    for b in pick(current(la), 1):  # a withdrawn request
        rid = send(b, la)
        flow.withdraw(rid, now - timedelta(hours=1), source=SOURCE)
        changed += 1
    # A near miss (issue 12.1): the office writes the name upper case, without accents, with the first given
    # name only, and a date of birth one day off; it must go to review with the differences shown.
    for b in pick([b for b in current(la) if not b.a_number], 1):
        born = date.fromisoformat(b.record["date_of_birth"]) + timedelta(days=1)
        send(None, la, subject={"last_name": b.record["last_name"].upper(),
                                "first_name": b.record["first_name"].split()[0].upper(),
                                "date_of_birth": born.isoformat()})
    counts["later_changes"] = changed
    return counts
