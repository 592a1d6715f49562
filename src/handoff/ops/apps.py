from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "handoff.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Why a registration and not an import in the worker: the notice worker sits below the flow, so it
        # cannot import the daily re-check; the composition root hands its jobs down instead.
        from handoff.notices import worker
        from handoff.ops import jobs

        worker.register_daily(jobs.recheck_decisions)
        worker.register_daily(jobs.optimize_database)
        worker.register_daily(jobs.fire_alarms)
        worker.register_daily(jobs.witness_audit_head)
