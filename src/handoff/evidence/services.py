"""The evidence reports read from the database: outcomes per request, re-arrest after release, time in
custody. Each returns plain data (dicts of numbers and strings) so the CLI, the pages and the public
transparency page (`reports`, with its own disclosure control) can all call the same function.

Why raw SQL into pandas and not the ORM row by row: the reports must run on a million bookings in seconds
(bench/reports.py). Each function reads a few narrow columns with one statement per table, and the work
(the next booking anywhere, means and medians, Kaplan-Meier) is vectorised in pandas / numpy / lifelines.
No personal data leaves these functions: only counts and durations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection

from handoff.core.errors import InvalidInput, NotFound
from handoff.custody.models import Booking, Charge
from handoff.evidence import rearrest
from handoff.evidence.counting import counted, counted_ids_sql
from handoff.evidence.outcomes import OUTCOMES, RELEASE_NOTICE_KINDS
from handoff.jurisdictions.models import Facility, Jurisdiction
from handoff.notices.models import Notice, Outcome
from handoff.requests.models import ImmigrationRequest

Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _frame(sql: str, params: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """One statement, its rows straight into a frame (no model instances, no per-row converters)."""
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        rows = cur.fetchall()
    return pd.DataFrame.from_records(rows, columns=list(columns))


def _epoch(column: str) -> str:
    """SQL for a datetime column as seconds since 1970 (NULL stays NULL). Why: a million ISO strings take
    seconds to parse in Python; numbers come back ready (SQLite keeps text, PostgreSQL timestamptz)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"(julianday({column}) - 2440587.5) * 86400.0"


def _from_epoch(s: pd.Series) -> pd.Series:
    return pd.to_datetime(pd.to_numeric(s, errors="coerce").round(3), unit="s", utc=True)


def _utc(s: pd.Series) -> pd.Series:
    """SQLite hands back text, PostgreSQL aware datetimes: both become UTC timestamps."""
    return pd.to_datetime(s, utc=True, format="ISO8601") if len(s) else s.astype("datetime64[ns, UTC]")


def _bool(s: pd.Series) -> pd.Series:
    return s.fillna(0).astype(bool)


def facility_ids_in(fips: str | None) -> list[int] | None:
    """Facilities in a jurisdiction: a county's own, or every facility of a state (its counties' too).
    None = no restriction. An unknown code is refused."""
    if not fips or fips == "us":
        return None
    j = Jurisdiction.objects.filter(fips=fips).first()
    if j is None:
        raise InvalidInput(f"unknown jurisdiction {fips!r} (a 2-digit state or 5-digit county FIPS code)",
                           "jurisdiction")
    qs = Facility.objects.filter(jurisdiction__fips__startswith=fips) if len(fips) == 2 else \
        Facility.objects.filter(jurisdiction=j)
    return list(qs.values_list("pk", flat=True))


# --- outcomes ---------------------------------------------------------------------------------------------

def request_outcomes(facility_ids: Iterable[int] | None = None, *, received_from: date | None = None,
                     received_to: date | None = None) -> pd.DataFrame:
    """One row per COUNTED request (handoff.evidence.counting): request id (pk), booking id, facility id,
    received_at, whether it is historical, and its ONE outcome (handoff.evidence.outcomes.derive, vectorised).

    The booking's recorded outcome (one per booking) is the outcome of every counted request on it, except a
    request withdrawn before the release that the record does not name: that one ended as "withdrawn" (a
    withdrawn detainer followed by a new one that ended in a transfer is one transfer, not two)."""
    where, params = [], []
    rule_sql, rule_params = counted_ids_sql()
    where.append(f"r.id IN ({rule_sql})")
    params += rule_params
    if facility_ids is not None:
        ids = list(facility_ids) or [-1]
        where.append(f"r.facility_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    if received_from:
        where.append("r.received_at >= %s")
        params.append(rearrest.start_of(received_from).to_pydatetime())
    if received_to:
        where.append("r.received_at < %s")
        params.append(rearrest.end_of(received_to).to_pydatetime())
    kinds = ", ".join(["%s"] * len(RELEASE_NOTICE_KINDS))
    sql = (
        f"SELECT r.id, r.booking_id, r.facility_id, r.received_at, r.withdrawn_at, r.historical, b.released_at, "
        f"b.release_reason, o.kind, o.request_id, o.recorded_at, "
        f"(SELECT MIN(n.sent_at) FROM {_t(Notice)} n WHERE n.request_id = r.id AND n.kind IN ({kinds}) "
        f" AND n.sent_at IS NOT NULL) "
        f"FROM {_t(ImmigrationRequest)} r "
        f"LEFT JOIN {_t(Booking)} b ON b.id = r.booking_id "
        f"LEFT JOIN {_t(Outcome)} o ON o.booking_id = r.booking_id "
        f"WHERE {' AND '.join(where)}"
    )
    df = _frame(sql, [*RELEASE_NOTICE_KINDS, *params],
                ["id", "booking_id", "facility_id", "received_at", "withdrawn_at", "historical", "released_at",
                 "release_reason", "recorded", "recorded_for", "recorded_at", "notice_sent_at"])
    for col in ("received_at", "withdrawn_at", "released_at", "recorded_at", "notice_sent_at"):
        df[col] = _utc(df[col])
    df["historical"] = _bool(df["historical"])
    recorded = df["recorded"].fillna("")
    withdrawn = df["withdrawn_at"].notna() & (df["released_at"].isna() | (df["withdrawn_at"] <= df["released_at"]))
    names_other = df["recorded_for"].notna() & (pd.to_numeric(df["recorded_for"], errors="coerce") != df["id"])
    use_recorded = (recorded != "") & ~(names_other & withdrawn)
    reason = df["release_reason"].fillna("")
    noticed = df["notice_sent_at"].notna() & (df["notice_sent_at"] <= df["released_at"])
    df["outcome"] = np.select(
        [use_recorded, withdrawn, df["released_at"].isna(),
         reason.isin(["transferred_to_ice", "transferred_other"]), noticed],
        [recorded, "withdrawn", "still_in_custody", reason, "released_ice_not_present"],
        default="released_before_notice",
    )
    return df


def transfers_to_ice(facility_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Every transfer to ICE, once per booking (a person handed over once, however many requests asked):
    the counted requests whose one outcome is `transferred_to_ice`, recorded or proved by the jail's release
    reason. Columns: booking_id, request_id (the request the record names, else the booking's latest counted
    request), facility_id, at (the release, else the moment the transfer was recorded). The statutory
    transfer and TRUTH Act reports read this, so they count what the public page counts."""
    df = request_outcomes(facility_ids)
    df = df[(df["outcome"] == "transferred_to_ice") & df["booking_id"].notna()].copy()
    if not len(df):
        return pd.DataFrame({"booking_id": pd.Series(dtype="int64"), "request_id": pd.Series(dtype="int64"),
                             "facility_id": pd.Series(dtype="int64"), "at": pd.Series(dtype="datetime64[ns, UTC]")})
    named = pd.to_numeric(df["recorded_for"], errors="coerce") == df["id"]
    df = df.assign(named=named).sort_values(["booking_id", "named", "received_at", "id"])
    last = df.groupby("booking_id", sort=True).tail(1)
    at = last["released_at"].where(last["released_at"].notna(), last["recorded_at"])
    return pd.DataFrame({"booking_id": last["booking_id"].astype("int64"), "request_id": last["id"].astype("int64"),
                         "facility_id": last["facility_id"].astype("int64"), "at": at}).reset_index(drop=True)


def outcome_counts(*, jurisdiction_fips: str | None = None, start: date | None = None,
                   end: date | None = None) -> dict[str, int]:
    """Requests received in [start, end] by their one outcome; every outcome is a key, zeros included."""
    df = request_outcomes(facility_ids_in(jurisdiction_fips), received_from=start, received_to=end)
    counts = df["outcome"].value_counts()
    return {k: int(counts.get(k, 0)) for k in OUTCOMES}


# --- re-arrest --------------------------------------------------------------------------------------------

def identity_keys(person_ids: Iterable[int] | None = None) -> dict[int, str]:
    """The cross-jail identity of each person (linkage's key), so "the next booking in any facility" follows
    the same human across jails (a person linkage has not joined to others keeps their own key)."""
    from handoff.linkage.services import identity_keys as linked

    return dict(linked(person_ids=None if person_ids is None else list(person_ids)))


def release_frame(facility_ids: Iterable[int] | None = None, progress: Progress = _noop) -> pd.DataFrame:
    """Every booking (any facility: a re-arrest anywhere counts), with how it ended and the request at its
    release, in the columns handoff.evidence.rearrest.compute takes."""
    progress("reading bookings")
    b = _frame(f"SELECT id, person_id, facility_id, {_epoch('booked_at')}, {_epoch('released_at')}, release_reason "
               f"FROM {_t(Booking)}", [],
               ["id", "person_id", "facility_id", "booked_at", "released_at", "release_reason"])
    b["booked_at"] = _from_epoch(b["booked_at"])
    b["released_at"] = _from_epoch(b["released_at"])
    progress("reading outcomes and requests")
    recorded = _frame(f"SELECT booking_id, kind FROM {_t(Outcome)}", [], ["booking_id", "kind"])
    req = request_outcomes()
    req = req[req["booking_id"].notna()]
    live = req[~req["outcome"].isin(["withdrawn", "detainer_cancelled"])]
    notified = set(live.loc[live["outcome"] == "released_ice_not_present", "booking_id"].astype(int))
    federal = live[~live["historical"]]
    with_request = set(federal["booking_id"].astype(int))
    historical = set(live.loc[live["historical"], "booking_id"].astype(int))

    progress("classifying releases")
    kind = b["id"].map(dict(zip(recorded["booking_id"], recorded["kind"], strict=True))).fillna("")
    reason = b["release_reason"].fillna("")
    to_ice = (kind == "transferred_to_ice") | (reason == "transferred_to_ice")
    to_other = ~to_ice & ((kind == "transferred_other") | (reason == "transferred_other"))
    exit_ = np.select([to_ice, to_other], ["transferred_to_ice", "transferred_other"], default="community")
    ids = b["id"]
    group = np.select([ids.isin(notified), ids.isin(with_request), ids.isin(historical)],
                      ["request_notified_released", "request_declined", "historical_hold"], default="no_request")
    keys = identity_keys()
    person = b["person_id"].astype(np.int64)
    if keys:  # one integer per identity (a person linkage has not keyed stays its own)
        named = person.map(keys)
        identity = pd.Series(pd.factorize(named.fillna("p" + person.astype(str)))[0], index=b.index)
    else:
        identity = person
    scope = b["facility_id"].isin(list(facility_ids)) if facility_ids is not None else True
    return pd.DataFrame({"identity": identity, "booked_at": b["booked_at"], "released_at": b["released_at"],
                         "exit": exit_, "group": group, "in_scope": scope})


def rearrest_result(*, as_of: date, start: date | None = None, end: date | None = None,
                    jurisdiction_fips: str | None = None, progress: Progress = _noop,
                    curve: bool = True) -> rearrest.RearrestResult:
    frame = release_frame(facility_ids_in(jurisdiction_fips), progress)
    progress("following releases (Kaplan-Meier)")
    return rearrest.compute(frame, as_of=as_of, start=start, end=end, curve=curve)


def rearrest_figures(*, as_of: date, start: date | None = None, end: date | None = None,
                     jurisdiction_fips: str | None = None) -> dict[str, Any]:
    """`handoff report rearrest --json`, as plain data (for the public page)."""
    return rearrest_result(as_of=as_of, start=start, end=end, jurisdiction_fips=jurisdiction_fips,
                           curve=False).as_json()


# --- time in custody --------------------------------------------------------------------------------------

def custody_time_figures(*, facility_code: str, offence_bookings_only: bool = False,
                         progress: Progress = _noop) -> dict[str, Any]:
    """Days from booking to release for the facility's released bookings, with an ICE hold (the jail's own
    flag, or any federal request on the booking) and without.

    `offence_bookings_only` leaves out bookings whose most serious charge is not an offence (every charge
    row is a hold or a violation), as the UW Center for Human Rights did for Pierce County. A booking with
    no charge rows at all is kept: nothing says it was held on a non-offence.
    `released_to_ice`: released to immigration, by the recorded outcome or the jail's release reason."""
    facility = Facility.objects.filter(code=facility_code).first()
    if facility is None:
        raise NotFound(f"no facility {facility_code!r}")
    progress("reading bookings")
    b = _frame(
        f"SELECT b.id, {_epoch('b.released_at')} - {_epoch('b.booked_at')}, b.ice_hold, b.release_reason, o.kind "
        f"FROM {_t(Booking)} b LEFT JOIN {_t(Outcome)} o ON o.booking_id = b.id "
        f"WHERE b.facility_id = %s AND b.released_at IS NOT NULL", [facility.pk],
        ["id", "seconds", "ice_hold", "release_reason", "kind"])
    requested = pd.DataFrame({"booking_id": list(counted().filter(facility_id=facility.pk, booking__isnull=False)
                                                 .values_list("booking_id", flat=True).distinct())})
    hold = _bool(b["ice_hold"]) | b["id"].isin(requested["booking_id"])
    if offence_bookings_only:
        progress("reading charges")
        c = _frame(
            f"SELECT c.booking_id, MAX(CASE WHEN c.offence THEN 1 ELSE 0 END) FROM {_t(Charge)} c "
            f"JOIN {_t(Booking)} b ON b.id = c.booking_id WHERE b.facility_id = %s GROUP BY c.booking_id",
            [facility.pk], ["booking_id", "any_offence"])
        only_holds = set(c.loc[c["any_offence"].astype(int) == 0, "booking_id"])
        keep = ~b["id"].isin(only_holds)
        b, hold = b[keep], hold[keep]
    progress("computing")
    days = pd.to_numeric(b["seconds"]).astype(float) / 86_400
    to_ice = (b["kind"].fillna("") == "transferred_to_ice") | (b["release_reason"].fillna("") == "transferred_to_ice")
    groups = []
    for name, mask in (("ice_hold", hold), ("no_hold", ~hold)):
        d = days[mask]
        groups.append({
            "group": name,
            "bookings": int(mask.sum()),
            "mean_days": round(float(d.mean()), 4) if len(d) else None,
            "median_days": round(float(d.median()), 4) if len(d) else None,
            "released_to_ice": int(to_ice[mask].sum()),
        })
    return {"groups": groups}


def outcome_of(req: ImmigrationRequest) -> tuple[str, bool]:
    """One request's outcome and whether it was recorded (True) or derived (False), by the same rule as
    `request_outcomes`."""
    from handoff.evidence.outcomes import derive

    booking = req.booking
    record = Outcome.objects.filter(booking=booking).values_list("kind", "request_id").first() if booking else None
    recorded, recorded_for = record if record else (None, None)
    sent = (Notice.objects.filter(request=req, kind__in=RELEASE_NOTICE_KINDS, sent_at__isnull=False)
            .order_by("sent_at").values_list("sent_at", flat=True).first())
    kind = derive(recorded=recorded, withdrawn_at=req.withdrawn_at,
                  released_at=booking.released_at if booking else None,
                  release_reason=booking.release_reason if booking else "", notice_sent_at=sent,
                  recorded_names_another=recorded_for is not None and recorded_for != req.pk)
    return kind, bool(recorded) and kind == recorded
