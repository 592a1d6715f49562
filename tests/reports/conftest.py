"""Fixtures for the report tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_public_figures() -> None:
    """Each test starts without cached public figures (see tests/web/conftest.py)."""
    from django.core.cache import cache

    cache.clear()
