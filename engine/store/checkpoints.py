"""SQL of the stored time-travel checkpoints (``engine.audit.checkpoints``, table ``case_checkpoints``)."""

from __future__ import annotations

from sqlalchemy import and_, delete, func, select

from . import Tx
from .models import CaseCheckpointRow, CaseKeyRow, CaseRow

__all__ = ["best", "cases_needing", "delete_case", "save", "stored_seqs"]


def best(tx: Tx, case_id: str, up_to: int) -> CaseCheckpointRow | None:
    """The case's stored checkpoint with the highest ``seq`` not after ``up_to``."""
    return tx.session.scalars(select(CaseCheckpointRow).where(
        CaseCheckpointRow.case_id == case_id, CaseCheckpointRow.seq <= up_to)
        .order_by(CaseCheckpointRow.seq.desc()).limit(1)).first()


def stored_seqs(tx: Tx, case_id: str, format: str) -> set[int]:
    """The events of the case with a stored checkpoint of ``format``."""
    return set(tx.session.scalars(select(CaseCheckpointRow.seq).where(CaseCheckpointRow.case_id == case_id,
                                                                      CaseCheckpointRow.format == format)))


def save(tx: Tx, rows: list[CaseCheckpointRow], replace: list[int] | None = None) -> None:
    """Insert ``rows``, after deleting the case's checkpoints at ``replace``; a row that another process
    stored first (same case and seq) is left as it is."""
    if not rows:
        return
    if replace:
        tx.session.execute(delete(CaseCheckpointRow).where(CaseCheckpointRow.case_id == rows[0].case_id,
                                                           CaseCheckpointRow.seq.in_(replace))
                           .execution_options(synchronize_session=False))
    values = [{c.name: getattr(r, c.name) for c in CaseCheckpointRow.__table__.columns} for r in rows]
    if tx.store.is_sqlite:
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    tx.session.execute(insert(CaseCheckpointRow).values(values).on_conflict_do_nothing(
        index_elements=["case_id", "seq"]))


def delete_case(tx: Tx, case_id: str, from_seq: int = 0) -> None:
    """Delete the case's checkpoints (``from_seq``: only those at or after that event)."""
    tx.session.execute(delete(CaseCheckpointRow).where(CaseCheckpointRow.case_id == case_id,
                                                       CaseCheckpointRow.seq >= from_seq)
                       .execution_options(synchronize_session=False))


def cases_needing(tx: Tx, every: int, format: str, after: str, limit: int) -> list[tuple[str, int]]:
    """(case id, last event) of cases after ``after`` (by id) with at least ``every`` events since their newest
    stored checkpoint of ``format`` (or since the start), whose personal data is still there; at most ``limit``."""
    newest = (select(CaseCheckpointRow.case_id, func.max(CaseCheckpointRow.seq).label("seq"))
              .where(CaseCheckpointRow.format == format).group_by(CaseCheckpointRow.case_id).subquery())
    query = (select(CaseRow.id, CaseRow.last_seq)
             .outerjoin(newest, newest.c.case_id == CaseRow.id)
             .outerjoin(CaseKeyRow, and_(CaseKeyRow.case_id == CaseRow.id))
             .where(CaseRow.id > after, CaseRow.last_seq >= every,
                    func.coalesce(newest.c.seq, 0) + every <= CaseRow.last_seq, CaseKeyRow.shredded_at.is_(None))
             .order_by(CaseRow.id).limit(limit))
    return [(r[0], r[1]) for r in tx.session.execute(query)]
