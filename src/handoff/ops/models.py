"""Bookkeeping for periodic jobs shared by every worker process."""

from __future__ import annotations

from django.db import models


class DailyJob(models.Model):
    """One row per daily job. Why a row: several worker processes run housekeeping; a compare-and-set on
    `last_run_on` lets exactly one of them run the job each day, on SQLite and PostgreSQL alike."""

    name = models.CharField(max_length=60, unique=True)
    last_run_on = models.DateField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "core_dailyjob"  # the table core created before the model moved here; no data moves

    def __str__(self) -> str:
        return f"{self.name} (last run {self.last_run_on})"
