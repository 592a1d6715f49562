from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "handoff.linkage"
    label = "linkage"
    verbose_name = "Linkage of people across jails"
    default_auto_field = "django.db.models.BigAutoField"
