"""Fixtures shared by every test.

The suite runs on whichever database HANDOFF_DATABASE_URL names (SQLite by default); CI runs it twice,
once per backend, so every database-facing test is exercised on both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

#: the reference data sets (FIPS lists, jail exports) beside the checkout, as CI lays it out: ../shared/data
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs HANDOFF_DATABASE_URL to name PostgreSQL")
    for item in items:
        if "postgres" in item.keywords and not settings.IS_POSTGRES:
            item.add_marker(skip_pg)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference data beside the checkout. A lone clone has none: the tests that need it skip (CI has it,
    so there they run); everything else the suite needs lives under tests/."""
    if not SHARED_DATA.exists():
        pytest.skip(f"reference data not found at {SHARED_DATA} (a lone clone; CI provides it)")
    return SHARED_DATA


@pytest.fixture
def reference(db: None) -> None:
    """All U.S. states and counties plus the shipped policy assignments (what `handoff setup` loads)."""
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.ops.setup import load_reference_data

    if not Jurisdiction.objects.filter(fips="us").exists():
        load_reference_data()


@pytest.fixture(scope="session")
def _witness_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit-witness")


@pytest.fixture(autouse=True)
def webhooks_to_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test receivers listen on 127.0.0.1, which a real deployment refuses as a webhook address (review L7);
    the tests that check the refusal set HANDOFF_WEBHOOK_ALLOW_LOCAL back to False themselves."""
    monkeypatch.setattr(settings, "HANDOFF_WEBHOOK_ALLOW_LOCAL", True)


@pytest.fixture(autouse=True)
def audit_witness(_witness_dir: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's audit heads go to a witness file of its own (the database is emptied between tests, so
    one shared witness would make every later `audit verify` report a truncated log, rightly)."""
    from handoff.audit import witness

    target = _witness_dir / f"{abs(hash(request.node.nodeid)):x}.log"
    target.unlink(missing_ok=True)
    monkeypatch.setattr(settings, "HANDOFF_AUDIT_WITNESS", str(target))
    witness.reset_cache()
    return target
