"""Pages of the evidence app. Each name has a rule in handoff.evidence.permissions."""

from django.urls import path

from handoff.evidence import views

app_name = "evidence"

urlpatterns = [
    path("requests/<str:request_id>/outcome/record", views.record_outcome, name="record_outcome"),
    path("counsel/whatif", views.whatif, name="whatif"),
]
