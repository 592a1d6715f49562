"""Every URL of the product. Each one must have a rule in access.permissions (a test checks)."""

from django.contrib import admin
from django.urls import include, path

from handoff.ops import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("handoff.api.urls")),
    path("", include("handoff.access.urls")),
    path("", include("handoff.notices.urls")),
    path("", include("handoff.web.urls")),
    path("", include("handoff.evidence.urls")),
]
