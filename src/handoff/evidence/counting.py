"""Which requests count: ONE rule, read by every report that counts requests (the evidence reports,
/transparency with its CSV and Parquet file, the statutory filings, what-if).

Why one rule. Each report used to pick its own requests, so the same jail's year gave different numbers on
the public page and in the filing a county signs: a jail export's ICE hold and the federal request for the
same hold were two requests; an export re-imported without the hold left its "historical" request behind;
the transfer report counted only transfers staff had recorded while the page also counted the ones the
jail's release reason proves. A reader comparing the page with a filing could not tell which was true.

The rule (`counted`):
- every request received from the federal side counts, once, whatever became of it (a withdrawn or
  cancelled request was still received: it counts, and ends as "withdrawn" / "detainer cancelled");
- a historical request (made from a jail export's own record of an ICE hold, `historical=True`) counts only
  while it stands for a hold nothing else records:
  - not once the federal request for the same booking is on file (that request IS the hold; counting both
    would count one hold twice);
  - not once a later import of the export says the booking had no hold after all (the flow withdraws it:
    `casework.flow.record_export_history`). A historical request never came from ICE, so "withdrawn" here
    means "the jail's record no longer says so", not an ICE withdrawal, and it is not counted at all.

How a counted request ended (its one outcome) is handoff.evidence.outcomes / services.request_outcomes;
in re-arrest groups a booking whose only counted requests are historical holds is its own group,
`historical_hold`: nobody decided them, so they are neither "declined" nor "notified".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from handoff.requests.models import ImmigrationRequest, RequestStatus


def counted(qs: QuerySet[ImmigrationRequest] | None = None) -> QuerySet[ImmigrationRequest]:
    """The requests reports count, each once (the rule above), narrowed from `qs` (default: all)."""
    base = ImmigrationRequest.objects.all() if qs is None else qs
    federal_on_booking = ImmigrationRequest.objects.filter(booking_id=OuterRef("booking_id"), historical=False)
    dropped = Q(historical=True) & (Q(status=RequestStatus.WITHDRAWN) | Q(withdrawn_at__isnull=False)
                                    | Exists(federal_on_booking))
    return base.exclude(dropped)


def counted_ids_sql() -> tuple[str, list[Any]]:
    """`SELECT id FROM <requests> WHERE <the rule>` with its parameters, for the raw-SQL readers (the
    million-row reports): generated from `counted()` itself, so there is no second copy of the rule."""
    sql, params = counted().values("id").query.sql_with_params()
    return sql, list(params)
