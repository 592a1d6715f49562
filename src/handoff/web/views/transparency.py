"""/transparency, its CSV and Parquet downloads and its codebook: the public pages, no log-on.

Every number comes from handoff.reports.public, one protected publication; this module only lays it out
(chart + table alternative, per-year tables, downloads) and never computes a figure of its own, so the page,
the CSV and the Parquet file cannot disagree and none prints what the disclosure audit did not pass. A
confidential jurisdiction is never named: the publication pools or leaves them out before any figure reaches
here, and the pooled row carries no policy, reason text or citation (review H3).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from io import BytesIO, StringIO
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from handoff.core import clock
from handoff.reports.codebook import CODEBOOK, codebook_rows
from handoff.reports.lawmap import StanceTally, places_by_stance
from handoff.reports.public import (
    ALL,
    LAST12,
    MONTHLY_MEASURES,
    OVER_DETAINED,
    PublicData,
    iter_years_table,
    public_data,
    row_labels,
)
from handoff.web.charts import stacked_bars


@dataclass(frozen=True)
class LawInfo:
    days_since_change: int | None
    change: Any
    policies: tuple[str, ...]


def _law(data: PublicData) -> tuple[dict[str, LawInfo], Any, int | None]:
    """Per named row, the policies governing it and the last change of the law in force (never for the pool)."""
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.jurisdictions.services import chains_for
    from handoff.reports.services import _policy_change

    today = data.generated_at.date()
    places = list(Jurisdiction.objects.filter(fips__in=[r.fips for r in data.rows if not r.pooled]))
    chains = chains_for(places)
    out: dict[str, LawInfo] = {}
    for j in places:
        changed, ids = _policy_change(chains.get(j.pk, []), today)
        out[j.fips] = LawInfo((today - changed.on).days if changed else None, changed, ids)
    changes = [i.change for i in out.values() if i.change is not None]
    last = max(changes, key=lambda c: c.on, default=None)
    return out, last, ((today - last.on).days if last else None)


def _charts(data: PublicData) -> dict[str, Any]:
    months = [m.strftime("%b %Y") for m in data.last12]
    keys = [m.strftime("%Y-%m") for m in data.last12]
    notices = [("notices on time", "bar-ontime", "notices_on_time"), ("notices short", "bar-short", "notices_short"),
               ("notices missed", "bar-missed", "notices_missed")]
    return {
        "received": stacked_bars(
            months, [("requests received", "bar-received", [data.get("received", ALL, k) for k in keys])],
            description="Requests received per month, all published jurisdictions. A month whose figure is "
            "hidden to protect small counts is labelled hidden and has no bar.",
        ),
        "notices": stacked_bars(
            months,
            [(name, css, [data.get(key, ALL, k) for k in keys]) for name, css, key in notices],
            description="Release notices per month: on time, short and missed, stacked. A month with a hidden "
            "figure is labelled hidden.",
        ),
    }


def _stances(request: HttpRequest, data: PublicData) -> StanceTally:
    """Places by stance today and a year ago, from the library's history (`reports.lawmap.places_by_stance`,
    the count /policies draws over time). A confidential place's local policy is counted only in the pool of
    three or more, as on /policies; this page is public, so the viewer is whoever asks."""
    from handoff.access.actor import actor_for_request
    from handoff.policy.registry import registry
    from handoff.web.views.policies import hidden_policies

    reg = registry()
    hidden = hidden_policies(actor_for_request(request), reg)
    return places_by_stance(reg.policies.values(), hidden, data.generated_at.date())


@require_http_methods(["GET", "HEAD"])
def transparency(request: HttpRequest) -> HttpResponse:
    data = public_data()
    law, last_change, days_since_change = _law(data)
    stances = _stances(request, data)
    measures = [(key, label, data.monthly_table(key)) for key, label in MONTHLY_MEASURES]
    years = [str(y) for y in data.years]
    return render(request, "web/transparency.html", {
        "data": data, "measures": measures, "charts": _charts(data), "row_labels": row_labels(data),
        "law": law, "last_change": last_change, "days_since_change": days_since_change, "stances": stances,
        "received_12": data.get("received", ALL, LAST12), "missed_12": data.get("notices_missed", ALL, LAST12),
        "years": years,
        "declined_rows": list(iter_years_table(data, "declined")),
        "declined_totals": [data.get("declined", ALL, y) for y in years],
        "outcome_rows": list(iter_years_table(data, "outcome")),
        "outcome_totals": [(data.labels.get(("outcome", k), k), [data.get("outcome", ALL, y, k) for y in years])
                           for k in data.categories.get("outcome", [])],
        "over_rows": list(iter_years_table(data, OVER_DETAINED)),
        "over_totals": [data.get(OVER_DETAINED, ALL, y) for y in years],
        "first_month": data.months[0],
    })


def _stamp() -> str:
    return clock.now().strftime("%Y%m%d")


@require_http_methods(["GET", "HEAD"])
def transparency_csv(request: HttpRequest) -> HttpResponse:
    rows = public_data().long_rows()
    buf = StringIO()
    columns = [c.name for c in CODEBOOK]
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "value": "" if row["value"] is None else row["value"],
                         "pooled": "yes" if row["pooled"] else "no",
                         "suppressed": "yes" if row["suppressed"] else "no"})
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="handoff-transparency-{_stamp()}.csv"'
    return response


@require_http_methods(["GET", "HEAD"])
def transparency_parquet(request: HttpRequest) -> HttpResponse:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = public_data().long_rows()
    schema = pa.schema([pa.field(c.name, c.arrow_type(), nullable=c.nullable,
                                 metadata={"description": c.meaning}) for c in CODEBOOK],
                       metadata={"codebook": "/transparency/codebook", "source": "Handoff /transparency"})
    table = pa.Table.from_pylist([{c.name: row[c.name] for c in CODEBOOK} for row in rows], schema=schema)
    out = BytesIO()
    pq.write_table(table, out)
    response = HttpResponse(out.getvalue(), content_type="application/vnd.apache.parquet")
    response["Content-Disposition"] = f'attachment; filename="handoff-transparency-{_stamp()}.parquet"'
    return response


@require_http_methods(["GET", "HEAD"])
def transparency_codebook(request: HttpRequest) -> HttpResponse:
    data = public_data()
    return render(request, "web/transparency_codebook.html", {
        "columns": CODEBOOK, "threshold": data.threshold, "min_width": int(data.min_width),
        "today": date.today(),
    })


@require_http_methods(["GET", "HEAD"])
def transparency_codebook_csv(request: HttpRequest) -> HttpResponse:
    buf = StringIO()
    csv.writer(buf).writerows(codebook_rows())
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="handoff-transparency-codebook.csv"'
    return response
