"""Done-when of issue 10: `handoff jurisdiction show FIPS --json` names a policy at county level for each of the
25 largest jail jurisdictions, after `handoff setup` (the `reference` fixture loads what setup loads)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.policy.test_counties import COUNTIES

pytestmark = pytest.mark.django_db


def test_it_shows_a_county_level_policy_for_each_of_the_25_largest_jail_jurisdictions(reference: None) -> None:
    for pid, places in COUNTIES.items():
        for fips in places:
            out = StringIO()
            call_command("jurisdiction", "show", fips, "--json", stdout=out)
            chain = json.loads(out.getvalue())["chain"]
            assert chain[-1]["jurisdiction"] == fips, (pid, fips)
            assert pid in json.dumps(chain[-1]), (pid, fips, chain[-1])
            assert chain[1]["jurisdiction"] == fips[:2] and json.dumps(chain[1]).count("us-") >= 1
