"""Pages of a case's event log, newest first, for screens that must not grow with the history.

A case's events are numbered 1, 2, 3, ... without gaps (``CaseRow.last_seq`` is the count), and
``(case_id, seq)`` is unique and indexed, so a page is one index range scan whatever the history length.
"""

from __future__ import annotations

from sqlalchemy import select

from . import Tx
from .models import EventRow

__all__ = ["events_before"]


def events_before(tx: Tx, case_id: str, before: int | None, limit: int) -> list[EventRow]:
    """The newest ``limit`` events of the case with ``seq < before`` (all when None), oldest first."""
    query = select(EventRow).where(EventRow.case_id == case_id)
    if before is not None:
        query = query.where(EventRow.seq < before)
    rows = list(tx.session.scalars(query.order_by(EventRow.seq.desc()).limit(limit)))
    return tx.opened(case_id, rows[::-1])
