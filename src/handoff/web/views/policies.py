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
from handoff.reports.lawmap import STANCE_LABELS, STANCES, national_view
from handoff.web.charts import stacked_bars
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


def hidden_policies(actor: Any, reg: Any = None) -> frozenset[str]:
    """County and city policies of a confidential place this viewer may not see. Why by the library's own
    place list and not only the assignments: a local policy's title names its place ("Dallas County"), so
    listing it would name a place whose cooperation is confidential (security finding M1)."""
    reg = reg if reg is not None else _registry()
    local = {d.id: d.jurisdictions for d in reg.policies.values() if d.level in ("county", "city")}
    fips = {f for places in local.values() for f in places}
    secret = {j.fips: j for j in Jurisdiction.objects.filter(confidential=True, fips__in=fips)}
    return frozenset(pid for pid, places in local.items()
                     if any(f in secret and not scoping.sees_jurisdiction(actor, secret[f]) for f in places))


def _places(actor: Any) -> dict[str, list[PlaceRow]]:
    """policy id -> the places it governs, as this viewer may see them."""
    out: dict[str, list[PlaceRow]] = {}
    for a in PolicyAssignment.objects.select_related("jurisdiction").order_by("jurisdiction__fips"):
        j: Jurisdiction = a.jurisdiction
        if not scoping.sees_jurisdiction(actor, j):
            # a policy's page names its place in its title: listing the label beside it maps the label to the
            # place for everyone (review M1). A place the viewer may not see is not listed at all.
            continue
        out.setdefault(a.policy_id, []).append(
            PlaceRow(scoping.label_jurisdiction(actor, j), scoping.jurisdiction_code(actor, j), j.kind, [])
        )
    return out


def _as_of(request: HttpRequest, today: date) -> tuple[date, str]:
    """The date the national view shows (?as_of=YYYY-MM-DD), or today with the reason a value was refused."""
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return today, ""
    try:
        return date.fromisoformat(raw), ""
    except ValueError:
        return today, f"as_of: {raw[:40]!r} is not a date (YYYY-MM-DD); showing today instead."


@require_http_methods(["GET", "HEAD"])
def policies(request: HttpRequest) -> HttpResponse:
    actor = actor_for_request(request)
    registry = _registry()
    today = clock.now().date()
    as_of, as_of_error = _as_of(request, today)
    places = _places(actor)
    hidden = hidden_policies(actor, registry)
    docs = sorted((d for d in registry.policies.values() if d.id not in hidden),
                  key=lambda d: (LEVEL_ORDER.get(d.level, 9), d.id))
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
    view = national_view(registry.policies.values(), hidden, as_of)
    trend = stacked_bars(
        [label for label, _ in view.trend],
        [(STANCE_LABELS[s], f"bar-stance-{s}", [counts[s] for _, counts in view.trend]) for s in STANCES],
        description="Places by stance on 1 January of each year and on the date shown: the 50 states and D.C., "
        "plus each county or city policy in force (confidential places only in pooled totals).",
    )
    return render(request, "web/policies.html", {
        "rows": rows, "today": today, "form": TryItForm(registry=registry, hidden=hidden),
        "nv": view, "trend": trend, "as_of": as_of, "as_of_error": as_of_error,
    }, status=400 if as_of_error else 200)


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
    if doc is None or policy_id in hidden_policies(actor, registry):
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
        "agreements": [
            {"agency": a.agency, "model": (a.model or "model not verified").replace("_", " "), "signed_on": a.signed_on,
             "ended_on": a.ended_on, "uncertain": a.uncertain, "note": a.note,
             "source": (doc.source(a.source).cite if doc.source(a.source) else a.source)}
            for a in doc.agreements_287g
        ],
        "today": today,
    })


@require_http_methods(["GET", "HEAD"])
def policy_try(request: HttpRequest) -> HttpResponse:
    """Evaluate a hypothetical case. GET, so a result can be bookmarked and shared; nothing is stored."""
    registry = _registry()
    form = TryItForm(request.GET or None, registry=registry,
                     hidden=hidden_policies(actor_for_request(request), registry))
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
