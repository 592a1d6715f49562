"""Who may read which audit entries, and the auditor's export.

Why counsel reads a narrower log: county counsel answers for their own county, and the audit log names people
and requests across every county. Their view is the entries written by the accounts of their jurisdiction
(the county's jail staff and counsel); an auditor and an administrator read everything. Entries carry no
place of their own (the chain must not change shape), so the account is the join."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from handoff.access.actor import Actor
from handoff.access.models import Membership, Role
from handoff.audit.models import AuditEvent
from handoff.jurisdictions.models import Facility

EXPORT_COLUMNS = ("seq", "at", "actor_kind", "actor", "role", "source", "action", "outcome", "object_type",
                  "object_ids", "detail", "prev_hash", "hash")
MAX_EXPORT_ROWS = 200_000


def county_user_ids(jurisdiction_ids: frozenset[int] | set[int]) -> set[int]:
    """Accounts whose place lies in these jurisdictions: members of the jurisdiction or of its facilities."""
    facilities = Facility.objects.filter(Q(jurisdiction_id__in=jurisdiction_ids) | Q(city_id__in=jurisdiction_ids))
    return set(Membership.objects.filter(Q(jurisdiction_id__in=jurisdiction_ids) | Q(facility__in=facilities))
               .values_list("account__user_id", flat=True))


def events_for(actor: Actor) -> QuerySet[AuditEvent]:
    """The audit entries this actor may read (auditors and admins: all; counsel: their county's accounts)."""
    qs = AuditEvent.objects.all()
    if actor.internal or actor.is_global or actor.role in (Role.AUDITOR, Role.ADMIN):
        return qs
    if actor.role == Role.COUNTY_COUNSEL and actor.jurisdiction_ids:
        return qs.filter(actor_user_id__in=county_user_ids(actor.jurisdiction_ids))
    return qs.none()


def in_range(qs: QuerySet[AuditEvent], start: date, end: date) -> QuerySet[AuditEvent]:
    """Entries from the start of `start` to the end of `end` (UTC days, as the chain stamps them)."""
    lo = datetime.combine(start, time.min, tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    return qs.filter(at__gte=lo, at__lt=hi).order_by("seq")


def _row(e: AuditEvent) -> dict[str, Any]:
    return {"seq": e.seq, "at": e.at.isoformat().replace("+00:00", "Z"), "actor_kind": e.actor_kind,
            "actor": e.actor, "role": e.role, "source": e.source, "action": e.action, "outcome": e.outcome,
            "object_type": e.object_type, "object_ids": list(e.object_ids or []), "detail": e.detail or {},
            "prev_hash": e.prev_hash, "hash": e.hash}


def as_csv(qs: QuerySet[AuditEvent]) -> Iterator[str]:
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(EXPORT_COLUMNS)
    for e in qs[:MAX_EXPORT_ROWS].iterator(chunk_size=2000):
        r = _row(e)
        r["object_ids"] = json.dumps(r["object_ids"], ensure_ascii=False)
        r["detail"] = json.dumps(r["detail"], ensure_ascii=False, sort_keys=True, default=str)
        out.writerow([r[c] for c in EXPORT_COLUMNS])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()


def as_json(qs: QuerySet[AuditEvent], start: date, end: date) -> Iterator[str]:
    yield json.dumps({"from": start.isoformat(), "to": end.isoformat()})[:-1] + ', "entries": ['
    for i, e in enumerate(qs[:MAX_EXPORT_ROWS].iterator(chunk_size=2000)):
        yield ("," if i else "") + json.dumps(_row(e), ensure_ascii=False, sort_keys=True, default=str)
    yield "]}\n"
