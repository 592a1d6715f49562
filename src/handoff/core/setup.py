"""Reference data every installation needs: places and the law assigned to them."""

from __future__ import annotations

from typing import Any

from handoff.jurisdictions import services as jurisdictions


def load_reference_data() -> dict[str, Any]:
    loaded = jurisdictions.load_reference_jurisdictions()
    summary: dict[str, Any] = {
        "jurisdictions_created": loaded.created,
        "jurisdictions_updated": loaded.updated,
        "jurisdictions_unchanged": loaded.unchanged,
    }
    from handoff.policy.engine import load_library

    registry = load_library()
    summary["policies"] = sorted(registry.policies)
    summary["policy_assignments_created"] = jurisdictions.assign_shipped_policies(
        (doc.id, doc.jurisdictions) for doc in registry.policies.values()
    )
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics for the dashboard's partial indexes
    return summary
