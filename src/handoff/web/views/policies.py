"""The law in force, readable by anyone: each policy with its citations and version history, which
jurisdictions it governs, and a "try it" form that evaluates a hypothetical case.

Why public: the law is public. Confidential cooperation is about a place's practice, so a confidential
jurisdiction is named here only to those who may see its name (access.scoping labels it for everyone else).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from handoff.access import scoping
from handoff.access.actor import actor_for_request
from handoff.core import clock
from handoff.jurisdictions.models import Jurisdiction, PolicyAssignment
from handoff.policy.facts import FactsError
from handoff.policy.registry import registry
from handoff.web.forms import TryItForm

LEVEL_ORDER = {"federal": 0, "state": 1, "county": 2, "city": 3}
STANCE_WORDS = {
    "baseline": "Baseline: the federal request as written, where no law limits cooperation",
    "prohibition": "Limits cooperation: counties below may not loosen it",
    "mandate": "Requires cooperation: counties below may not restrict it",
    "conditional": "Conditional: cooperation depends on the person's record and the request",
}


def _registry() -> Any:

    return registry()


@dataclass
class PlaceRow:
    label: str
    code: str
    kind: str
    policies: list[str]


def _places(actor: Any) -> dict[str, list[PlaceRow]]:
    """policy id -> the places it governs, as this viewer may see them."""
    out: dict[str, list[PlaceRow]] = {}
    for a in PolicyAssignment.objects.select_related("jurisdiction").order_by("jurisdiction__fips"):
        j: Jurisdiction = a.jurisdiction
        out.setdefault(a.policy_id, []).append(
            PlaceRow(scoping.label_jurisdiction(actor, j), scoping.jurisdiction_code(actor, j), j.kind, [])
        )
    return out


@require_http_methods(["GET", "HEAD"])
def policies(request: HttpRequest) -> HttpResponse:
    actor = actor_for_request(request)
    registry = _registry()
    today = clock.now().date()
    places = _places(actor)
    docs = sorted(registry.policies.values(), key=lambda d: (LEVEL_ORDER.get(d.level, 9), d.id))
    rows = []
    for doc in docs:
        version = doc.version_at(today)
        rows.append({
            "doc": doc,
            "version": version,
            "stance": STANCE_WORDS.get(doc.stance, doc.stance),
            "places": places.get(doc.id, []),
            "uncertain": sum(1 for v in doc.versions for r in v.rules if r.uncertain),
        })
    return render(request, "web/policies.html", {"rows": rows, "today": today, "form": TryItForm(registry=registry)})


def version_summary(version: Any) -> dict[str, Any]:
    return {
        "version": version,
        "defaults": dict(version.defaults),
        "settings": dict(version.settings),
    }


@require_http_methods(["GET", "HEAD"])
def policy_detail(request: HttpRequest, policy_id: str) -> HttpResponse:
    actor = actor_for_request(request)
    registry = _registry()
    doc = registry.policies.get(policy_id)
    if doc is None:
        raise Http404("no such policy")
    today = clock.now().date()
    current = doc.version_at(today)
    versions = sorted(doc.versions, key=lambda v: v.effective_from, reverse=True)
    return render(request, "web/policy_detail.html", {
        "doc": doc,
        "stance": STANCE_WORDS.get(doc.stance, doc.stance),
        "current": current,
        "versions": [
            {**version_summary(v), "in_force": v is current, "future": v.effective_from > today} for v in versions
        ],
        "places": _places(actor).get(doc.id, []),
        "today": today,
    })


@require_http_methods(["GET", "HEAD"])
def policy_try(request: HttpRequest) -> HttpResponse:
    """Evaluate a hypothetical case. GET, so a result can be bookmarked and shared; nothing is stored."""
    registry = _registry()
    form = TryItForm(request.GET or None, registry=registry)
    result = None
    error = ""
    if form.is_bound and form.is_valid():

        try:
            facts, chain, as_of = form.facts_and_chain()
            result = registry.evaluate(facts, as_of, chain)
        except (FactsError, ValueError, KeyError) as exc:
            error = str(exc)
    return render(request, "web/policy_try.html", {
        "form": form, "result": result, "error": error, "today": clock.now().date(),
    })


def as_of_default() -> date:
    return clock.now().date()
