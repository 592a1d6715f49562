"""The composition law: how the answers of the policies along a chain (general -> specific) combine.

Why its own module: the law (COMPOSITION.md) is what counsel reads and argues about; the engine's speed-up
layer (memo, decomposition, layouts) is what a benchmark justifies. Kept apart, each can be read without the
other. The engine calls `compose` once per policy version it consulted, in chain order, then `withdraw` and
`no_policy_in_force` (when no state-level version is in force).

- notify / hold / transfer: the most specific policy decides, but a county or city may not loosen a state
  prohibition nor restrict a state mandate (the value stays, with a "composition" reason) - the state's stance
  is that of its version in force on the evaluation date;
- individual_notice, attorney_notice, review: any policy that sets them sets them (OR);
- lead_time_hours, calendar, answer_declined: the most specific policy that sets them, except that a county
  or city may not switch off a state prohibition's duty to answer declined requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from handoff.core.vocab import HOLD_VALUES, TRANSFER_VALUES
from handoff.policy.documents import PolicyDocument
from handoff.policy.facts import Reason

BASE_OUTCOME: dict[str, Any] = {
    "notify": False,
    "hold": "prohibited",
    "transfer": "prohibited",
    "individual_notice": False,
    "attorney_notice": False,
    "review": False,
    "lead_time_hours": 48,
    "calendar": "clock",
    "answer_declined": False,
}
# How much cooperation each value means (higher = more); the vocab lists run from least to most.
COOPERATION: dict[str, dict[Any, int]] = {
    "notify": {False: 0, True: 1},
    "hold": {value: rank for rank, value in enumerate(HOLD_VALUES)},
    "transfer": {value: rank for rank, value in enumerate(TRANSFER_VALUES)},
}
OR_FIELDS = ("individual_notice", "attorney_notice", "review")
SPECIFIC_FIELDS = ("lead_time_hours", "calendar", "answer_declined")
_FIELD_KIND = {"notify": 0, "hold": 0, "transfer": 0, **dict.fromkeys(OR_FIELDS, 1), **dict.fromkeys(SPECIFIC_FIELDS, 2)}
ENGINE = "*"  # the `policy` of reasons the engine itself gives (withdrawal, composition bookkeeping)

_WITHDRAWN = Reason(ENGINE, "request-withdrawn", "Withdrawal by the issuing DHS office", True,
                    "The request was withdrawn: nothing may be sent, held or transferred on it.")


def source_of(doc: PolicyDocument) -> str:
    return doc.versions[-1].source if doc.versions else doc.title


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True, slots=True)
class Regime:
    """The state law the policies below it answer to: the state's document and the stance of its version in
    force on the evaluation date (a state that changed sides composes differently before and after)."""

    doc: PolicyDocument
    stance: str  # prohibition | mandate


_REGIMES: dict[tuple[int, str], Regime] = {}


def compose(composed: dict[str, Any], decided: dict[str, Any], doc: PolicyDocument, regime: Regime | None,
            reasons: list[Reason]) -> None:
    """Fold one policy's answer (`decided`) into the answer so far (`composed`, changed in place). `regime`
    is the nearest state prohibition or mandate above `doc` in the chain (None if there is none)."""
    clamp = regime if doc.level in ("county", "city") else None
    if clamp is None:  # no state regime above a local policy: the most specific decides, duties are OR-ed
        for name, wanted in decided.items():
            if _FIELD_KIND[name] == 1:
                if wanted:
                    composed[name] = True
            else:
                composed[name] = wanted
        return
    clamp_by = clamp.doc
    stance = clamp.stance
    for name, wanted in decided.items():
        kind = _FIELD_KIND[name]
        if kind == 0:  # notify / hold / transfer: the most specific decides, within the state regime
            current = composed[name]
            order = COOPERATION[name]
            if (stance == "prohibition" and order[wanted] > order[current]) or (
                stance == "mandate" and order[wanted] < order[current]
            ):
                verb = "loosen" if stance == "prohibition" else "restrict"
                reasons.append(Reason(
                    doc.id, "composition", clamp_by.composition_cite or source_of(clamp_by), True,
                    f"{doc.title} would set {name}={_show(wanted)}, but a {doc.level} may not {verb} "
                    f"{clamp_by.title} ({stance}): {name} stays {_show(current)}.",
                ))
                continue
            composed[name] = wanted
        elif kind == 1:  # protective duties and review: OR
            if wanted:
                composed[name] = True
        else:  # lead time, calendar, answer_declined: the most specific that sets them
            if name == "answer_declined" and not wanted and composed[name] and stance == "prohibition":
                # A state's duty to answer and document a declined request (e.g. ORS 181A.826)
                # is part of its prohibition: a county cannot switch it off.
                reasons.append(Reason(
                    doc.id, "composition", clamp_by.composition_cite or source_of(clamp_by), True,
                    f"{doc.title} would not answer declined requests, but a {doc.level} may not loosen "
                    f"{clamp_by.title} (prohibition): declined requests are still answered.",
                ))
                continue
            composed[name] = wanted


def regime_after(doc: PolicyDocument, regime: Regime | None, version_stance: str | None = None) -> Regime | None:
    """The state regime the policies below `doc` answer to. `version_stance`: the stance of `doc`'s version in
    force (the document's own stance only for a legacy file whose versions name none)."""
    if doc.level != "state":
        return regime
    stance = version_stance or doc.stance
    if stance not in ("prohibition", "mandate"):
        return regime
    key = (id(doc), stance)
    hit = _REGIMES.get(key)
    if hit is None or hit.doc is not doc:
        hit = _REGIMES[key] = Regime(doc, stance)
    return hit


def withdraw(composed: dict[str, Any], reasons: list[Reason]) -> None:
    """A withdrawn request: nothing may be sent, held or transferred on it."""
    composed.update(notify=False, hold="prohibited", transfer="prohibited", individual_notice=False,
                    attorney_notice=False, review=False)
    reasons.append(_WITHDRAWN)


# 287(g) models that put designated jail officers in the position to serve an I-200/I-205 and make the arrest.
JAIL_MODELS_287G = ("jail_enforcement", "warrant_service_officer")
AUTHORITY_RULE_SUFFIX = "-hold-authority-unsettled"  # the states' "no state arrest authority found" rules
CITE_287G = "INA 287(g), 8 U.S.C. 1357(g)(1)-(3)"


def agreements_in_force(docs: Sequence[PolicyDocument], day: date) -> list[tuple[PolicyDocument, Any]]:
    """The jail's own 287(g) agreements (county or city policies of the chain) of a jail model whose record
    says they may be in force on `day` (in force, or signing date unknown and not known to have ended)."""
    return [(doc, a) for doc in docs if doc.level in ("county", "city") for a in doc.agreements_287g
            if a.model in JAIL_MODELS_287G and a.in_force(day) is not False]


def apply_287g(composed: dict[str, Any], reasons: list[Reason], found: list[tuple[PolicyDocument, Any]],
               day: date, detainer_with_warrant: bool, review_only_for_authority: bool) -> None:
    """Composition reads the jail's 287(g) agreements (law review X9; issue 9 item 6).

    Every agreement that may be in force is named among the reasons with its source. Where one is certainly in
    force (dated, not marked uncertain) and the detainer carries a signed I-200/I-205 with a stated basis, the
    arrest authority that a state with no statute leaves unsettled (the `<st>-hold-authority-unsettled` rules,
    law review X2: a hold is permitted "only where state law gives arrest authority, or under 287(g)") comes
    from the agreement: if the hold is permitted and that question was the only reason for review, the review
    is answered. Nothing else changes: an agreement never turns a prohibited hold into a permitted one."""
    settled = None
    for doc, a in found:
        src = doc.source(a.source)
        cite = f"{CITE_287G}; {src.cite if src is not None else a.source}"
        certain = a.in_force(day) is True and not a.uncertain
        since = a.signed_on.isoformat() if a.signed_on else "an unknown date"
        detail = (f"{a.agency}: 287(g) {str(a.model).replace('_', ' ')} agreement since {since}"
                  + ("" if certain else f" (record uncertain: {a.note or 'dates not verified'}; a person checks)"))
        reasons.append(Reason(doc.id, "287g-agreement", cite, True, detail, not certain))
        if certain and settled is None:
            settled = (doc, a, cite)
    if (settled is not None and detainer_with_warrant and review_only_for_authority and composed["review"]
            and composed["hold"] == "permitted"):
        doc, a, cite = settled
        composed["review"] = False
        reasons.append(Reason(doc.id, "287g-arrest-authority", cite, True,
                              f"The hold rests on federal authority delegated to {a.agency}'s designated officers "
                              "(287(g) agreement in force), not on state arrest authority: no review is needed "
                              "for that question."))


NO_POLICY = "no policy on file for this place and date"
NO_POLICY_CITE = "8 CFR 287.7(a) (a detainer is a request); Galarza v. Szalczyk, 745 F.3d 634 (3d Cir. 2014)"


def no_policy_in_force(composed: dict[str, Any], reasons: list[Reason], chain: Sequence[str], day: date) -> None:
    """No state-level version is in force for this place on this day (no state policy in the chain, a date
    before the state's first encoded version, a territory): a person must decide, and nothing is permitted
    meanwhile. Why not the federal baseline: a detainer is only a request (8 CFR 287.7(a)); holding on it is
    a new arrest that needs arrest authority under state law (Galarza, Lunn, Wells v. DeMarco), so where
    Handoff holds no state law it cannot say a hold, a notice or a hand-over is permitted (issue 10 item 3,
    law review X2). Protective duties (notice to the person or attorney) that a policy set are kept."""
    composed.update(notify=False, hold="prohibited", transfer="prohibited", review=True)
    # `chain` and `day` stay out of the text: a decision must not change only because the date did.
    del chain, day
    reasons.append(Reason(ENGINE, "no-policy", NO_POLICY_CITE, True, NO_POLICY, True))
