"""Query helpers for the pages.

Why `Likely`: SQLite plans from `sqlite_stat1` alone (Python's SQLite is built without STAT4), so it cannot
tell that "scheduled notices already past due" or "decisions of the last few days" are a sliver of a large
table; it then drives a dashboard query from the actor's facilities and reads every notice or decision they
ever had. `likelihood(X, p)` is SQLite's documented way to state how often a condition holds; the index on
X stays usable and the planner starts from it. PostgreSQL keeps real histograms, so there the condition is
written unchanged.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Func, Q


class Likely(Func):
    """A filter condition with the share of rows it is expected to keep (0 < probability < 1).

    Use it only for conditions that are rare by the nature of the data (overdue notices, the newest rows).
    The condition is one comparison (SQLite only reads a hint on a single term), written so that an index can
    serve it: `field__in=[True]` rather than `field=True`, which Django writes as the bare column."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, condition: Q, probability: float) -> None:
        if not 0.0 < probability < 1.0:
            raise ValueError("probability must be between 0 and 1")
        if condition.negated or len(condition.children) != 1 or isinstance(condition.children[0], Q):
            raise ValueError("Likely takes a single comparison, e.g. Q(due_at__lt=now)")
        self.probability = float(probability)
        super().__init__(condition)

    def as_sql(self, compiler: Any, connection: Any, function: str | None = None, template: str | None = None,
               arg_joiner: str | None = None, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql})", list(params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        # SQLite requires a literal constant here; the value is a float we checked above, never user input.
        return f"likelihood(({sql}), {self.probability!r})", list(params)
