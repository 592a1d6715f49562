"""Review M4: sending a person's data to a federal office is a disclosure, and the audit log promises every
one. The worker writes one hash-chained entry per batch it delivered, in the batch's own transaction: which
notices, over which channels, to which offices (never the body). A receiver that answered an error had read
the body, so that counts; a connection that failed discloses nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handoff.audit import services as audit
from handoff.audit.models import AuditEvent
from tests.notices.conftest import T0
from tests.notices.support import Receiver, make_case, make_world, notices

pytestmark = pytest.mark.django_db


def test_m4_each_delivery_to_an_office_is_in_the_audit_log(travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=10))
    receiver.stop()
    assert worker.step() == 1
    assert not AuditEvent.objects.filter(action="notice.deliver").exists(), "no connection, nothing disclosed"
    receiver.start()
    receiver.status = 503
    travel.shift(timedelta(minutes=5))
    assert worker.step() == 1
    [refused] = AuditEvent.objects.filter(action="notice.deliver")
    assert refused.detail["deliveries"] == 0 and refused.detail["refused"] == 1, "a 503 answer had read the body"
    receiver.status = 200
    travel.shift(timedelta(minutes=5))
    assert worker.step() == 1
    entry = AuditEvent.objects.filter(action="notice.deliver").order_by("seq").last()
    assert entry is not None and entry.pk != refused.pk
    notice = notices(case)[0]
    assert [str(i) for i in entry.object_ids] == [str(notice.pk)] and entry.object_type == "notice"
    assert entry.detail == {"deliveries": 1, "refused": 0, "channels": ["webhook"], "offices": [world.office.pk]}
    assert entry.actor.startswith("system:") and "worker:test-worker" in entry.actor
    assert receiver.bodies() and receiver.bodies()[0]["subject"]["last_name"] not in str(entry.detail)
    assert audit.verify(witness_path=False).ok
