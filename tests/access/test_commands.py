"""`handoff user ...`, `handoff token ...` and `handoff audit verify`: results, exit codes, audit entries."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from handoff.access.models import Account, ApiToken, Membership
from handoff.audit.models import AuditEvent
from tests.access import world as W


def run(*args: str, stdin: str | None = None) -> dict[str, Any]:
    out = StringIO()
    if stdin is not None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("sys.stdin", StringIO(stdin))
            call_command(*args, stdout=out)
    else:
        call_command(*args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def places(db: None) -> W.World:
    w = W.World()
    W.build_places(w)
    return w


def test_it_adds_an_account_with_a_role_and_places(places: W.World) -> None:
    made = run("user", "add", "carol", "--role", "jail_supervisor", "--jurisdiction", W.OWN_FIPS, "--json",
               "--password-stdin", stdin=W.PASSWORD + "\n")
    assert made["role"] == "jail_supervisor" and made["interactive"] is True
    account = Account.objects.get(user__username="carol")
    assert account.user.check_password(W.PASSWORD)
    assert [m.jurisdiction.fips for m in Membership.objects.filter(account=account)] == [W.OWN_FIPS]
    entry = AuditEvent.objects.get(action="permission.account_create")
    assert entry.detail["role"] == "jail_supervisor" and entry.actor.startswith("system:")


def test_it_refuses_bad_accounts_with_exit_code_2(places: W.World) -> None:
    with pytest.raises(CommandError):  # argparse: exit 2 from the command line
        run("user", "add", "dave", "--role", "sheriff")
    for args in (["dave", "--role", "federal_officer", "--jurisdiction", W.OWN_FIPS],
                 ["dave", "--role", "jail_clerk"],
                 ["dave", "--role", "auditor", "--facility", W.OWN_FACILITY],
                 ["dave", "--role", "jail_clerk", "--facility", "NO-SUCH"]):
        with pytest.raises((CommandError, SystemExit)) as info:
            run("user", "add", *args)
        code = info.value.returncode if isinstance(info.value, CommandError) else info.value.code
        assert code == 2, args
    with pytest.raises(CommandError) as weak:
        run("user", "add", "dave", "--role", "auditor", "--password-stdin", stdin="short\n")
    assert weak.value.returncode == 2 and "12 characters" in str(weak.value)
    assert not Account.objects.exists()


def test_it_prints_a_token_once_and_lists_only_prefixes(places: W.World) -> None:
    run("user", "add", "jms", "--role", "jail_clerk", "--facility", W.OWN_FACILITY, "--json")
    created = run("token", "create", "--user", "jms", "--days", "30", "--json")
    assert created["token"].startswith("hnd_") and created["role"] == "jail_clerk"
    listed = run("token", "list", "--json")
    assert listed["tokens"][0]["prefix"] == created["prefix"] and created["token"] not in json.dumps(listed)
    run("token", "revoke", created["prefix"], "--json")
    assert ApiToken.objects.get(prefix=created["prefix"]).revoked_at is not None
    assert run("token", "list", "--json")["tokens"][0]["state"] == "revoked"


def test_it_revokes_tokens_when_an_account_is_disabled(places: W.World) -> None:
    run("user", "add", "jms", "--role", "jail_clerk", "--facility", W.OWN_FACILITY, "--json")
    run("token", "create", "--user", "jms", "--json")
    run("user", "disable", "jms", "--json")
    assert ApiToken.objects.get().revoked_at is not None
    with pytest.raises(CommandError):
        run("token", "create", "--user", "jms", "--json")


def test_it_exits_1_naming_the_bad_entry(places: W.World) -> None:
    from django.db import connection

    run("user", "add", "jms", "--role", "jail_clerk", "--facility", W.OWN_FACILITY, "--json")
    run("token", "create", "--user", "jms", "--json")
    assert run("audit", "verify", "--json")["ok"] is True
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET role = 'admin' WHERE seq = 1")
    err = StringIO()
    with pytest.raises(SystemExit) as info:
        call_command("audit", "verify", stdout=StringIO(), stderr=err)
    assert info.value.code == 1
    assert "entry #1" in err.getvalue() and "changed" in err.getvalue()
