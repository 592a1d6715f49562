"""The TRUTH Act's records of ICE access (Cal. Gov. Code 7283.1(a), (b), (d)) count what Handoff now records:
an ICE interview the person consented to in writing, and the written notice e-mailed to the attorney or
designee, beside the notifications, transfers and letters handed over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handoff.core import clock
from tests.web.world import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: None, time_machine: Any) -> World:
    """The page tests' world, built at a fixed mid-year time (the counts are per local calendar year)."""
    from handoff.jurisdictions.services import assign_shipped_policies
    from handoff.requests.services import registry

    time_machine.move_to(datetime(2026, 6, 15, 18, 0, tzinfo=UTC), tick=False)
    w = build_world(with_users=False)
    assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
    return w


def _rows(year: int) -> dict[str, int]:
    from handoff.reports.statutory import ca_truth

    filing = ca_truth(year, public=False)
    out: dict[str, int] = {}
    for r in filing.records:
        out[r["access"]] = out.get(r["access"], 0) + r["individuals"]
    return out


def test_it_counts_consented_interviews_and_emailed_attorney_copies_as_ice_access(world: World) -> None:
    from handoff.custody import interviews
    from handoff.notices.models import Notice, NoticeStatus

    now = clock.now()
    booking = world.requests["declined"].booking
    base = {"agency": "ICE ERO Los Angeles", "form_language": "es", "form_signed": True, "attorney": "present"}
    interviews.record(booking, interviews.validate({**base, "answer": "consented",
                                                    "requested_at": now - timedelta(hours=3),
                                                    "signed_at": now - timedelta(hours=2),
                                                    "interview_at": now - timedelta(hours=1)}), source="test")
    interviews.record(booking, interviews.validate({"answer": "declined", "requested_at": now - timedelta(hours=5)}),
                      source="test")
    req = world.requests["notify"]
    Notice.objects.create(kind="email.attorney", request=req, decision=req.current_decision, office=req.office,
                          booking=req.booking, due_at=now, status=NoticeStatus.SENT, sent_at=now - timedelta(hours=1))
    rows = _rows(2026)
    assert rows.get("interview, with the person's written consent (7283.1(a))") == 1, rows
    assert rows.get("written notice given to the person or attorney (7283.1(b))") == 1, rows
    assert not any("declined" in k for k in rows), "a declined interview gave ICE no access"


def test_it_says_what_it_counts_in_the_filing_notes(world: Any) -> None:
    from handoff.reports.statutory import ca_truth

    notes = " ".join(ca_truth(2026, public=False).notes)
    assert "ICE interviews recorded with the person's written consent" in notes
