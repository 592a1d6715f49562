"""Fixtures shared by every test.

The suite runs on whichever database HANDOFF_DATABASE_URL names (SQLite by default); CI runs it twice,
once per backend, so every database-facing test is exercised on both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED_DATA.exists():  # a clone beside shared/ as CI lays it out
    SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs HANDOFF_DATABASE_URL to name PostgreSQL")
    for item in items:
        if "postgres" in item.keywords and not settings.IS_POSTGRES:
            item.add_marker(skip_pg)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def reference(db: None) -> None:
    """All U.S. states and counties plus the shipped policy assignments (what `handoff setup` loads)."""
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.ops.setup import load_reference_data

    if not Jurisdiction.objects.filter(fips="us").exists():
        load_reference_data()
