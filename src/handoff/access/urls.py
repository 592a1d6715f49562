"""Log-on pages. Every name here has a rule in access.permissions.URL_RULES."""

from django.urls import path

from handoff.access import views

app_name = "access"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("login/enrol/", views.enrol_view, name="enrol"),
    path("login/locked/", views.locked_view, name="locked"),
    path("logout/", views.logout_view, name="logout"),
    path("audit/", views.audit_log_view, name="audit_log"),
    path("audit/export", views.audit_export_view, name="audit_export"),
]
