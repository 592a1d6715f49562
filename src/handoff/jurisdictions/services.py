"""Operations on places, jails and federal offices. Callers open the transaction."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handoff.core import ids, places
from handoff.core.errors import InvalidInput, NotFound
from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction, PolicyAssignment
from handoff.jurisdictions.timezones import STATE_TIMEZONES
from handoff.jurisdictions.webhooks import webhook_secret_problem, webhook_url_problem
from handoff.policy.chain import chain_for
from handoff.policy.registry import registry

DATA_DIR = places.DATA_DIR  # the Census list lives in core (the policy engine reads it too)
NATION_FIPS = "us"


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def load_reference_jurisdictions(data_dir: Path = DATA_DIR) -> LoadResult:
    """Every state, county and county-equivalent from the shipped Census list. Idempotent: a second run
    reports everything unchanged; a renamed county is updated in place (its code is its identity)."""
    if not Jurisdiction.objects.exists():
        return _bulk_load(data_dir)
    created = updated = unchanged = 0
    existing = {j.fips: j for j in Jurisdiction.objects.all()}

    def upsert(fips: str, name: str, kind: str, parent: Jurisdiction | None, postal: str = "", tz: str = "") -> Jurisdiction:
        nonlocal created, updated, unchanged
        found = existing.get(fips)
        if found is None:
            found = Jurisdiction.objects.create(
                fips=fips, name=name, kind=kind, parent=parent, postal=postal, default_timezone=tz
            )
            existing[fips] = found
            created += 1
            return found
        wanted = {"name": name, "kind": kind, "parent_id": parent.pk if parent else None, "postal": postal,
                  "default_timezone": tz}
        changed = [f for f, v in wanted.items() if getattr(found, f) != v]
        if changed:
            for f in changed:
                setattr(found, f, wanted[f])
            found.save(update_fields=[f.removesuffix("_id") if f == "parent_id" else f for f in changed])
            updated += 1
        else:
            unchanged += 1
        return found

    nation = upsert(NATION_FIPS, "United States", Jurisdiction.Kind.NATION, None)
    states: dict[str, Jurisdiction] = {}
    for fips, row in _read_states(data_dir).items():
        states[fips] = upsert(
            fips, row["name"].strip(), Jurisdiction.Kind.STATE, nation, row["postal"].strip(),
            STATE_TIMEZONES.get(fips, ""),
        )
    seen: set[str] = set()
    with (data_dir / "counties_2020.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            state_fips = row["statefp"].strip().zfill(2)
            state = states.get(state_fips)
            fips = state_fips + row["countyfp"].strip().zfill(3)
            if state is None or fips in seen:
                continue
            seen.add(fips)
            upsert(
                state_fips + row["countyfp"].strip().zfill(3), row["name"].strip(), Jurisdiction.Kind.COUNTY,
                state, state.postal, state.default_timezone,
            )
    return LoadResult(created, updated, unchanged)


def _read_states(data_dir: Path) -> dict[str, dict[str, str]]:
    states: dict[str, dict[str, str]] = {}
    with (data_dir / "states.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            states.setdefault(row["fips"].strip().zfill(2), row)  # first name wins ("D.C." is an alias)
    return states


def _bulk_load(data_dir: Path) -> LoadResult:
    """First load into an empty table: three bulk inserts instead of 3,300 round trips."""
    nation = Jurisdiction.objects.create(fips=NATION_FIPS, name="United States", kind=Jurisdiction.Kind.NATION)
    rows = _read_states(data_dir)
    Jurisdiction.objects.bulk_create(
        Jurisdiction(fips=fips, name=row["name"].strip(), kind=Jurisdiction.Kind.STATE, parent=nation,
                     postal=row["postal"].strip(), default_timezone=STATE_TIMEZONES.get(fips, ""))
        for fips, row in rows.items()
    )
    states = {j.fips: j for j in Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATE)}
    counties: dict[str, Jurisdiction] = {}
    with (data_dir / "counties_2020.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            state = states.get(row["statefp"].strip().zfill(2))
            fips = row["statefp"].strip().zfill(2) + row["countyfp"].strip().zfill(3)
            if state is None or fips in counties:
                continue  # the list repeats a few codes under an older name; the first name wins
            counties[fips] = Jurisdiction(
                fips=fips, name=row["name"].strip(), kind=Jurisdiction.Kind.COUNTY, parent=state,
                postal=state.postal, default_timezone=state.default_timezone)
    Jurisdiction.objects.bulk_create(counties.values(), batch_size=1000)
    return LoadResult(1 + len(states) + len(counties), 0, 0)


def get_jurisdiction(fips: str) -> Jurisdiction:
    try:
        return Jurisdiction.objects.get(fips=fips.strip())
    except Jurisdiction.DoesNotExist:
        raise NotFound(f"unknown jurisdiction FIPS code {fips!r} (run `handoff setup` to load the code list)") from None


def validate_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {tz!r} (use an IANA name such as America/Los_Angeles)", "timezone") from None
    return tz


def add_facility(code: str, jurisdiction_fips: str, name: str, timezone: str | None = None) -> tuple[Facility, bool]:
    """Register (or update) a jail. Returns (facility, created)."""
    code = code.strip()
    problem = ids.id_problem(code, ids.CODE_MAX)  # the one identifier shape (review H5)
    if problem:
        raise InvalidInput(f"facility code {problem}", "code")
    county = get_jurisdiction(jurisdiction_fips)
    if county.kind != Jurisdiction.Kind.COUNTY:
        raise InvalidInput(f"{county} is a {county.kind}; a facility belongs to a county", "jurisdiction")
    tz = validate_timezone(timezone or county.default_timezone or "UTC")
    facility, created = Facility.objects.update_or_create(
        code=code, defaults={"name": name, "jurisdiction": county, "timezone": tz}
    )
    return facility, created


def add_office(code: str, name: str, *, webhook_url: str = "", webhook_secret: str = "", email: str = "",
               escalation_email: str = "", escalation_webhook_url: str = "", escalation_webhook_secret: str = "",
               covers: Iterable[str] = ()) -> tuple[FederalOffice, bool]:
    code = code.strip()
    problem = ids.id_problem(code, ids.CODE_MAX)  # the one identifier shape (review H5)
    if problem:
        raise InvalidInput(f"office code {problem}", "code")
    for field, url in (("webhook", webhook_url), ("escalation_webhook", escalation_webhook_url)):
        problem = webhook_url_problem(url)
        if problem:
            raise InvalidInput(f"{problem}: {url}", field)
    if webhook_url and not webhook_secret:
        raise InvalidInput("a webhook needs --secret so the office can verify what we send", "secret")
    for field, secret in (("secret", webhook_secret), ("escalation_secret", escalation_webhook_secret)):
        problem = webhook_secret_problem(secret)
        if problem:
            raise InvalidInput(problem, field)
    if escalation_webhook_url and not (escalation_webhook_secret or webhook_secret):
        raise InvalidInput("an escalation webhook needs --escalation-secret (or the office's --secret)",
                           "escalation_secret")
    office, created = FederalOffice.objects.update_or_create(
        code=code,
        defaults={"name": name, "webhook_url": webhook_url, "webhook_secret": webhook_secret, "email": email,
                  "escalation_email": escalation_email, "escalation_webhook_url": escalation_webhook_url,
                  "escalation_webhook_secret": escalation_webhook_secret},
    )
    covered = [get_jurisdiction(f) for f in covers]
    if covered:
        office.covers.add(*covered)
    return office, created


def assign_shipped_policies(policies: Iterable[tuple[str, Iterable[str]]]) -> int:
    """(policy id, FIPS codes) pairs from the policy library -> PolicyAssignment rows. Returns rows created."""
    created = 0
    for policy_id, fips_codes in policies:
        for fips in fips_codes:
            jurisdiction = Jurisdiction.objects.filter(fips=fips).first()
            if jurisdiction is None:
                continue
            _, was_created = PolicyAssignment.objects.get_or_create(jurisdiction=jurisdiction, policy_id=policy_id)
            created += int(was_created)
    return created


# --- which law governs a place: the ONE place this is worked out ---------------------------------------
#
# The chain is the same at every date: the engine picks each policy's version in force at the evaluation
# date (a policy with none in force is skipped, with a reason). Everything that shows or counts "the law of
# a place" (deciding, the office's "law in force" panel, the transparency counts) reads it from here.

def _ids_along(lineage: Iterable[int], assigned: Mapping[int, Iterable[str]], into: list[str]) -> list[str]:
    """Append the policy ids assigned along `lineage` (nation first), without repeats, in the order of
    `policy.chain.chain_for` - the same function a scenario's `jurisdiction: <FIPS>` uses on the library's own
    lists, so a scenario checks exactly what a jail there gets (within a place: by level, then by id)."""
    for pid in chain_for(list(lineage), assigned, _level_of):
        if pid not in into:
            into.append(pid)
    return into


def _level_of(policy_id: str) -> str | None:
    doc = registry().policies.get(policy_id)
    return doc.level if doc is not None else None


def policy_chain(place: Facility | Jurisdiction) -> list[str]:
    """The policy ids that govern a facility (its county, and its city if it has one) or a place, from the
    nation down: the order in which the engine composes them."""
    chain = place.jurisdiction_chain() if isinstance(place, Facility) else place.chain()
    assigned: dict[int, list[str]] = {}
    for jid, pid in PolicyAssignment.objects.filter(jurisdiction__in=chain).values_list("jurisdiction_id",
                                                                                        "policy_id"):
        assigned.setdefault(jid, []).append(pid)
    return _ids_along([j.pk for j in chain], assigned, [])


def chains_for(places: list[Jurisdiction]) -> dict[int, list[str]]:
    """The bulk form of `policy_chain` for reports: per place, the policy ids governing its jails, nation
    first (a city's own law included, as `policy_chain` gives it for each facility), read in a handful of
    queries for all places."""
    facilities = list(Facility.objects.filter(jurisdiction__in=places).values_list("jurisdiction_id", "city_id"))
    parent: dict[int, int | None] = {}
    wanted = {j for j, _ in facilities} | {c for _, c in facilities if c is not None}
    while wanted:
        found = dict(Jurisdiction.objects.filter(pk__in=wanted).values_list("pk", "parent_id"))
        parent.update(found)
        wanted = {p for p in found.values() if p is not None and p not in parent}
    assigned: dict[int, list[str]] = defaultdict(list)
    for jid, pid in PolicyAssignment.objects.filter(jurisdiction_id__in=list(parent)).values_list(
        "jurisdiction_id", "policy_id"
    ):
        assigned[jid].append(pid)

    def lineage(jid: int) -> list[int]:
        out: list[int] = []
        node: int | None = jid
        while node is not None and node not in out:
            out.append(node)
            node = parent.get(node)
        return list(reversed(out))

    chains: dict[int, list[str]] = defaultdict(list)
    for jid, city in facilities:
        _ids_along(lineage(jid) + ([city] if city is not None else []), assigned, chains[jid])
    return chains


def set_confidential(fips: str, confidential: bool, at: object) -> Jurisdiction:
    jurisdiction = get_jurisdiction(fips)
    jurisdiction.confidential = confidential
    jurisdiction.confidential_since = at if confidential else None  # type: ignore[assignment]
    jurisdiction.save(update_fields=["confidential", "confidential_since"])
    return jurisdiction


def office_covers(office: FederalOffice, facility: Facility) -> bool:
    """Whether the office covers the facility's place (its county or city, or a state above them). An office
    with no coverage recorded (registered without `--covers`) covers nothing: leaving coverage out must not
    open every place to it.

    Why: an office may only file or receive requests for places it covers. A jail that records a paper
    request naming an office that does not cover it sent that office's webhooks and e-mails the confidential
    county's name and policies (security review H1)."""
    covered = set(office.covers.values_list("pk", flat=True))
    if not covered:
        return False
    place = facility.jurisdiction
    places = {place.pk, place.parent_id, place.parent.parent_id if place.parent_id and place.parent else None}
    if facility.city_id is not None:
        places.add(facility.city_id)
    return bool(covered & {p for p in places if p is not None})
