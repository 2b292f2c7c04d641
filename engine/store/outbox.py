"""SQL of the event feed and the webhook outbox (``engine.outbox``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Integer, String, Table, bindparam, delete, func, insert, literal_column, or_, select

from .models import CaseRow, EventRow, OutboxRow, UTCDateTime, WebhookRow
from .prepared import Prepared

# Built once, run on the DBAPI cursor (engine.store.prepared): every appended event passes here. One
# INSERT … SELECT per event picks the active webhooks whose filter it passes, so queueing reads nothing back
# and waits with the step's other writes (PostgreSQL: in the same pipelined round trip).
_HOOKS = cast(Table, WebhookRow.__table__)
_OUTBOX = cast(Table, OutboxRow.__table__)


def _queue_statement(position: Any) -> Prepared:
    """``position(text, part)``: SQLite's ``instr``, PostgreSQL's ``strpos`` (> 0: ``part`` occurs in ``text``)."""
    comma, empty = literal_column("','", String), literal_column("''", String)    # constants in the SQL text
    types = func.coalesce(_HOOKS.c.event_types, empty)
    wanted = or_(func.replace(types, comma, empty) == empty,      # no types: every event
                 position(comma + types + comma, comma + bindparam("type", type_=String) + comma) > literal_column("0"))
    hooks = (select(_HOOKS.c.id, bindparam("case_id", type_=String), bindparam("seq", type_=Integer),
                    literal_column("'pending'", String), literal_column("0", Integer), bindparam("at", type_=UTCDateTime))
             .where(_HOOKS.c.revoked_at.is_(None),
                    or_(_HOOKS.c.process_id.is_(None), _HOOKS.c.process_id == empty,
                        _HOOKS.c.process_id == bindparam("process_id", type_=String)),
                    wanted)
             .order_by(_HOOKS.c.id))
    return Prepared(insert(_OUTBOX).from_select(
        ["webhook_id", "case_id", "seq", "status", "attempts", "next_attempt_at"], hooks))


_QUEUE = {"sqlite": _queue_statement(func.instr), "postgresql": _queue_statement(func.strpos)}


def queue(tx, case: CaseRow, rows: list[dict], at: datetime) -> None:
    """Outbox rows for ``rows`` (events being appended to ``case``) for every active webhook whose filter
    they pass (its process, or none; one of its comma-separated event types, or none): in the same
    transaction as the events, so an event is queued if and only if it is stored."""
    _QUEUE[tx.raw.dialect.name].defer_many(tx.raw, [
        {"case_id": case.id, "seq": r["seq"], "type": r["type"], "at": at, "process_id": case.process_id}
        for r in rows])


def outbox_row(tx, row_id: int) -> OutboxRow | None:
    return tx.session.get(OutboxRow, row_id)


def delivered(tx, row_ids: list[int]) -> None:
    tx.session.execute(delete(OutboxRow).where(OutboxRow.id.in_(row_ids)))


def pending_with_events(tx, limit: int) -> list[tuple[OutboxRow, EventRow, str | None, str]]:
    """The oldest undelivered rows with their events and the case's number and process, in one query."""
    query = (select(OutboxRow, EventRow, CaseRow.number, CaseRow.process_id)
             .join(EventRow, (EventRow.case_id == OutboxRow.case_id) & (EventRow.seq == OutboxRow.seq))
             .join(CaseRow, CaseRow.id == OutboxRow.case_id)
             .where(OutboxRow.status == "pending").order_by(OutboxRow.id).limit(limit))
    return [(r[0], r[1], r[2], r[3]) for r in tx.session.execute(query)]


def events_after(tx, after: int, limit: int) -> list[tuple[EventRow, str | None, str]]:
    """Events with an id above ``after``, in id order, with their case's number and process (the feed)."""
    rows = tx.session.execute(
        select(EventRow, CaseRow.number, CaseRow.process_id).join(CaseRow, CaseRow.id == EventRow.case_id)
        .where(EventRow.id > after).order_by(EventRow.id).limit(limit))
    return [(r[0], r[1], r[2]) for r in rows]


def webhook(tx, ref: str) -> WebhookRow | None:
    return tx.session.get(WebhookRow, ref) or tx.session.scalars(select(WebhookRow).where(WebhookRow.name == ref)).first()


def webhooks(tx) -> list[WebhookRow]:
    return list(tx.session.scalars(select(WebhookRow).order_by(WebhookRow.created_at, WebhookRow.name)))


def pending_counts(tx) -> dict[str, int]:
    from sqlalchemy import func

    rows = tx.session.execute(select(OutboxRow.webhook_id, func.count()).where(OutboxRow.status == "pending")
                              .group_by(OutboxRow.webhook_id))
    return {hook_id: count for hook_id, count in rows}


def reseal_secrets(tx) -> int:
    """Seal every webhook secret that is stored in plain text or under an older master key with the current
    master key (``regie privacy rotate-keys``). Returns how many were sealed again."""
    master = tx.store.master_keys
    done = 0
    for row in tx.session.scalars(select(WebhookRow)):
        if master.key_of_secret(row.secret) != master.current:
            row.secret = master.seal_secret("webhook", row.id, master.open_secret("webhook", row.id, row.secret))
            done += 1
    return done
