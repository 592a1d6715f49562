from __future__ import annotations

from tests.custody.conftest import ingest, jails  # noqa: F401  (the same places and ingest runner)
