"""An import tells the requests app what changed: a waiting request matches the booking when it arrives,
and a release time set by a later import reaches the notices. (The requests app's real services, through `handoff ingest`.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine

from handoff.jurisdictions.models import FederalOffice, Jurisdiction, PolicyAssignment
from handoff.notices.models import Notice
from handoff.requests.models import ImmigrationRequest
from tests.office_coverage import cover

from .conftest import Run
from .helpers import BOOKING_HEADER, booking, booking_rows, write_csv, write_jsonl

pytestmark = pytest.mark.django_db
LIBRARY = Path(__file__).resolve().parents[1] / "requests" / "library"  # the requests tests' small library


@pytest.fixture
def requests_ready(jails: dict) -> Iterator[None]:
    from handoff.policy.engine import Registry
    from handoff.policy.registry import use_registry

    PolicyAssignment.objects.create(jurisdiction=Jurisdiction.objects.get(fips="us"), policy_id="t-federal")
    # a state-level policy on file (a neutral test state): without one the answer is "no policy on file", review
    PolicyAssignment.objects.create(jurisdiction=Jurisdiction.objects.get(fips="48"), policy_id="t-neutral")
    cover(FederalOffice.objects.create(code="LOS", name="ICE ERO Los Angeles", email="ero@example.gov"))
    use_registry(Registry.from_directory(LIBRARY))
    with time_machine.travel(datetime.fromisoformat("2025-06-02T12:00:00+00:00"), tick=False):
        yield
    use_registry(None)


def test_it_lets_a_waiting_request_match_the_booking_when_the_import_brings_it(
    requests_ready: None, ingest: Callable[..., Run], tmp_path: Path
) -> None:
    requests = write_jsonl(tmp_path / "r.jsonl", [
        {"request_id": "R-1", "kind": "detainer", "issued_at": "2025-06-01T09:00:00", "office": "LOS",
         "facility": "HARRIS", "booking_number": "B00002", "subject": {"last_name": "LAST2", "first_name": "FIRST2"},
         "warrant": {"type": "administrative", "form": "I-200"}}])
    assert ingest("requests", requests).code == 0
    assert ImmigrationRequest.objects.get().status == "waiting"

    path = write_csv(tmp_path / "b.csv", BOOKING_HEADER, booking_rows([booking(1, facility="HARRIS"), booking(2, facility="HARRIS")]))
    assert ingest("bookings", path).code == 0
    req = ImmigrationRequest.objects.get()
    assert req.status == "matched" and req.booking is not None and req.booking.booking_number == "B00002"
    assert not Notice.objects.filter(request=req, release_at__isnull=False).exists()  # no release time yet

    path = write_csv(tmp_path / "b.csv", BOOKING_HEADER, booking_rows(
        [booking(1, facility="HARRIS"), booking(2, facility="HARRIS", scheduled_release_at="2025-06-20 09:00")]))
    assert ingest("bookings", path).report["updated"] == 1
    req.refresh_from_db()
    assert req.current_decision is not None and req.current_decision.notify is True
    release = datetime.fromisoformat("2025-06-20T09:00:00-05:00")  # Houston local time
    assert Notice.objects.filter(request=req, release_at=release, status="scheduled").exists()
