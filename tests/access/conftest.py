from __future__ import annotations

import pytest

from tests.access import world as world_module


@pytest.fixture
def world(db: None) -> world_module.World:
    return world_module.build()
