"""SQL of the event feed and the webhook outbox (``engine.outbox``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select

from .models import CaseRow, EventRow, OutboxRow, WebhookRow
from .prepared import Prepared

# Built once, run on the DBAPI cursor (engine.store.prepared): every appended event passes here.
_HOOKS = cast(Table, WebhookRow.__table__)
_OUTBOX = cast(Table, OutboxRow.__table__)
_ACTIVE_HOOKS = Prepared(select(_HOOKS.c.id, _HOOKS.c.event_types, _HOOKS.c.process_id)
                         .where(_HOOKS.c.revoked_at.is_(None)))
_INSERT_OUTBOX = Prepared(insert(_OUTBOX).values({c: bindparam(c) for c in (
    "webhook_id", "case_id", "seq", "status", "attempts", "next_attempt_at")}))


def queue(tx, case: CaseRow, rows: list[dict], at: datetime) -> None:
    """Outbox rows for ``rows`` (events being appended to ``case``) for every active webhook whose filter
    they pass: in the same transaction as the events, so an event is queued if and only if it is stored."""
    hooks = _ACTIVE_HOOKS.rows(tx.raw, {})
    if not hooks:
        return
    queued: list[dict[str, Any]] = []
    for hook_id, types, process_id in hooks:
        if process_id and process_id != case.process_id:
            continue
        wanted = {t for t in (types or "").split(",") if t}
        queued.extend({"webhook_id": hook_id, "case_id": case.id, "seq": r["seq"], "status": "pending", "attempts": 0,
                       "next_attempt_at": at} for r in rows if not wanted or r["type"] in wanted)
    if queued:
        _INSERT_OUTBOX.executemany(tx.raw, queued)


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
