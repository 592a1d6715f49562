"""The TRUTH Act letters to the person and the attorney: HTML and PDF, English and Spanish; handover; outcomes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.notices.conftest import T0
from tests.notices.support import make_case, make_world, notices, release

pytestmark = pytest.mark.django_db


def _letter(case: Any, kind: str) -> Any:
    return next(n for n in notices(case) if n.kind == kind)


def test_it_tells_the_person_in_english_and_spanish_which_request_came_and_whether_the_jail_will_comply(
        travel: Any) -> None:
    from handoff.notices.letters import render_html

    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=72), individual_notice=True, attorney_notice=True)
    letter = _letter(case, "letter.individual")
    en = render_html(letter, "en")
    assert case.request.request_id in en and "I-247A" in en and "ICE ERO SFR" in en
    assert "The jail intends to comply with ICE&#x27;s request to be notified before you are released." in en
    assert "will not keep you in custody past your release time" in en
    assert "scheduled to be released on June 5, 2025 at 09:00 (PDT)" in en, "local time of the jail"
    assert "California Government Code section 7283.1" in en
    es = render_html(letter, "es")
    assert "La cárcel tiene la intención de cumplir con la solicitud de ICE" in es
    assert "el 5 de junio de 2025 a las 09:00 (PDT)" in es
    assert '<html lang="es">' in es
    attorney = render_html(_letter(case, "letter.attorney"), "en")
    name = f"Ana {case.booking.person.last_name}"
    assert f"To: the attorney or designee of {name}," in attorney
    assert f"before {name} is released" in attorney


def test_it_says_so_when_the_jail_will_not_comply(travel: Any) -> None:
    from handoff.notices.letters import render_html

    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=72), notify=False, individual_notice=True,
                     transfer="prohibited")
    assert not [n for n in notices(case) if n.kind == "letter.individual"], "no release date, no release letter"
    letter = next(n for n in notices(case, copies=True) if n.kind == "letter.request_copy")
    en = render_html(letter, "en")
    assert "the copy of the request and the statement of whether the jail intends to comply" in en
    assert "does not intend to comply" in en and "will not transfer you to ICE custody" in en
    assert "scheduled to be released" not in en, "no release date is given to ICE, so none is repeated"
    assert "no tiene la intención de cumplir" in render_html(letter, "es")


def test_it_renders_the_letter_as_pdf(travel: Any) -> None:
    from handoff.notices.letters import render_pdf

    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=72), individual_notice=True)
    for lang in ("en", "es"):
        pdf = render_pdf(_letter(case, "letter.individual"), lang)
        assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
    with pytest.raises(ValueError):
        render_pdf(_letter(case, "letter.individual"), "fr")


def test_it_records_when_staff_handed_a_letter_over(travel: Any) -> None:
    from handoff.core.errors import Conflict, InvalidInput
    from handoff.notices.services import record_handover

    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=72), individual_notice=True)
    letter = _letter(case, "letter.individual")
    travel.shift(timedelta(hours=1))
    handover = record_handover(letter.uid, language="es", recipient="Ana Roe",
                               handed_over_at=T0 + timedelta(minutes=30))
    letter.refresh_from_db()
    assert (letter.status, letter.sent_at) == ("sent", T0 + timedelta(minutes=30))
    assert handover.recorded_at == T0 + timedelta(hours=1) and handover.language == "es"
    with pytest.raises(InvalidInput):
        record_handover(letter.uid, handed_over_at=T0 + timedelta(days=1))
    with pytest.raises(Conflict):
        record_handover(_letter(case, "release.advance_notice").uid)


def test_it_records_outcomes_and_never_lets_the_system_overwrite_a_person(travel: Any) -> None:
    from handoff.core.errors import Conflict, InvalidInput
    from handoff.notices.models import Outcome
    from handoff.notices.services import record_outcome

    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    with pytest.raises(Conflict):
        record_outcome(case.booking, "released_ice_not_present")
    release(case, T0 + timedelta(hours=1))
    assert Outcome.objects.get(booking=case.booking).kind == "released_before_notice"
    outcome = record_outcome(case.booking, "released_ice_not_present", note="ICE did not come")
    assert (outcome.kind, outcome.source, outcome.request_id) == ("released_ice_not_present", "staff",
                                                                   case.request.pk)
    release(case, T0 + timedelta(hours=1))
    assert Outcome.objects.get(booking=case.booking).kind == "released_ice_not_present"
    with pytest.raises(InvalidInput):
        record_outcome(case.booking, "escaped")


def test_it_records_a_transfer_to_ice_from_the_release_reason(travel: Any) -> None:
    from handoff.notices.models import Outcome

    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    release(case, T0 + timedelta(hours=2), reason="transferred_to_ice", release_type="scheduled")
    assert Outcome.objects.get(booking=case.booking).kind == "transferred_to_ice"
    assert not any(n.kind == "release.occurred" for n in notices(case)), "ICE took custody; it knows"
    [advance] = notices(case)
    assert (advance.status, advance.missed, advance.cancel_reason) == ("cancelled", False, "transferred to ICE")
