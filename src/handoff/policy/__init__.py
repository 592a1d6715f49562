"""Law as code: cited, dated policy documents evaluated into decisions (pure Python, no Django).

The public surface, in full:

    from handoff.policy.engine import load_library, Registry, UnknownPolicy
    from handoff.policy.facts import Facts, Request, Warrant, Booking, Charge, Conviction, Registrant, \
        Federal, Person, Decision, Reason, FactsError
    from handoff.policy.documents import PolicyError          # .problems: [Problem(file, line, message)]
    from handoff.policy.scenarios import run_file             # scenario files (INTERFACES.md)

    registry = load_library()                                  # the shipped library/, loaded once per process
    registry.policies["us-ca"]                                 # .id .title .level .jurisdictions .stance .versions
    registry.version_at("us-ca", at)                           # the Version in force, or None
    decision = registry.evaluate(facts, at, ["us-federal", "us-ca"])
    decision.to_dict() / decision.to_json() / Decision.from_dict(stored)

`at` is a timezone-aware datetime in the facility's zone (its calendar date picks versions and anchors the
lookbacks) or a date. How policies combine along the chain: COMPOSITION.md. The document format and the CEL
variables a rule may read: /work/notes/policy-spec.md. Lead times and hold ends: handoff.core.calendar.
"""
