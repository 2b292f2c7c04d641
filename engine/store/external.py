"""SQL of external tasks (``engine.external``): the rows workers fetch-and-lock by topic."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from .models import ExternalTaskRow


def free_condition(now: datetime):
    """Open, not locked by a live lock, and past any back-off."""
    return (
        ExternalTaskRow.status == "open",
        or_(ExternalTaskRow.locked_until.is_(None), ExternalTaskRow.locked_until <= now),
        or_(ExternalTaskRow.retry_at.is_(None), ExternalTaskRow.retry_at <= now),
    )


def is_free(row: ExternalTaskRow, now: datetime) -> bool:
    return row.status == "open" and (row.locked_until is None or row.locked_until <= now) and (
        row.retry_at is None or row.retry_at <= now)


def free_tasks(tx, topics: list[str], now: datetime, limit: int) -> list[tuple[str, str]]:
    """(task id, case id) of free tasks on ``topics``, oldest first (a hint: the lock re-checks each row)."""
    query = (select(ExternalTaskRow.id, ExternalTaskRow.case_id)
             .where(ExternalTaskRow.topic.in_(topics), *free_condition(now))
             .order_by(ExternalTaskRow.created_at, ExternalTaskRow.id).limit(limit))
    return [(r.id, r.case_id) for r in tx.session.execute(query)]


def task(tx, task_id: str) -> ExternalTaskRow | None:
    return tx.session.get(ExternalTaskRow, task_id, populate_existing=True)


def case_tasks(tx, case_id: str) -> list[ExternalTaskRow]:
    return list(tx.session.scalars(select(ExternalTaskRow).where(ExternalTaskRow.case_id == case_id)))


def tasks(tx, topic: str | None = None, case_id: str | None = None, limit: int = 100) -> list[ExternalTaskRow]:
    query = select(ExternalTaskRow)
    if topic:
        query = query.where(ExternalTaskRow.topic == topic)
    if case_id:
        query = query.where(ExternalTaskRow.case_id == case_id)
    return list(tx.session.scalars(query.order_by(ExternalTaskRow.created_at, ExternalTaskRow.id).limit(limit)))
