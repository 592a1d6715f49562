"""`handoff ingest requests|withdrawals`: the handlers the custody ingest runner calls (see the handler
protocol in handoff.ingest.contract).

Why the handlers go through `flow.receive()` / `flow.withdraw()` row by row: a request read from a
file must be matched and decided exactly as one posted to the API, and a re-run of the same file must be
`unchanged` without touching decisions or notices; the services already guarantee both.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from django.db import transaction

from handoff.casework import collection, flow
from handoff.core.errors import Conflict, HandoffError, InvalidInput, NotFound
from handoff.ingest.contract import BatchResult, Problem, Row
from handoff.jurisdictions.models import Facility, FederalOffice
from handoff.requests import services
from handoff.requests.inputs import RequestInput, WithdrawalInput, parse_request, parse_withdrawal
from handoff.requests.services import find

MISSING = "missing required field"
T = TypeVar("T")


def _value_of(values: Mapping[str, Any], path: str | None) -> str:
    if not path:
        return ""
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    return str(node)[:200]


def _problem(values: Mapping[str, Any], exc: HandoffError) -> Problem:
    where = getattr(exc, "field", None) or ""
    return Problem(where, _value_of(values, where), str(exc))


def _apply(items: list[tuple[Row, T]], call: Callable[[T], services.Received]) -> BatchResult:
    """Each row in its own transaction, so one bad row rolls back only itself; counted by the outcome the
    service reports."""
    result = BatchResult()
    for row, data in items:
        try:
            with transaction.atomic():
                received = call(data)
        except HandoffError as exc:
            result.problems.append((row.number, _problem(row.values, exc)))
            continue
        if received.outcome == services.CREATED:
            result.created += 1
        elif received.outcome == services.UPDATED:
            result.updated += 1
        else:
            result.unchanged += 1
    return result


class RequestHandler:
    kind = "requests"
    known_fields = frozenset({"request_id", "kind", "form", "issued_at", "office", "subject", "facility",
                              "booking_number", "basis", "warrant", "lead_time_hours", "federal",
                              "judicial_probable_cause"})
    required_fields = ("request_id", "kind", "issued_at", "office", "subject", "facility")

    def __init__(self, *, source: str) -> None:
        self.source = source
        self._offices: dict[str, bool] = {}
        self._facilities: dict[str, bool] = {}
        self.limits = collection.Limits()
        #: fields dropped because the facility's law forbids keeping them: {field: [count, citation]}
        self.dropped: dict[str, list[Any]] = {}

    def _office_known(self, code: str) -> bool:
        if code not in self._offices:
            self._offices[code] = FederalOffice.objects.filter(code=code).exists()
        return self._offices[code]

    def _facility_known(self, code: str) -> bool:
        if code not in self._facilities:
            self._facilities[code] = Facility.objects.filter(code=code).exists()
        return self._facilities[code]

    def validate(self, row: Row) -> RequestInput | list[Problem]:
        values = row.values
        missing = [Problem(name, "", MISSING) for name in self.required_fields
                   if values.get(name) in (None, "", {}, [])]
        if missing:
            return missing
        try:
            data = parse_request(values, strict=False)
        except InvalidInput as exc:
            return [_problem(values, exc)]
        problems: list[Problem] = []
        if not self._office_known(data.office):
            problems.append(Problem("office", data.office,
                                    f"unknown office {data.office!r} (register it with `handoff office add`)"))
        if not self._facility_known(data.facility):
            problems.append(Problem("facility", data.facility,
                                    f"unknown facility {data.facility!r} (register it with `handoff facility add`)"))
        if problems:
            return problems
        data, applied = collection.strip_request(data, self.limits)
        for limit in applied:
            self.dropped.setdefault(limit.field, [0, limit.cite])[0] += 1
        return data

    def key(self, cleaned: RequestInput) -> Hashable | None:
        return (cleaned.request_id, cleaned.office.strip(), cleaned.facility.strip())  # unique per both (M8)

    def apply_batch(self, items: list[tuple[Row, RequestInput]]) -> BatchResult:
        return _apply(items, lambda data: flow.receive(data, source=self.source))


class WithdrawalHandler:
    kind = "withdrawals"
    known_fields = frozenset({"request_id", "withdrawn_at", "office", "facility"})
    required_fields = ("request_id", "withdrawn_at")

    def __init__(self, *, source: str) -> None:
        self.source = source

    def validate(self, row: Row) -> WithdrawalInput | list[Problem]:
        values = row.values
        missing = [Problem(name, "", MISSING) for name in self.required_fields if values.get(name) in (None, "")]
        if missing:
            return missing
        try:
            data = parse_withdrawal(values)
        except InvalidInput as exc:
            return [_problem(values, exc)]
        try:  # ids are unique per office and facility (review M8): the optional columns tell them apart
            find(data.request_id, office=data.office, facility=data.facility)
        except (NotFound, Conflict) as exc:
            return [Problem("request_id", data.request_id, str(exc))]
        return data

    def key(self, cleaned: WithdrawalInput) -> Hashable | None:
        return (cleaned.request_id, cleaned.office, cleaned.facility)

    def apply_batch(self, items: list[tuple[Row, WithdrawalInput]]) -> BatchResult:
        return _apply(items, lambda data: flow.withdraw(data.request_id, data.withdrawn_at, source=self.source,
                                                        office=data.office, facility=data.facility))
