from django.apps import AppConfig


class IngestConfig(AppConfig):
    """Reading jail and federal exports: the runner, the readers, the column mappings and the handlers that
    hand each batch to the flow (casework). Why its own app: `handoff ingest` reads five kinds of record,
    only three of them custody's, and a handler must call the flow, which custody may not."""

    name = "handoff.ingest"
    label = "ingest"
