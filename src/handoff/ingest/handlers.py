"""Ingest handlers for custody's records (see contract.py): custody.services validates, the flow writes and
hands the changes on to the requests they concern."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from handoff.casework import collection, flow
from handoff.core.vocab import OUTCOMES_BEFORE_RELEASE, RECORDABLE_OUTCOMES
from handoff.custody import services
from handoff.ingest.contract import BatchResult, Problem, Row


@dataclass(frozen=True, slots=True)
class ExportBooking:
    """A booking row of a jail export, with how its immigration request ended when the export says so
    (a map's `outcomes` flags or an `outcome` column; see handoff.ingest.mapping)."""

    booking: services.BookingInput
    outcome: str = ""


class BookingHandler:
    """Bookings, and what a jail export also says about them: an ICE hold becomes a historical request
    (so it counts in reports and shows on pages) and an outcome column records how that request ended."""

    kind = "bookings"
    known_fields = services.BOOKING_KNOWN | {"outcome"}
    key_field = "booking_number"

    def __init__(self, *, source: str) -> None:
        self.source = source
        self.facilities = services.Facilities()
        self.limits = collection.Limits()
        #: fields dropped because the facility's law forbids keeping them: {field: [count, citation]}
        self.dropped: dict[str, list[Any]] = {}

    def validate(self, row: Row) -> ExportBooking | list[Problem]:
        values = dict(row.values)
        outcome = str(values.pop("outcome", "") or "").strip()
        cleaned = services.validate_booking(values, self.facilities)
        problems = list(cleaned) if isinstance(cleaned, list) else []
        if outcome and outcome not in RECORDABLE_OUTCOMES:
            problems.append(Problem("outcome", outcome, f"unknown outcome; one of {', '.join(RECORDABLE_OUTCOMES)}"))
        elif outcome and not isinstance(cleaned, list) and cleaned.released_at is None \
                and outcome not in OUTCOMES_BEFORE_RELEASE:
            problems.append(Problem("outcome", outcome, "the booking has no release: only "
                                    f"{', '.join(OUTCOMES_BEFORE_RELEASE)} can be recorded while the person is held"))
        if problems or isinstance(cleaned, list):
            return problems
        cleaned, applied = collection.strip_booking(cleaned, self.limits)
        for limit in applied:
            self.dropped.setdefault(limit.field, [0, limit.cite])[0] += 1
        return ExportBooking(cleaned, outcome)

    def key(self, cleaned: ExportBooking) -> Hashable:
        return (cleaned.booking.facility_code, cleaned.booking.booking_number)

    def apply_batch(self, items: list[tuple[Row, Any]]) -> BatchResult:
        rows = [(r.number, c.booking) for r, c in items]
        result = flow.apply_bookings(rows, source=self.source).result
        flow.record_export_history([(c.booking, c.outcome) for _, c in items], source=self.source)
        return result


class ChargeHandler:
    kind = "charges"
    known_fields = services.CHARGE_KNOWN
    key_field = "seq"

    def __init__(self, *, source: str) -> None:
        self.source = source
        self.facilities = services.Facilities()

    def validate(self, row: Row) -> services.ChargeInput | list[Problem]:
        return services.validate_charge(row.values, self.facilities)

    def key(self, cleaned: services.ChargeInput) -> Hashable:
        return (cleaned.facility_code, cleaned.booking_number, cleaned.seq)

    def apply_batch(self, items: list[tuple[Row, Any]]) -> BatchResult:
        return flow.apply_charges([(r.number, c) for r, c in items], source=self.source).result


class ConvictionHandler:
    kind = "convictions"
    known_fields = services.CONVICTION_KNOWN
    key_field = "statute"

    def __init__(self, *, source: str) -> None:
        self.source = source
        self.facilities = services.Facilities()

    def validate(self, row: Row) -> services.ConvictionInput | list[Problem]:
        return services.validate_conviction(row.values, self.facilities)

    def key(self, cleaned: services.ConvictionInput) -> Hashable:
        return (cleaned.source_key, cleaned.statute)

    def apply_batch(self, items: list[tuple[Row, Any]]) -> BatchResult:
        return flow.apply_convictions([(r.number, c) for r, c in items], source=self.source).result
