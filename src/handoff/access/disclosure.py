"""What a federal office may learn about a person in custody: it follows the current decision, on every
channel (security review C1; law review X1; issue 9 item 1).

Why one function for every channel: the API, the office pages, webhooks, e-mails, exports and the
acknowledgement page must give the same answer, and the answer is the law's, not the screen's. A federal
office learns a release date or time, custody status, release or court dates only where the current decision
lets the jail tell it: `notify` true and not awaiting a person's review. Everywhere else those fields are
absent and the reader is told "not disclosed" with the citation that forbids it.

Jail staff, county counsel, auditors and administrators see custody facts of the places in their scope: the
scoping layer already decides which places those are. The public and third parties (the person, the
attorney) read only what a letter says, and letters are built from the decision, not from this module.

The citation comes from the policy versions the decision consulted: a version's setting `disclosure_cite`
names the text that forbids sharing (e.g. Cal. Gov. Code 7284.6(a)(1)(C), (D)). Where no version names one,
the decision itself is cited ("decision #N: notify no").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handoff.access.actor import Actor
from handoff.access.models import Role

if TYPE_CHECKING:
    from handoff.requests.models import Decision, ImmigrationRequest

#: the words every channel uses where a custody fact is withheld
NOT_DISCLOSED = "not disclosed"


@dataclass(frozen=True)
class Disclosure:
    """Whether custody facts of one request may be shown to one reader, and if not, why."""

    allowed: bool
    reason: str = ""
    cite: str = ""

    @property
    def text(self) -> str:
        """"not disclosed: <reason> (<citation>)", the sentence every channel prints in place of the field."""
        if self.allowed:
            return ""
        return f"{NOT_DISCLOSED}: {self.reason}" + (f" ({self.cite})" if self.cite else "")

    def as_json(self) -> dict[str, Any]:
        return {"disclosed": self.allowed, "not_disclosed": self.text or None, "cite": self.cite or None}


ALLOWED = Disclosure(True)


def is_federal(actor: Actor) -> bool:
    """A reader on the federal side: its view of custody follows the decision."""
    return actor.role == Role.FEDERAL_OFFICER and not actor.internal


def policy_cite(decision: Decision) -> str:
    """The `disclosure_cite` of the most specific policy version the decision consulted, if any names one."""
    from handoff.policy.registry import registry

    reg = registry()
    cites: list[str] = []
    for entry in decision.policies or []:
        pid, _, _since = str(entry).partition("@")
        doc = reg.policies.get(pid)
        if doc is None:
            continue
        version = doc.version_at(decision.evaluated_at)
        cite = (version.settings.get("disclosure_cite") if version is not None else None) or ""
        if cite:
            cites.append(str(cite))
    return cites[-1] if cites else ""


def for_decision(decision: Decision | None) -> Disclosure:
    """What the decision lets the jail tell the federal office (the office's own reading, whoever carries it:
    a page, the API, a webhook, an e-mail)."""
    if decision is None:
        return Disclosure(False, "the jail has not decided this request yet", "")
    if decision.review:
        return Disclosure(False, "the decision awaits review by a person at the jail",
                          policy_cite(decision) or f"decision #{decision.pk}: review")
    if not decision.notify:
        return Disclosure(False, "the law governing this jail does not let it share custody status or release "
                                 "dates for this request",
                          policy_cite(decision) or f"decision #{decision.pk}: notify no")
    return ALLOWED


def for_request(actor: Actor, req: ImmigrationRequest) -> Disclosure:
    """May `actor` see the custody facts (release time, custody status, released at, charges, history,
    the booked person's name and date of birth) of `req`'s booking?"""
    if not is_federal(actor):
        return ALLOWED
    if req.withdrawn_at is not None:
        return Disclosure(False, "the request was withdrawn", "")
    decision = req.current_decision if req.current_decision_id else None
    return for_decision(decision)


def office_was_told(notice: Any) -> bool:
    """A notice the office was actually sent under a decision that let the jail tell it: its release time is
    the office's own record, and showing it back discloses nothing new."""
    if notice.sent_at is None or not notice.decision_id or notice.kind.startswith("letter."):
        return False
    return for_decision(notice.decision).allowed
