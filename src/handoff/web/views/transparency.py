"""/transparency: the public page, no log-on. Figures come from reports.services, already protected by
disclosure control; this view only lays them out (chart + table alternative) and never names a confidential
jurisdiction (the report pools or leaves them out before any figure reaches here)."""

from __future__ import annotations

import csv
from io import StringIO
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from handoff.reports.services import TransparencyReport, build_report, report_csv_rows
from handoff.web.charts import stacked_bars


def _charts(report: TransparencyReport) -> dict[str, Any]:
    months = [m.strftime("%b %Y") for m in report.months]
    rec = report.tables["received"]
    notices = [("notices on time", "bar-ontime", "on_time"), ("notices short", "bar-short", "short"),
               ("notices missed", "bar-missed", "missed")]
    return {
        "received": stacked_bars(
            months, [("requests received", "bar-received", [rec.col_totals[m] for m in report.months])],
            description="Requests received per month, all published jurisdictions. A month whose figure is "
            "hidden to protect small counts is labelled hidden and has no bar.",
        ),
        "notices": stacked_bars(
            months,
            [(name, css, [report.tables[key].col_totals[m] for m in report.months]) for name, css, key in notices],
            description="Release notices per month: on time, short and missed, stacked. A month with a hidden "
            "figure is labelled hidden.",
        ),
    }


@require_http_methods(["GET", "HEAD"])
def transparency(request: HttpRequest) -> HttpResponse:
    report = build_report()
    measures = [(key, report.measure_label(key), report.tables[key]) for key in report.tables]
    return render(request, "web/transparency.html", {
        "report": report, "measures": measures, "charts": _charts(report),
        "row_labels": {r.key: r.label for r in report.rows},
    })


@require_http_methods(["GET", "HEAD"])
def transparency_csv(request: HttpRequest) -> HttpResponse:
    report = build_report()
    buf = StringIO()
    csv.writer(buf).writerows(report_csv_rows(report))
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="handoff-transparency.csv"'
    return response
