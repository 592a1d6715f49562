"""The linkage review list: pairs of people whose match weight fell in the review band, for jail staff to
confirm (one human) or reject (two), with a reason; every read and decision audited by the linkage services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from handoff.core.errors import InvalidInput, NotFound
from handoff.linkage import services as linkage
from handoff.web.views.common import actor


@require_http_methods(["GET", "HEAD", "POST"])
def people_review(request: HttpRequest) -> HttpResponse:
    who = actor(request)
    status = 200
    if request.method == "POST":
        pair, decision = request.POST.get("pair", ""), request.POST.get("decision", "")
        if not pair.isdigit() or decision not in ("confirm", "reject"):
            messages.error(request, "Choose a pair and whether the two are the same person.")
            status = 400
        else:
            try:
                done = linkage.decide(who, int(pair), confirm=decision == "confirm",
                                      reason=request.POST.get("reason", ""))
            except NotFound:
                messages.error(request, f"Pair {pair} was not found.")
                status = 404
            except InvalidInput as exc:
                messages.error(request, str(exc))
                status = 400
            else:
                word = "the same person" if done.status == "confirmed" else "different people"
                messages.success(request, f"Pair {done.pk} recorded as {word}; it takes effect at the next link run.")
                return redirect("web:people_review")
    return render(request, "web/people_review.html", {"pairs": linkage.review_list(who),
                                                      "can_decide": who.has_role("jail_clerk", "jail_supervisor",
                                                                                 "admin")}, status=status)
