"""Every list of allowed values is written once, in core.vocab; the copies that must exist read from it."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from handoff.api import schemas
from handoff.core import vocab
from handoff.custody import models as custody
from handoff.custody.services import OFFENCE_CATEGORIES
from handoff.linkage import models as linkage
from handoff.notices import models as notices
from handoff.notices import states
from handoff.policy.documents import CATEGORIES
from handoff.requests import models as requests


@pytest.mark.parametrize(("choices", "values"), [
    (custody.Sex, vocab.SEXES),
    (custody.ReleaseType, vocab.RELEASE_TYPE_VALUES),
    (custody.ReleaseReason, vocab.RELEASE_REASONS),
    (custody.ChargeLevel, vocab.CHARGE_LEVELS),
    (custody.Disposition, vocab.DISPOSITIONS),
    (requests.RequestKind, vocab.REQUEST_KINDS),
    (requests.WarrantType, vocab.WARRANT_TYPES),
    (requests.RequestStatus, vocab.REQUEST_STATUSES),
    (notices.NoticeKind, vocab.NOTICE_KINDS),
    (notices.NoticeStatus, vocab.NOTICE_STATUSES),
    (notices.Channel, vocab.CHANNELS),
    (notices.DeliveryStatus, vocab.DELIVERY_STATUSES),
    (notices.OutcomeKind, vocab.OUTCOME_KINDS),
    (linkage.Method, vocab.LINK_METHODS),
    (linkage.ReviewStatus, vocab.REVIEW_STATUSES),
], ids=lambda v: getattr(v, "__name__", ""))
def test_it_keeps_the_model_choices_equal_to_vocab(choices: type, values: tuple[str, ...]) -> None:
    assert tuple(choices.values) == values  # type: ignore[attr-defined]


def test_it_accepts_the_same_offence_categories_in_ingest_the_api_and_the_policy_validator() -> None:
    """The review found 20 categories in ingest and the API against 29 in the policy validator, so a rule
    naming `elder_abuse` could never be met. All three now read vocab's full list."""
    assert set(OFFENCE_CATEGORIES) == set(CATEGORIES) == set(get_args(schemas.Category)) == set(
        vocab.OFFENCE_CATEGORIES)
    assert "elder_abuse" in OFFENCE_CATEGORIES and len(vocab.OFFENCE_CATEGORIES) == 29


def test_it_derives_the_api_literals_from_vocab() -> None:
    assert get_args(schemas.Hold) == vocab.HOLD_VALUES
    assert get_args(schemas.Transfer) == vocab.TRANSFER_VALUES
    assert get_args(schemas.NoticeStatus) == vocab.NOTICE_STATUSES


def test_it_covers_every_notice_status_in_the_state_table() -> None:
    assert set(states.TRANSITIONS) == set(vocab.NOTICE_STATUSES)
    assert states.sources("sent") == ("scheduled", "sending", "failed")
    assert not states.TRANSITIONS["cancelled"] and not states.TRANSITIONS["acknowledged"]


def test_it_refuses_a_cancelled_notice_becoming_sent() -> None:
    from types import SimpleNamespace

    notice: Any = SimpleNamespace(uid="n-1", status="cancelled")
    with pytest.raises(states.IllegalTransition):
        states.move(notice, "sent")
    assert notice.status == "cancelled"
    notice.status = "scheduled"
    assert states.move(notice, "sent") and notice.status == "sent"
