from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "handoff.casework"
    label = "casework"
