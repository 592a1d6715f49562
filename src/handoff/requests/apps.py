from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "handoff.requests"
    label = "requests"
    default_auto_field = "django.db.models.BigAutoField"
