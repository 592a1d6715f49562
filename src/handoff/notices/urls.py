"""Pages of the notices app. Each name has a rule in handoff.access.permissions."""

from django.urls import path

from handoff.notices import views

app_name = "notices"

urlpatterns = [
    path("notices/ack/<str:token>", views.ack_link, name="ack"),
]
