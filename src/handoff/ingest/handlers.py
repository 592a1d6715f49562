"""Ingest handlers for custody's records (see contract.py): custody.services validates, the flow writes and
hands the changes on to the requests they concern."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from handoff.casework import flow
from handoff.custody import services
from handoff.ingest.contract import BatchResult, Problem, Row


class BookingHandler:
    kind = "bookings"
    known_fields = services.BOOKING_KNOWN
    key_field = "booking_number"

    def __init__(self, *, source: str) -> None:
        self.source = source
        self.facilities = services.Facilities()

    def validate(self, row: Row) -> services.BookingInput | list[Problem]:
        return services.validate_booking(row.values, self.facilities)

    def key(self, cleaned: services.BookingInput) -> Hashable:
        return (cleaned.facility_code, cleaned.booking_number)

    def apply_batch(self, items: list[tuple[Row, Any]]) -> BatchResult:
        return flow.apply_bookings([(r.number, c) for r, c in items], source=self.source).result


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
