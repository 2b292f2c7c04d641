"""SQL of the audit trail: the access log's chain, and the projections verify compares with a replay."""

from __future__ import annotations

from sqlalchemy import func, select, text

from . import Tx
from .models import AccessRow, EventRow

# Any constant: the PostgreSQL advisory lock that serialises appends to the one access-log chain.
_ACCESS_LOCK = 0x52454749   # "REGI"


def lock_access_chain(tx: Tx) -> None:
    """Take the access-log append lock for this transaction (SQLite's BEGIN IMMEDIATE already has it)."""
    if not tx.store.is_sqlite:
        tx.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ACCESS_LOCK})


def last_access(tx: Tx) -> AccessRow | None:
    return tx.session.scalars(select(AccessRow).order_by(AccessRow.seq.desc()).limit(1)).first()


def add_access(tx: Tx, row: AccessRow) -> None:
    tx.session.add(row)
    tx.session.flush([row])


def access_rows(tx: Tx, case_id: str | None = None, actor: str | None = None, limit: int | None = 100,
                offset: int = 0, newest_first: bool = True) -> list[AccessRow]:
    query = select(AccessRow)
    if case_id:
        query = query.where(AccessRow.case_id == case_id)
    if actor:
        query = query.where(AccessRow.actor == actor)
    query = query.order_by(AccessRow.seq.desc() if newest_first else AccessRow.seq)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(tx.session.scalars(query))


def count_access(tx: Tx, case_id: str | None = None, actor: str | None = None) -> int:
    query = select(func.count()).select_from(AccessRow)
    if case_id:
        query = query.where(AccessRow.case_id == case_id)
    if actor:
        query = query.where(AccessRow.actor == actor)
    return tx.session.scalar(query) or 0


def access_chain(tx: Tx, batch: int = 5000):
    """Every access-log row in chain order, read in batches (the log grows with every page view)."""
    after = 0
    while True:
        rows = list(tx.session.scalars(select(AccessRow).where(AccessRow.seq > after)
                                       .order_by(AccessRow.seq).limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq


def events_between(tx: Tx, case_id: str, first: int, last: int) -> list[EventRow]:
    """A case's events ``first`` to ``last`` (inclusive), in order."""
    return list(tx.session.scalars(select(EventRow).where(EventRow.case_id == case_id, EventRow.seq >= first,
                                                          EventRow.seq <= last).order_by(EventRow.seq)))


def case_snapshot(tx: Tx, case_id: str) -> tuple[int, tuple]:
    """(last event, (status, data, active, sorted open task ids)) of a case as stored now (tests)."""
    import json

    from .models import CaseRow, TaskRow

    case = tx.session.get(CaseRow, case_id)
    open_ids = sorted(tx.session.scalars(select(TaskRow.id).where(TaskRow.case_id == case_id, TaskRow.state == "open")))
    return case.last_seq, (case.status, json.loads(case.data), json.loads(case.active), open_ids)
