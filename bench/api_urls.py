"""URLs for bench/api.py only: the product's URLs plus a bare copy of `GET /requests/{request_id}` without
authentication, scoping or audit (the baseline the real route is compared with). Never imported by the
product."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.urls import include, path
from ninja import NinjaAPI

from handoff.access.actor import SYSTEM
from handoff.api import present
from handoff.api.schemas import RequestOut
from handoff.notices.models import Notice
from handoff.requests.models import ImmigrationRequest

bare = NinjaAPI(urls_namespace="bench-bare", docs_url=None, openapi_url=None, title="bench", version="bare")


@bare.get("/requests/{request_id}", response=RequestOut, auth=None)
def bare_request(request: HttpRequest, request_id: str) -> dict[str, Any]:
    """The same work as the real route minus the token, the role check, scoping and the audit entry; in a
    transaction like every API call (house rule), which for a read writes nothing and syncs nothing."""
    with transaction.atomic():
        req = ImmigrationRequest.objects.select_related(
            "facility", "facility__jurisdiction", "facility__city", "office", "booking", "current_decision"
        ).get(request_id=request_id)
        notices = list(Notice.objects.filter(request_id=req.pk).select_related("office", "booking").order_by("pk"))
        return present.request(SYSTEM, req, notices)


urlpatterns = [
    path("bare/", bare.urls),
    path("", include("handoff.urls")),
]
