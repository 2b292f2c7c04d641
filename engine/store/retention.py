"""Queries and writes for retention (``engine.privacy.retention``): closed cases and their closing
moment, and removing what a case row and its side tables hold of personal data."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update

from . import Tx
from .models import CaseCheckpointRow, CaseFileRow, CaseKeyRow, CaseRow, DraftRow, EventRow, IncidentRow, TaskRow

__all__ = ["closed_cases", "remove_side_data"]

_DRAFTS, _TASKS, _INCIDENTS = (cast(Table, row.__table__) for row in (DraftRow, TaskRow, IncidentRow))
_DELETE_DRAFTS = delete(_DRAFTS).where(_DRAFTS.c.task_id.in_(
    select(_TASKS.c.id).where(_TASKS.c.case_id == bindparam("b_case")).scalar_subquery()))
_BLANK_INCIDENTS = (update(_INCIDENTS).where(_INCIDENTS.c.case_id == bindparam("b_case"))
                    .values(message="(verwijderd na de bewaartermijn)"))


def closed_cases(tx: Tx, process_ids: list[str]) -> list[tuple[str, str | None, str, datetime]]:
    """(case id, number, process id, closed at) of every completed case of ``process_ids`` whose personal
    data is still there, oldest closing first. Closed at: the moment of its ``case_completed`` event."""
    query = (
        select(CaseRow.id, CaseRow.number, CaseRow.process_id, EventRow.at)
        .join(EventRow, (EventRow.case_id == CaseRow.id) & (EventRow.type == "case_completed"))
        .outerjoin(CaseKeyRow, CaseKeyRow.case_id == CaseRow.id)
        .where(CaseRow.status == "completed", CaseRow.process_id.in_(process_ids), CaseKeyRow.shredded_at.is_(None))
        .order_by(EventRow.at, CaseRow.id)
    )
    return [(r[0], r[1], r[2], r[3]) for r in tx.session.execute(query)]


def remove_side_data(tx: Tx, case_id: str) -> None:
    """Drafts of the case's tasks, the files sent with its forms (``engine.uploads``) and its time-travel
    checkpoints (``engine.audit.checkpoints``) are deleted; its incidents keep when and where, not the message."""
    conn = tx.session.connection()      # Core: the ORM's bulk machinery costs more than these statements
    conn.execute(_DELETE_DRAFTS, {"b_case": case_id})
    conn.execute(_BLANK_INCIDENTS, {"b_case": case_id})
    conn.execute(delete(CaseFileRow).where(CaseFileRow.case_id == case_id))
    conn.execute(delete(CaseCheckpointRow).where(CaseCheckpointRow.case_id == case_id))   # the replayed data


def shred_key(tx: Tx, case_id: str, at: datetime, actor: str) -> None:
    """Delete the case's key (keep the row: when and by whom). With it go all its sealed values."""
    row = tx.session.get(CaseKeyRow, case_id)
    if row is None:
        row = CaseKeyRow(case_id=case_id, created_at=at)
        tx.session.add(row)
    row.wrapped, row.master_key, row.shredded_at, row.shredded_by = None, None, at, actor
    tx._case_keys[case_id] = None


def rewrap_keys(tx: Tx, batch: int = 500) -> int:
    """Wrap every live case key that a master key other than the current one wrapped with the current
    one (master-key rotation). Returns how many were rewrapped."""
    master = tx.store.master_keys
    rows = list(tx.session.scalars(select(CaseKeyRow).where(CaseKeyRow.wrapped.is_not(None),
                                                            CaseKeyRow.master_key != master.current).limit(batch)))
    for row in rows:
        key = master.unwrap(row.case_id, row.master_key, row.wrapped)
        row.master_key, row.wrapped = master.wrap(row.case_id, key)
    return len(rows)
