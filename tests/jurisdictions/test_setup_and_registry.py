"""`handoff setup` loads every state and county; facilities and offices are registered by command."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction, PolicyAssignment
from handoff.jurisdictions.services import policy_chain

pytestmark = pytest.mark.django_db


def _run(*args: str) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_it_loads_every_state_and_county_once(shared_data: Path) -> None:
    with (shared_data / "fips" / "states.csv").open() as fh:
        state_codes = {r["fips"] for r in csv.DictReader(fh)}
    with (shared_data / "fips" / "counties_2020.csv").open() as fh:
        # Midway (74) has a county code but no state entry in the list; it has no jail and is skipped.
        expected_counties = {r["statefp"] + r["countyfp"] for r in csv.DictReader(fh) if r["statefp"] in state_codes}
    first = _run("setup")
    assert Jurisdiction.objects.filter(kind="county").count() == len(expected_counties)
    assert Jurisdiction.objects.get(fips="11").name == "District of Columbia"
    assert Jurisdiction.objects.get(fips="06037").name == "Los Angeles County"
    assert Jurisdiction.objects.get(fips="06037").parent.fips == "06"
    assert first["jurisdictions_created"] == len(expected_counties) + Jurisdiction.objects.filter(kind="state").count() + 1
    second = _run("setup")
    assert second["jurisdictions_created"] == 0
    assert second["jurisdictions_updated"] == 0
    assert second["policy_assignments_created"] == 0


def test_it_assigns_the_shipped_policies_to_their_places(reference: None) -> None:
    assert PolicyAssignment.objects.filter(jurisdiction__fips="06", policy_id="us-ca").exists()
    assert PolicyAssignment.objects.filter(jurisdiction__fips="us", policy_id="us-federal").exists()
    call_command("facility", "add", "LA-MCJ", "--jurisdiction", "06037", "--name", "Men's Central Jail", stdout=StringIO())
    assert policy_chain(Facility.objects.get(code="LA-MCJ")) == ["us-federal", "us-ca", "us-ca-los-angeles"]
    call_command("facility", "add", "KERN", "--jurisdiction", "06029", "--name", "Kern County Jail", stdout=StringIO())
    assert policy_chain(Facility.objects.get(code="KERN")) == ["us-federal", "us-ca"]  # no county policy of its own


def test_it_registers_a_facility_with_the_states_time_zone(reference: None) -> None:
    result = _run("facility", "add", "HARRIS", "--jurisdiction", "48201", "--name", "Harris County Jail")
    assert result == {"code": "HARRIS", "jurisdiction": "48201", "timezone": "America/Chicago", "created": True}
    again = _run("facility", "add", "HARRIS", "--jurisdiction", "48201", "--name", "Harris County Jail",
                 "--timezone", "America/Chicago")
    assert again["created"] is False
    assert Facility.objects.count() == 1


def test_it_rejects_an_unknown_county_or_time_zone(reference: None) -> None:
    with pytest.raises(CommandError, match="unknown jurisdiction"):
        call_command("facility", "add", "X", "--jurisdiction", "99999", "--name", "Nowhere")
    with pytest.raises(CommandError, match="unknown time zone"):
        call_command("facility", "add", "X", "--jurisdiction", "06037", "--name", "X", "--timezone", "Mars/Base")
    with pytest.raises(CommandError, match="a facility belongs to a county"):
        call_command("facility", "add", "X", "--jurisdiction", "06", "--name", "X")
    assert not Facility.objects.exists()


def test_it_registers_an_office_and_what_it_covers(reference: None) -> None:
    result = _run("office", "add", "SFR", "--name", "ERO San Francisco", "--email", "sfr@example.gov",
                  "--covers", "06075", "06001")
    assert result == {"code": "SFR", "covers": ["06001", "06075"], "created": True}
    with pytest.raises(CommandError, match="--secret"):
        call_command("office", "add", "LOS", "--name", "ERO LA", "--webhook", "https://example.gov/hook")
    assert FederalOffice.objects.count() == 1


def test_it_marks_a_place_confidential_and_audits_the_change(reference: None) -> None:
    from handoff.audit.models import AuditEvent

    result = _run("jurisdiction", "set", "24031", "--confidential", "on")
    event = AuditEvent.objects.filter(action="permission.confidential_set").latest("pk")
    assert event.object_ids == [Jurisdiction.objects.get(fips="24031").pk]
    assert event.action == "permission.confidential_set"
    assert result["confidential"] is True
    assert [level["jurisdiction"] for level in result["chain"]] == ["us", "24", "24031"]
    assert "us-md-montgomery" in result["chain"][2]["policies"]
    assert _run("jurisdiction", "set", "24031", "--confidential", "off")["confidential"] is False


def test_it_asks_for_a_secret_for_an_escalation_webhook(reference: None) -> None:
    with pytest.raises(CommandError, match="--escalation-secret"):
        call_command("office", "add", "SFR", "--name", "ERO SF", "--escalation-webhook", "https://duty.example/hook")
    _run("office", "add", "SFR", "--name", "ERO SF", "--escalation-webhook", "https://duty.example/hook",
         "--escalation-secret", "whsec_ZHV0eS1yZWNlaXZlci1zZWNyZXQtMjQ=")
    assert FederalOffice.objects.get(code="SFR").escalation_webhook_secret == "whsec_ZHV0eS1yZWNlaXZlci1zZWNyZXQtMjQ="
