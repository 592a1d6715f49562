"""Reference data every installation needs: places and the law assigned to them."""

from __future__ import annotations

from typing import Any

from django.db import connection

from handoff.jurisdictions import services as jurisdictions
from handoff.policy.registry import registry as policy_registry


def load_reference_data() -> dict[str, Any]:
    loaded = jurisdictions.load_reference_jurisdictions()
    summary: dict[str, Any] = {
        "jurisdictions_created": loaded.created,
        "jurisdictions_updated": loaded.updated,
        "jurisdictions_unchanged": loaded.unchanged,
    }
    registry = policy_registry()  # the library decisions are made with, so setup assigns what deciding reads
    summary["policies"] = sorted(registry.policies)
    summary["policy_assignments_created"] = jurisdictions.assign_shipped_policies(
        (doc.id, doc.jurisdictions) for doc in registry.policies.values()
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics for the dashboard's partial indexes
    return summary
