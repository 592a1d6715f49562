"""Law as code: cited, dated policy documents evaluated into decisions (pure Python, no Django).

The public surface is `__all__` below:

    from handoff.policy import registry, Facts
    reg = registry()                                  # the library this process decides with (policy.registry)
    reg.policies["us-ca"]                             # .id .title .level .jurisdictions .stance .versions
    reg.version_at("us-ca", at)                       # the Version in force, or None
    decision = reg.evaluate(facts, at, ["us-federal", "us-ca"])
    decision.to_dict() / decision.to_json() / Decision.from_dict(stored)

`at` is a timezone-aware datetime in the facility's zone (its calendar date picks versions and anchors the
lookbacks) or a date. How policies combine along the chain: COMPOSITION.md and policy/composition.py. The
document format and the CEL variables a rule may read: policy/documents.py and the README's "Policies"
section. Lead times and hold ends: handoff.core.calendar.
"""

from handoff.policy.documents import PolicyError
from handoff.policy.engine import Registry, UnknownPolicy, clear_cache, load_library
from handoff.policy.facts import (
    Booking,
    Charge,
    Conviction,
    Decision,
    Facts,
    FactsError,
    Federal,
    Person,
    Reason,
    Registrant,
    Request,
    Warrant,
)
from handoff.policy.registry import registry, use_registry
from handoff.policy.scenarios import run_file

__all__ = [
    "Booking", "Charge", "Conviction", "Decision", "Facts", "FactsError", "Federal", "Person", "PolicyError",
    "Reason", "Registrant", "Registry", "Request", "UnknownPolicy", "Warrant", "clear_cache", "load_library",
    "registry", "run_file", "use_registry",
]
