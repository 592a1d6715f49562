"""Tables reflow on a phone (issue 12 item 5): every table on a page is a USWDS stacked table, and every cell of
a table with column headers carries the column's name (data-label), which the design system shows above the
value once the columns no longer fit.

Why: on a 390 px phone the journalist's and the clerk's tables ran off the right edge, and a stacked cell
without its label is a bare number with nothing to say which year or candidate it belongs to (the
transparency page's per-year cells had an empty label, users-b note 2026-12-05).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.web.conftest import login
from tests.web.world import World

SRC = Path(__file__).resolve().parents[2] / "src" / "handoff"
#: not pages: e-mail bodies (mail readers ignore the design system) and the standalone printed filing
NOT_PAGES = {"notices/templates/notices/email/notice.html", "reports/templates/reports/filing.html"}
_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_CELL = re.compile(r"<(td|th)\b[^>]*>", re.S)


def _page_tables() -> list[tuple[str, str]]:
    out = []
    for path in sorted(SRC.rglob("templates/**/*.html")):
        name = path.relative_to(SRC).as_posix()
        if name in NOT_PAGES or "/email/" in name:
            continue
        out += [(name, m.group(0)) for m in _TABLE.finditer(path.read_text(encoding="utf-8"))]
    return out


def test_it_finds_the_tables_it_checks() -> None:
    """The control for the two tests below: they read real templates."""
    assert len(_page_tables()) >= 30


def test_it_stacks_every_table_on_a_page() -> None:
    flat = [name for name, table in _page_tables() if "usa-table--stacked" not in table[:table.index(">")]]
    assert flat == []


def test_it_labels_every_cell_of_a_table_with_column_headers() -> None:
    """A row header (th scope=row) is labelled too; a cell spanning the row ("No entries.") needs none."""
    missing = []
    for name, table in _page_tables():
        if "<thead" not in table:
            continue  # a two-column list of facts: each value's row header is its label
        body = table[table.index("</thead>"):]
        for cell in _CELL.finditer(body):
            tag = cell.group(0)
            if "data-label" not in tag and "colspan" not in tag:
                missing.append(f"{name}: {tag[:60]}")
    assert missing == []


@pytest.mark.django_db
def test_it_renders_no_empty_label_on_the_pages_people_read_on_a_phone(world: World, client: Client) -> None:
    """Rendered, each label has a value: a label read from a loop variable out of scope renders empty."""
    pages = {"/transparency": Client()}
    login(client, world.users["clerk_la"])
    for path in ("/jail/", f"/requests/{world.requests['review'].request_id}/", "/policies/us-ca",
                 "/people/search?q=smith"):
        pages[path] = client
    for path, reader in pages.items():
        response = reader.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert "usa-table--stacked" in html, path
        assert 'data-label=""' not in html, path
