"""A case's timeline a page at a time: the case page shows the newest moments and links to older ones.

The page reads one page of the event log (``Engine.history_page``), so its size and the server's time
do not grow with the length of a case's history. A page never starts with an event that folds into
the step before it (a gateway decision): it reads a few events more and cuts before that step.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from engine import HistoryPage
from engine.definitions import ProcessVersion

from .timeline import FOLDED, Moment, timeline

SLACK = 16      # extra events read so that a step and the decisions after it stay on one page


@dataclass(frozen=True)
class TimelinePage:
    moments: list[Moment]   # newest first
    older: int | None       # ``voor`` of the page with older moments; None on the page with the first event
    newest: bool            # this page holds the case's latest event
    total: int              # events in the whole history


def page_size() -> int:
    return current_app.config["TIMELINE_PAGE_SIZE"]


def read_limit(limit: int | None = None) -> int:
    """How many events to read for a page of ``limit`` (default: the configured page size)."""
    return (limit or page_size()) + SLACK


def timeline_page(page: HistoryPage, version: ProcessVersion, people: dict[str, str],
                  before: int | None = None, limit: int | None = None) -> TimelinePage:
    """The moments of at most ``limit`` events of ``page`` (read with ``read_limit(limit)`` events
    before event ``before``, the newest when None)."""
    limit = limit or page_size()
    entries = page.entries
    cut = max(0, len(entries) - limit)
    while 0 < cut and entries[cut].type in FOLDED:
        cut -= 1
    kept = entries[cut:]
    older = kept[0].seq if kept and kept[0].seq > 1 else None
    return TimelinePage(timeline(kept, version, people), older, before is None, page.total)


def before_arg(value: str | None) -> int | None:
    """The ``voor`` query parameter: an event number, or None for the newest page (bad values too)."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number and number > 0 else None
