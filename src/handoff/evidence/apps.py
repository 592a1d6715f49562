from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "handoff.evidence"
    label = "evidence"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from handoff.evidence.cli import register

        register()
