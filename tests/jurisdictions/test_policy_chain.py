"""A facility's chain of law is what `handoff setup` assigns to its place - the same function a scenario's
`jurisdiction:` key uses, so a scenario checks what a real county gets."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from handoff.jurisdictions.models import Facility
from handoff.jurisdictions.services import policy_chain
from handoff.policy.chain import chain_at
from handoff.policy.engine import load_library

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fips", ["25025", "13121", "24031", "11001", "19153", "72127"])
def test_it_gives_a_facility_the_chain_a_scenario_gets_for_its_county(reference: None, fips: str) -> None:
    call_command("facility", "add", f"F-{fips}", "--jurisdiction", fips, "--name", "Jail", stdout=StringIO())
    assert policy_chain(Facility.objects.get(code=f"F-{fips}")) == chain_at(fips, load_library().policies)


def test_it_shows_the_state_policy_at_the_state_level_of_a_place(reference: None) -> None:
    out = StringIO()
    call_command("jurisdiction", "show", "25025", "--json", stdout=out)
    shown = json.loads(out.getvalue())
    levels = {level["jurisdiction"]: level["policies"] for level in shown["chain"]}
    assert levels == {"us": ["us-federal"], "25": ["us-ma"], "25025": []}
