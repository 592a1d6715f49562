"""The library's history as data: every change of version, and every source nobody has checked lately.

Why a pure module: `handoff policy changes|stale`, the national /policies view and the "days since the last
policy change" counters must all read the same answer from the same documents. Nothing here touches the
database or the clock: the caller passes the documents and, for staleness, today's date.

A *change* is a date on which a place's law moved from one version to another (or began, or lapsed):
- each version's `effective_from` is a change, from the version that ended that day (or from nothing, when
  no version ran up to it: "no policy on file" before);
- each version's `effective_to` with no version starting that day is a change to nothing.
`stance_changed` separates a place changing sides from a new version with the same stance.

Public surface: `changes(docs, since=None) -> list[Change]`, `stale(docs, today, days) -> list[StaleSource]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from handoff.policy.documents import PolicyDocument, Version


@dataclass(frozen=True, slots=True)
class Change:
    policy: str
    title: str
    level: str
    jurisdictions: tuple[str, ...]
    date: date
    stance_before: str | None  # None: no version of this policy was in force the day before
    stance_after: str | None  # None: no version of this policy is in force from this date
    version_before: str | None
    version_after: str | None
    source: str  # the free-text source of the version that starts (or, for a lapse, that ends)
    sources: tuple[str, ...]  # the citations of that version's source ids

    @property
    def stance_changed(self) -> bool:
        return self.stance_before != self.stance_after

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy, "title": self.title, "level": self.level,
            "jurisdictions": list(self.jurisdictions), "date": self.date.isoformat(),
            "stance_before": self.stance_before, "stance_after": self.stance_after,
            "stance_changed": self.stance_changed,
            "version_before": self.version_before, "version_after": self.version_after,
            "source": self.source, "sources": list(self.sources),
        }


@dataclass(frozen=True, slots=True)
class StaleSource:
    policy: str
    source_id: str
    kind: str
    cite: str
    url: str | None
    checked_on: date
    days_since: int
    file: str = ""  # where to re-check it: the policy file and the source's line
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy, "source": self.source_id, "kind": self.kind, "cite": self.cite,
            "url": self.url, "checked_on": self.checked_on.isoformat(), "days_since": self.days_since,
            "file": self.file, "line": self.line,
        }


def _stance(doc: PolicyDocument, v: Version) -> str:
    # The federal baseline's versions name no stance; a legacy file's versions fall back to its own.
    return v.stance or doc.stance


def _cites(doc: PolicyDocument, v: Version) -> tuple[str, ...]:
    out = []
    for sid in v.source_ids:
        s = doc.source(sid)
        out.append(s.cite if s is not None else sid)
    return tuple(out)


def _change(doc: PolicyDocument, on: date, before: Version | None, after: Version | None, about: Version) -> Change:
    return Change(
        policy=doc.id, title=doc.title, level=doc.level, jurisdictions=doc.jurisdictions, date=on,
        stance_before=_stance(doc, before) if before else None,
        stance_after=_stance(doc, after) if after else None,
        version_before=before.label if before else None,
        version_after=after.label if after else None,
        source=about.source, sources=_cites(doc, about),
    )


def changes(docs: Iterable[PolicyDocument], since: date | None = None) -> list[Change]:
    """Every change of version of every document, oldest first (then by policy id); `since` keeps changes
    on or after that date."""
    out: list[Change] = []
    for doc in docs:
        versions = sorted(doc.versions, key=lambda v: v.effective_from)
        ending = {v.effective_to: v for v in versions if v.effective_to is not None}
        starting = {v.effective_from for v in versions}
        for v in versions:
            out.append(_change(doc, v.effective_from, ending.get(v.effective_from), v, v))
            if v.effective_to is not None and v.effective_to not in starting:
                out.append(_change(doc, v.effective_to, v, None, v))
    if since is not None:
        out = [c for c in out if c.date >= since]
    out.sort(key=lambda c: (c.date, c.policy))
    return out


def stale(docs: Iterable[PolicyDocument], today: date, days: int) -> list[StaleSource]:
    """Every source whose `checked_on` is more than `days` days before `today`, oldest check first."""
    out = [
        StaleSource(doc.id, s.id, s.kind, s.cite, s.url, s.checked_on, (today - s.checked_on).days,
                    str(doc.path), s.line)
        for doc in docs
        for s in doc.sources
        if (today - s.checked_on).days > days
    ]
    out.sort(key=lambda s: (s.checked_on, s.policy, s.source_id))
    return out
