from django.apps import AppConfig


class CustodyConfig(AppConfig):
    name = "handoff.custody"
    label = "custody"
    default_auto_field = "django.db.models.BigAutoField"
