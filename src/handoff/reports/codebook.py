"""The codebook of the public data set (/transparency.csv and /transparency.parquet): each column, its type,
its meaning and the suppression rule, published as a page and as a file, as the Deportation Data Project
does for its releases. One list drives the CSV header, the Parquet schema, the page and the file, so they
cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handoff.reports.audit import MIN_WIDTH, THRESHOLD
from handoff.reports.public import DECLINE_CATEGORIES, MIN_POOL, MIN_POOL_CASES

SUPPRESSION_RULE = (
    f"Counts from 1 to {THRESHOLD} are never published; further figures are hidden (complementary "
    f"suppression) until a linear program over every published figure together (this file, the page and its "
    f"totals) shows that each hidden figure could lie anywhere in an interval at least {int(MIN_WIDTH)} wide. "
    "Zeros are published. Whether a figure was hidden as small or to protect another is not published. "
    f"Jurisdictions whose cooperation is confidential are pooled into one row only when at least {MIN_POOL} of "
    f"them have requests on record and together at least {MIN_POOL_CASES}; otherwise they are left out of "
    "every figure and every total."
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as a reader sees it
    meaning: str
    values: str = ""
    nullable: bool = False

    def arrow_type(self) -> Any:
        import pyarrow as pa

        return {"string": pa.string(), "integer": pa.int64(), "boolean": pa.bool_()}[self.type]


CODEBOOK: tuple[Column, ...] = (
    Column("jurisdiction", "string", "The place the figure is about, by name; 'All published jurisdictions' for "
           "a total over every row published; the pooled row's label for confidential places."),
    Column("row_key", "string", "A stable key for the row: the county FIPS code, 'confidential-pool' or 'all'."),
    Column("fips", "string", "Five-digit county FIPS code (Census), for joining with other data. Empty for the "
           "pooled row and for totals: naming the pool's counties would identify them."),
    Column("state", "string", "Two-letter USPS state code of the county. Empty for the pooled row and totals."),
    Column("state_fips", "string", "Two-digit state FIPS code. Empty for the pooled row and totals."),
    Column("pooled", "boolean", "True for the row pooling the jurisdictions whose cooperation is confidential."),
    Column("period", "string", "The period: YYYY-MM (a month), YYYY (a calendar year), 'last-12-months' (the "
           "twelve months shown on the page, ending with the current month) or 'all' (from the first record "
           "on). Months and years are in UTC."),
    Column("period_type", "string", "month, year, last_12_months or all_time."),
    Column("measure", "string", "What is counted.",
           "received: immigration requests received (detainers, notification and transfer requests), by "
           "the month they arrived; notices_on_time / notices_short / notices_missed: release notices to the "
           "federal office sent at least the lead time before release, sent late, or not sent before the "
           "release happened, by the month of the release; declined: requests the governing law required "
           "the jail to decline, by year received and reason; outcome: requests by their one outcome (recorded by "
           "staff, the API, an import or the system, else derived from the record; requests made from a jail "
           "export's own record of an ICE hold included, once: not when the federal request for the same booking "
           "is on file, nor once a later export says there was no hold), by year received; over_detained: releases "
           "recorded after the end of the hold the law allowed (Form I-247A: at most 48 hours past release), one "
           "per booking, by year of release; released / rebooked (row 'all' only): people released to the community at least "
           "365 days before, by release year and the request at release (category), and how many of them were "
           "booked again in any jail using Handoff within 365 days (BJS cohort and event)."),
    Column("category", "string", "For declined: the reason key (a named place: 'policy:rule' of the law that "
           "declined; the pooled row: one of " + ", ".join(DECLINE_CATEGORIES) + "); for outcome: the outcome "
           "key (transferred_to_ice, released_ice_not_present, released_before_notice, detainer_cancelled, "
           "withdrawn, transferred_other, still_in_custody); for released / rebooked: no_request, request_declined, request_notified_released or historical_hold (an ICE hold known only from the jail's own export, never decided). Empty for a total."),
    Column("category_label", "string", "The category in words."),
    Column("citation", "string", "For a named place's decline reason: the legal source. Never given for the "
           "pooled row."),
    Column("value", "integer", "The count. Empty (null) when suppressed.", nullable=True),
    Column("suppressed", "boolean", "True when the count is withheld: " + SUPPRESSION_RULE),
)


def codebook_rows() -> list[list[str]]:
    rows = [["column", "type", "meaning", "values"]]
    rows += [[c.name, c.type + (" (nullable)" if c.nullable else ""), c.meaning, c.values] for c in CODEBOOK]
    rows.append(["(rule)", "", SUPPRESSION_RULE, ""])
    return rows
