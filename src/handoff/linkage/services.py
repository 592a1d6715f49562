"""The linkage run, the identity keys other analyses count by, the review list, and the export.

Order of evidence, strongest first (the same order deterministic matching uses inside a county):
1. the same FBI number, state ID or A-number in two counties (never across a conflicting higher identifier);
2. a reviewer's confirmation of a pair (a manual link);
3. a Splink match weight at or above the threshold (probabilistic).
Pairs scored in the review band (review floor <= weight < threshold) that the run did not join go to jail
staff as a list to confirm or reject; a rejected pair is never joined again, whatever its weight.

Why a person, not a booking, is the unit: inside a county, bookings are already joined to one Person by
identifiers and exact name + date of birth; linkage joins those Persons across counties (and catches the
typo'd duplicates inside one). A Person's address is its latest booking's.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from handoff.access import scoping
from handoff.access.actor import Actor
from handoff.access.errors import Forbidden
from handoff.audit.services import record
from handoff.core import clock
from handoff.core.errors import InvalidInput, NotFound
from handoff.custody.models import Booking, Person
from handoff.linkage import engine
from handoff.linkage.models import Identity, LinkRun, Method, PersonIdentity, ReviewPair, ReviewStatus

Step = Callable[[str], None]
_CHUNK = 900  # ids per IN (...) list: under SQLite's parameter limit with room to spare
IDENTIFIERS = ("fbi_number", "state_id", "a_number")  # in order of rank, as in custody matching
#: identifiers that, when both people have one and they differ, make two people different whatever their weight.
#: Not the state ID: each state numbers its own, so two states' IDs for one human differ.
VETO = ("fbi_number", "a_number")


def _quiet(_: str) -> None:
    return None


# ------------------------------------------------------------------------------------------ identity keys
def identity_keys(person_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Every person id (all people when None) -> a stable key of the human: `I<identity id>` when linkage joined
    the person to others, else `P<person id>`.

    Why this is the one door for analyses across jails (re-arrest, custody time): counting by person id would
    call a human booked in two counties two people, since each county keeps its own Person (H4). Keys are
    stable across link runs: a run that re-forms a group keeps the oldest identity any member already had."""
    if person_ids is None:
        ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
        linked = dict(PersonIdentity.objects.values_list("person_id", "identity_id"))
    else:
        ids = list(dict.fromkeys(int(i) for i in person_ids))
        linked = {}
        for i in range(0, len(ids), _CHUNK):
            linked.update(PersonIdentity.objects.filter(person_id__in=ids[i:i + _CHUNK])
                          .values_list("person_id", "identity_id"))
    return {pid: (f"I{linked[pid]}" if pid in linked else f"P{pid}") for pid in ids}


# ------------------------------------------------------------------------------------------ records
def person_records() -> pd.DataFrame:
    """One row per Person: names, date of birth, sex, identifiers, county, and the latest booking's address."""
    qn = connection.ops.quote_name
    p, b = Person._meta.db_table, Booking._meta.db_table
    sql = (
        f"SELECT p.id, p.first_name, p.last_name, p.date_of_birth, p.sex, p.fbi_number, p.state_id, p.a_number, "
        f"p.jurisdiction_id, b.address_street, b.address_city, b.address_postcode, b.address_state "
        f"FROM {qn(p)} p LEFT JOIN {qn(b)} b ON b.person_id = p.id ORDER BY p.id, b.booked_at, b.id"
    )
    with connection.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    cols = ["unique_id", "first_name", "last_name", "dob", "sex", "fbi_number", "state_id", "a_number",
            "jurisdiction_id", "street", "city", "postcode", "state"]
    df = pd.DataFrame.from_records(rows, columns=cols)
    if df.empty:
        return df
    df = df.drop_duplicates("unique_id", keep="last").reset_index(drop=True)
    df["dob"] = df["dob"].map(lambda d: None if d is None else str(d)[:10])
    return df


def deterministic_edges(df: pd.DataFrame) -> list[engine.Edge]:
    """People in different records sharing an identifier, never across a conflicting identifier of higher rank
    (two FBI numbers that differ are two humans, whatever their state IDs say)."""
    edges: list[engine.Edge] = []
    if df.empty:
        return edges
    for rank, attr in enumerate(IDENTIFIERS):
        higher = IDENTIFIERS[:rank]
        sub = df[df[attr].fillna("").astype(str).str.len() > 0]
        if sub.empty:
            continue
        for _, group in sub.groupby(attr, sort=False):
            if len(group) < 2:
                continue
            rows = group.sort_values("unique_id").to_dict("records")
            for other in rows[1:]:
                for anchor in rows:
                    if anchor is other:
                        break
                    if not any(anchor[h] and other[h] and anchor[h] != other[h] for h in higher):
                        edges.append(engine.Edge(int(anchor["unique_id"]), int(other["unique_id"]),
                                                 Method.DETERMINISTIC.value))
                        break
    return edges


# ------------------------------------------------------------------------------------------ the run
@dataclass
class LinkReport:
    run: int
    people: int
    pairs_scored: int
    identities: int
    linked_people: int
    deterministic_links: int
    probabilistic_links: int
    manual_links: int
    review_open: int
    trained: bool
    threshold: float
    review_floor: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def link(*, actor: Actor, threshold: float = engine.THRESHOLD, review_floor: float = engine.REVIEW_FLOOR,
         train: bool | None = None, step: Step = _quiet) -> LinkReport:
    """Run deterministic and probabilistic linkage over every person and store identities and the review list.
    A re-run with nothing new changes nothing (identities keep their keys)."""
    if review_floor > threshold:
        raise InvalidInput("the review floor must not be above the threshold", "review_floor")
    started = clock.now()
    step("reading people")
    df = person_records()
    step("joining people by identifier")
    det = deterministic_edges(df)
    decided = {(a, b): s for a, b, s in ReviewPair.objects.exclude(status=ReviewStatus.OPEN)
               .values_list("person_a_id", "person_b_id", "status")}
    rejected = {k for k, s in decided.items() if s == ReviewStatus.REJECTED}
    manual = [engine.Edge(a, b, Method.MANUAL.value) for (a, b), s in decided.items() if s == ReviewStatus.CONFIRMED]
    scored = engine.score(df, floor=review_floor, train=train, step=step) if len(df) > 1 else None
    pairs = scored.pairs if scored is not None else pd.DataFrame(
        columns=["unique_id_l", "unique_id_r", "match_weight", "match_probability"])
    step("forming identities")
    pairs = _without_conflicts(pairs, df)
    strong = pairs[pairs["match_weight"] >= threshold]
    prob = [engine.Edge(int(a), int(b), Method.PROBABILISTIC.value, float(w))
            for a, b, w in zip(strong["unique_id_l"], strong["unique_id_r"], strong["match_weight"], strict=True)
            if (int(a), int(b)) not in rejected]
    # Identifier edges across a rejected pair stay: a reviewer cannot overrule an FBI number, only weights.
    clusters = engine.cluster([*det, *manual, *prob])
    root: dict[int, int] = {}
    for g in clusters.groups:
        for x in g:
            root[x] = g[0]
    band = pairs[(pairs["match_weight"] < threshold)]
    review = [(int(a), int(b), float(w), float(p)) for a, b, w, p in zip(
        band["unique_id_l"], band["unique_id_r"], band["match_weight"], band["match_probability"], strict=True)
        if (int(a), int(b)) not in decided and (root.get(int(a), -1) != root.get(int(b), -2))]
    step("storing identities and the review list")
    with transaction.atomic():
        run = LinkRun.objects.create(
            started_at=started, actor=actor.who[:150], threshold=threshold, review_floor=review_floor,
            people=len(df), pairs_scored=len(pairs), trained=bool(scored and scored.trained),
            model=scored.model if scored is not None else {})
        _store_identities(clusters, run)
        _store_review(review, run)
        run.identities = len(clusters.groups)
        run.linked_people = sum(len(g) for g in clusters.groups)
        run.review_pairs = ReviewPair.objects.filter(status=ReviewStatus.OPEN).count()
        run.finished_at = clock.now()
        run.save()
        report = LinkReport(
            run=run.pk, people=run.people, pairs_scored=run.pairs_scored, identities=run.identities,
            linked_people=run.linked_people, deterministic_links=len(det), probabilistic_links=len(prob),
            manual_links=len(manual), review_open=run.review_pairs, trained=run.trained, threshold=threshold,
            review_floor=review_floor, seconds=round((run.finished_at - started).total_seconds(), 3))
        record(actor, "linkage.run", object_type="linkrun", object_ids=[run.pk],
               detail={k: v for k, v in report.as_dict().items() if k not in ("threshold", "review_floor", "seconds")})
    return report


def _without_conflicts(pairs: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs minus those whose FBI numbers or A-numbers are both known and differ."""
    if pairs.empty:
        return pairs
    keep = pd.Series(True, index=pairs.index)
    for attr in VETO:
        ids = df.set_index("unique_id")[attr].fillna("").astype(str)
        left = pairs["unique_id_l"].map(ids).fillna("")
        right = pairs["unique_id_r"].map(ids).fillna("")
        keep &= ~((left != "") & (right != "") & (left != right))
    return pairs[keep]


def _store_identities(clusters: engine.Clusters, run: LinkRun) -> None:
    """Write the identities: a group that already had one keeps its oldest key; new groups get new ones.

    Why plain INSERTs for the new rows (custody's `_insert`, as ingest writes bookings): a first run over a
    state writes hundreds of thousands of rows, and model instances plus `bulk_create` cost more than the
    statements; the rows are read back as tuples for the same reason."""
    from handoff.custody.services import _db_formats, _insert

    now = clock.now()
    dt, _ = _db_formats()
    current: dict[int, tuple[int, int, str, float | None]] = {
        person_id: (pk, identity_id, method, weight) for pk, person_id, identity_id, method, weight in
        PersonIdentity.objects.values_list("pk", "person_id", "identity_id", "method", "match_weight")}
    wanted: dict[int, tuple[int, engine.Edge]] = {}
    fresh: list[list[int]] = []
    for group in clusters.groups:
        had = sorted({current[p][1] for p in group if p in current})
        if had:
            for p in group:
                wanted[p] = (had[0], clusters.best[p])
        else:
            fresh.append(group)
    if fresh:
        ids = _insert(Identity._meta.db_table, ("created_at",), [(dt(now),)] * len(fresh), returning=True)
        for group, identity_id in zip(fresh, ids, strict=True):
            for p in group:
                wanted[p] = (identity_id, clusters.best[p])
    gone = [p for p in current if p not in wanted]
    for i in range(0, len(gone), _CHUNK):
        PersonIdentity.objects.filter(person_id__in=gone[i:i + _CHUNK]).delete()
    new: list[tuple[Any, ...]] = []
    changed: list[PersonIdentity] = []
    for p, (identity_id, edge) in wanted.items():
        weight = edge.weight if edge.method == Method.PROBABILISTIC.value else None
        had_row = current.get(p)
        if had_row is None:
            new.append((p, identity_id, edge.method, weight, run.pk, dt(now)))
        elif had_row[1:] != (identity_id, edge.method, weight):
            changed.append(PersonIdentity(pk=had_row[0], person_id=p, identity_id=identity_id, method=edge.method,
                                          match_weight=weight, run=run, linked_at=now))
    _insert(PersonIdentity._meta.db_table,
            ("person_id", "identity_id", "method", "match_weight", "run_id", "linked_at"), new, returning=False)
    PersonIdentity.objects.bulk_update(changed, ["identity", "method", "match_weight", "run", "linked_at"],
                                       batch_size=1000)
    Identity.objects.filter(members__isnull=True).delete()


def _store_review(review: list[tuple[int, int, float, float]], run: LinkRun) -> None:
    now = clock.now()
    open_pairs = {(rp.person_a_id, rp.person_b_id): rp for rp in ReviewPair.objects.filter(status=ReviewStatus.OPEN)}
    keep: set[tuple[int, int]] = set()
    new: list[ReviewPair] = []
    changed: list[ReviewPair] = []
    for a, b, w, p in review:
        keep.add((a, b))
        rp = open_pairs.get((a, b))
        if rp is None:
            new.append(ReviewPair(person_a_id=a, person_b_id=b, match_weight=w, match_probability=p, run=run,
                                  created_at=now))
        elif abs(rp.match_weight - w) > 1e-9:
            rp.match_weight, rp.match_probability, rp.run = w, p, run
            changed.append(rp)
    stale = [rp.pk for k, rp in open_pairs.items() if k not in keep]
    for i in range(0, len(stale), _CHUNK):
        ReviewPair.objects.filter(pk__in=stale[i:i + _CHUNK]).delete()
    ReviewPair.objects.bulk_create(new, batch_size=1000)
    ReviewPair.objects.bulk_update(changed, ["match_weight", "match_probability", "run"], batch_size=1000)


# ------------------------------------------------------------------------------------------ review
def review_pairs_for(actor: Actor) -> QuerySet[ReviewPair]:
    """The pairs an actor may see: both people readable by the actor (a county's staff see pairs inside their
    county; pairs across counties only staff whose places cover both, auditors and administrators)."""
    qs = ReviewPair.objects.select_related("person_a", "person_b")
    if actor.is_global:
        return qs
    people = scoping.persons_for(actor).values("pk")
    return qs.filter(Q(person_a__in=people) & Q(person_b__in=people))


def review_list(actor: Actor, *, status: str = ReviewStatus.OPEN) -> list[dict[str, Any]]:
    """The review list as the actor may see it, each pair with its people's bookings there; audited."""
    pairs = list(review_pairs_for(actor).filter(status=status)[:500])
    people = {p.person_a_id for p in pairs} | {p.person_b_id for p in pairs}
    bookings: dict[int, list[str]] = {}
    for pid, code, number in (scoping.bookings_for(actor).filter(person_id__in=people)
                              .values_list("person_id", "facility__code", "booking_number")):
        bookings.setdefault(pid, []).append(f"{code}/{number}")
    out = [{
        "pair": rp.pk, "status": rp.status, "match_weight": round(rp.match_weight, 3),
        "match_probability": round(rp.match_probability, 6),
        "people": [_person_view(rp.person_a, bookings), _person_view(rp.person_b, bookings)],
        "decided_by": rp.decided_by, "reason": rp.reason,
    } for rp in pairs]
    record(actor, "linkage.review.list", object_type="reviewpair", object_ids=[rp.pk for rp in pairs],
           detail={"status": status, "count": len(pairs)})
    return scoping.redact(actor, out)


def _person_view(p: Person, bookings: dict[int, list[str]]) -> dict[str, Any]:
    return {"person_id": p.pk, "last_name": p.last_name, "first_name": p.first_name,
            "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None, "sex": p.sex,
            "bookings": sorted(bookings.get(p.pk, []))}


def decide(actor: Actor, pair_id: int, *, confirm: bool, reason: str) -> ReviewPair:
    """A reviewer's answer on one pair. Jail staff (and administrators) whose places cover both people; a pair
    they cannot see is "not found", like any record outside one's scope. Takes effect at the next link run."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("give the reason for the decision", "reason")
    if len(reason) > 500:
        raise InvalidInput("the reason is longer than 500 characters", "reason")
    with transaction.atomic():
        rp = review_pairs_for(actor).filter(pk=pair_id).first()
        if rp is None:
            raise NotFound(f"review pair {pair_id} not found")
        if not actor.internal and actor.role not in ("jail_clerk", "jail_supervisor", "admin"):
            raise Forbidden("your role cannot decide review pairs")
        rp.status = ReviewStatus.CONFIRMED if confirm else ReviewStatus.REJECTED
        rp.decided_at = clock.now()
        rp.decided_by = actor.who[:150]
        rp.reason = reason
        rp.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        record(actor, "linkage.review.confirm" if confirm else "linkage.review.reject", object_type="reviewpair",
               object_ids=[rp.pk], detail={"people": [rp.person_a_id, rp.person_b_id]})
    return rp


# ------------------------------------------------------------------------------------------ export
EXPORT_COLUMNS = ("facility", "booking_number", "person_id", "match_weight")


def export_rows() -> Iterator[tuple[str, str, str, str]]:
    """Every booking: its facility, number, the identity key of its person (`identity_keys`) and the match
    weight that joined that person to its identity (empty when the person stands alone or was joined by an
    identifier or a reviewer)."""
    keys = identity_keys()
    weights = dict(PersonIdentity.objects.filter(match_weight__isnull=False).values_list("person_id", "match_weight"))
    qs = Booking.objects.order_by("facility__code", "booking_number").values_list(
        "facility__code", "booking_number", "person_id")
    for code, number, pid in qs.iterator(chunk_size=5000):
        w = weights.get(pid)
        yield code, number, keys.get(pid, f"P{pid}"), "" if w is None else f"{w:.3f}"


def export_csv(path: str | Path, *, actor: Actor) -> int:
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(EXPORT_COLUMNS)
        for row in export_rows():
            w.writerow(row)
            n += 1
    record(actor, "linkage.export", object_type="booking", detail={"rows": n})
    return n
