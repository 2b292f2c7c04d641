"""Pages of a case's event log, newest first, for screens that must not grow with the history.

A case's events are numbered 1, 2, 3, ... without gaps (``CaseRow.last_seq`` is the count), and
``(case_id, seq)`` is unique and indexed, so a page is one index range scan whatever the history length.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, select

from . import Tx
from .models import EventRow
from .prepared import Prepared

__all__ = ["events_before"]

_EVENTS = cast(Table, EventRow.__table__).c
_NO_END = 2**31 - 1          # above any event number (an INTEGER column)
# Built and compiled once; plain rows (no ORM objects): a case page reads 56 events on every view.
_BEFORE = Prepared(select(*_EVENTS).where(_EVENTS.case_id == bindparam("b_case"), _EVENTS.seq < bindparam("b_before"))
                   .order_by(_EVENTS.seq.desc()).limit(bindparam("b_limit")))


def events_before(tx: Tx, case_id: str, before: int | None, limit: int) -> list:
    """The newest ``limit`` events of the case with ``seq < before`` (all when None), oldest first, as plain rows
    with the columns of ``EventRow`` as attributes, personal values opened (``Tx.opened``)."""
    values = {"b_case": case_id, "b_before": before if before is not None else _NO_END, "b_limit": limit}
    return tx.opened(case_id, _BEFORE.rows(tx.raw, values)[::-1])
