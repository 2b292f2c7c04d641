"""The event feed and webhooks: other systems follow cases without polling each one.

- **Feed** (``Engine.event_feed``): every case event in the order stored, after a cursor, a page at a
  time. Payloads (which hold personal data) only when asked for.
- **High water mark**: event ids come from a sequence (PostgreSQL) and are taken when a transaction
  inserts, not when it commits, so id 101 may become visible after 102. A page therefore ends before the
  first gap in the ids (after the cursor, or between two events) that may still be filled: a gap counts
  as open while the event after it was written less than ``FEED_SETTLE`` seconds ago (the engine's clock
  against the event's ``stored_at``: when the engine wrote it, not its business time ``at``, which lies
  in the past for a timer's catch-up round; events written before revision 0040 have none and count as
  settled by ``at``). A transaction that rolled back leaves a gap for good; it is passed once it is older
  than that. The consumer's cursor never moves past an open gap, so it gets the late event on a later
  page, in id order. SQLite lets one writer at a time commit, so there a gap only comes from removed
  events, which are old: the rule costs nothing. What it does not cover: a transaction that keeps an
  inserted event uncommitted for longer than the settle time.
- **Webhooks**: a subscription (``Webhooks.create``: name, URL, filter on event types and process,
  whether payloads go along) gets every matching event POSTed to its URL. The store writes an outbox row
  for each matching event in the SAME transaction as the event (``engine.store.outbox.queue``, called by
  ``Tx.append_events``), so an event is queued exactly when it is stored. The scheduler delivers
  (``deliver_due``): per webhook and case strictly in order — a failed delivery is retried with back-off
  (10 s, 20 s, 40 s, … at most an hour) and holds back the later events of that case, so a receiver sees
  each case's events once each, in order. One deliverer at a time holds the ``webhooks`` lease.
- **Signature**: each POST carries ``Regie-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
  with the subscription's secret, and ``Regie-Event: <case id>:<seq>`` (the same for a redelivery, for
  receivers that must not act twice). ``verify_signature`` is what a receiver does (docs/api.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .audit import canonical_json
from .errors import FieldProblem, InvalidData, NotFoundError, RegieError
from .store import outbox as sql

LEASE = "webhooks"
LEASE_SECONDS = 120
BACKOFF = 10.0            # seconds before the first retry; doubled each time
MAX_BACKOFF = 3600.0
TIMEOUT = 10.0            # seconds for one POST
TOLERANCE = 300           # seconds a receiver accepts between the signature's time and its own clock
FEED_LIMIT = 500
SETTLE_SETTING = "REGIE_FEED_SETTLE"


def settle_setting(value: str | None) -> float:
    """The feed's settle time from ``REGIE_FEED_SETTLE`` (seconds; default 5)."""
    if value is None or value == "":
        return 5.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise RegieError(f"{SETTLE_SETTING}={value!r} is geen aantal seconden. Geef een getal van 0 tot en met 3600, "
                         "bijvoorbeeld 5.")
    return seconds


# Seconds after which a gap in the event ids counts as a rolled-back transaction.
FEED_SETTLE = settle_setting(os.environ.get(SETTLE_SETTING))
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{1,99}$")
_TYPE = re.compile(r"^[a-z][a-z_]{1,39}$")


class UnknownWebhook(NotFoundError):
    def __init__(self, ref: str):
        super().__init__(f"Er is geen webhook '{ref}'. Bekijk ze met 'regie webhooks list'.")


@dataclass(frozen=True)
class FeedEvent:
    id: int
    case_id: str
    case_number: str
    process_id: str
    seq: int
    type: str
    at: datetime
    actor: str
    hash: str
    payload: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return json.loads(canonical_json({k: getattr(self, k) for k in self.__dataclass_fields__}))


@dataclass(frozen=True)
class FeedPage:
    events: list[FeedEvent]
    next: str          # the cursor for the next page (the same as asked when nothing new)


@dataclass(frozen=True)
class WebhookView:
    id: str
    name: str
    url: str
    event_types: tuple[str, ...]
    process_id: str | None
    personal: bool
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    pending: int = 0

    @classmethod
    def of(cls, row, pending: int = 0) -> WebhookView:
        return cls(row.id, row.name, row.url, tuple(t for t in row.event_types.split(",") if t), row.process_id,
                   row.personal, row.created_at, row.created_by, row.revoked_at, pending)


# --- the feed ----------------------------------------------------------------------------------------

def parse_cursor(after: str | None) -> int:
    if after is None or after == "":
        return 0
    if not str(after).isdigit() or len(str(after)) > 18:
        raise InvalidData([FieldProblem("after", "Geef de cursor zoals de vorige pagina hem gaf (next), of niets "
                                                 "om bij het begin te beginnen.")])
    return int(after)


def feed(engine, after: str | None = None, limit: int = 100, personal: bool = False,
         settle: float | None = None) -> FeedPage:
    """Case events after cursor ``after``, oldest first, up to the first gap in the ids that may still be
    filled (the high water mark, see the module docstring); ``personal``: with their payloads.
    ``settle``: seconds before a gap counts as left for good (default ``FEED_SETTLE``, set by
    ``REGIE_FEED_SETTLE``)."""
    cursor = parse_cursor(after)
    if not isinstance(limit, int) or not 1 <= limit <= FEED_LIMIT:
        raise InvalidData([FieldProblem("limit", f"Geef een aantal van 1 tot en met {FEED_LIMIT}.")])
    if settle is None:
        settle = FEED_SETTLE
    settled_before = engine.clock.now() - timedelta(seconds=settle)
    with engine.store.read() as tx:
        rows = settled(sql.events_after(tx, cursor, limit), cursor, settled_before)
        plain = _opened(tx, [ev for ev, _, _ in rows]) if personal else {}
    events = [_feed_event(ev, number, process_id, personal, plain.get(ev.id)) for ev, number, process_id in rows]
    return FeedPage(events, str(events[-1].id if events else cursor))


def settled(rows: list, cursor: int, settled_before: datetime) -> list:
    """``rows`` (events in id order after ``cursor``) up to the first gap in the ids that may still be
    filled: the event after it was written after ``settled_before`` (its ``stored_at``, the engine's
    clock when it wrote the event; older rows have none and fall back to ``at``)."""
    expected = cursor + 1
    for i, row in enumerate(rows):
        ev = row[0]
        if ev.id != expected and (ev.stored_at or ev.at) > settled_before:
            return rows[:i]
        expected = ev.id + 1
    return rows


def _feed_event(ev, number, process_id, personal: bool, plain: str | None = None) -> FeedEvent:
    return FeedEvent(ev.id, ev.case_id, number or "", process_id, ev.seq, ev.type, ev.at, ev.actor, ev.hash,
                     json.loads(plain or ev.payload) if personal else None)


def _opened(tx, events) -> dict[int, str]:
    """Event id -> payload with the personal values decrypted (the store seals them per case)."""
    by_case: dict[str, list] = {}
    for ev in events:
        by_case.setdefault(ev.case_id, []).append(ev)
    return {ev.id: ev.payload for case_id, rows in by_case.items() for ev in tx.opened(case_id, rows)}


# --- subscriptions -----------------------------------------------------------------------------------

class Webhooks:
    """The facade's part for webhooks (``engine.webhooks``)."""

    def __init__(self, engine):
        self.engine = engine

    def create(self, name: str, url: str, actor: str, event_types: list[str] | None = None,
               process_id: str | None = None, personal: bool = False) -> tuple[WebhookView, str]:
        """A subscription; returns it and its signing secret (shown once; the receiver keeps it)."""
        from .store.models import WebhookRow

        name, url = (name or "").strip(), (url or "").strip()
        types = sorted({t.strip() for t in event_types or [] if t and t.strip()})
        problems = []
        if not _NAME.match(name):
            problems.append(FieldProblem("name", "Geef een naam van 2 tot 100 tekens: letters, cijfers, spatie, . _ of -."))
        if not re.match(r"^https?://[^\s/:?#]+(:\d{1,5})?([/?#]\S*)?$", url) or len(url) > 500:
            problems.append(FieldProblem("url", "Geef het volledige adres van de ontvanger: https://… (ten hoogste "
                                                "500 tekens)."))
        bad = [t for t in types if not _TYPE.match(t)]
        if bad or len(",".join(types)) > 500:
            problems.append(FieldProblem("event_types", "Noem soorten gebeurtenissen zoals case_started of "
                                                        f"task_completed (kleine letters en _). Niet: {', '.join(bad)}."))
        if process_id is not None and not (isinstance(process_id, str) and 0 < len(process_id.strip()) <= 200):
            problems.append(FieldProblem("process_id", "Geef de id van een proces, of laat het weg voor alle processen."))
        if problems:
            raise InvalidData(problems)
        secret = "whsec_" + secrets.token_urlsafe(32)
        hook_id = secrets.token_hex(6)
        stored = self.engine.store.master_keys.seal_secret("webhook", hook_id, secret)
        with self.engine.store.write() as tx:
            if sql.webhook(tx, name) is not None:
                raise InvalidData([FieldProblem("name", f"Er is al een webhook '{name}'. Kies een andere naam.")])
            row = WebhookRow(id=hook_id, name=name, url=url, secret=stored, event_types=",".join(types),
                             process_id=process_id.strip() if process_id else None, personal=bool(personal),
                             created_at=self.engine.clock.now(), created_by=actor)
            tx.session.add(row)
        return WebhookView.of(row), secret

    def list(self) -> list[WebhookView]:
        with self.engine.store.read() as tx:
            counts = sql.pending_counts(tx)
            return [WebhookView.of(r, counts.get(r.id, 0)) for r in sql.webhooks(tx)]

    def revoke(self, ref: str, actor: str) -> WebhookView:
        """Stop a subscription: nothing more is queued, and what is still queued is not sent."""
        with self.engine.store.write() as tx:
            row = sql.webhook(tx, (ref or "").strip())
            if row is None:
                raise UnknownWebhook(ref)
            if row.revoked_at is None:
                row.revoked_at = self.engine.clock.now()
            return WebhookView.of(row)

    def deliver(self, holder: str = "regie", limit: int = 200) -> int:
        return deliver_due(self.engine, holder, limit=limit)


# --- delivery -------------------------------------------------------------------------------------------

def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Regie-Signature`` header for ``body`` sent at ``timestamp`` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE) -> bool:
    """What a receiver checks: the HMAC over ``"<t>.<body>"`` matches and ``t`` is within ``tolerance``
    seconds of its own clock (so a recorded request cannot be replayed later)."""
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    if not parts.get("t", "").isdigit() or abs(now - int(parts["t"])) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(parts["t"]), body), f"t={parts['t']},v1={parts.get('v1', '')}")


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """POST ``body``; None when the receiver answered 2xx, else what went wrong (for the outbox row)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:    # noqa: S310 (http(s) only, checked)
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}"
    except (urllib.error.URLError, OSError, ValueError) as err:
        return f"niet bereikbaar: {err}"


def deliver_due(engine, holder: str, now: datetime | None = None, limit: int = 200,
                send: Callable[[str, bytes, dict[str, str], float], str | None] = post_json) -> int:
    """One delivery round: send due outbox rows, per webhook and case in order; returns how many arrived.

    The round reads its rows with their events in one query and removes what arrived in batches; a crash
    between a POST and that removal sends the event again (same ``Regie-Event``), never skips it."""
    now = now or engine.clock.now()
    if not _take_lease(engine, holder, now):
        return 0
    with engine.store.read() as tx:
        rows = sql.pending_with_events(tx, limit)
        hooks = {h.id: h for h in sql.webhooks(tx)} if rows else {}
        personal = {h.id for h in hooks.values() if h.personal}
        plain = _opened(tx, [ev for row, ev, _, _ in rows if row.webhook_id in personal]) if personal else {}
    keys = {h.id: engine.store.master_keys.open_secret("webhook", h.id, h.secret) for h in hooks.values()
            if h.revoked_at is None}
    blocked: set[tuple[str, str]] = set()
    arrived: list[int] = []
    done = 0
    for row, ev, number, process_id in rows:
        key = (row.webhook_id, row.case_id)
        if key in blocked:
            continue
        hook = hooks.get(row.webhook_id)
        if hook is None or hook.revoked_at is not None:      # revoked: its queue is dropped
            arrived.append(row.id)
            continue
        if row.next_attempt_at > now:                          # backing off: the case's later events wait too
            blocked.add(key)
            continue
        body = _body(hook, ev, number, process_id, plain.get(ev.id))
        timestamp = int(engine.clock.now().timestamp())
        error = send(hook.url, body, {
            "Content-Type": "application/json", "User-Agent": "Regie-Webhooks/1",
            "Regie-Event": f"{row.case_id}:{row.seq}", "Regie-Signature": sign(keys[hook.id], timestamp, body)}, TIMEOUT)
        if error is None:
            arrived.append(row.id)
            done += 1
            if len(arrived) >= 100:
                _remove(engine, arrived)
            continue
        blocked.add(key)
        with engine.store.write() as tx:
            failed = sql.outbox_row(tx, row.id)
            if failed is None:   # the webhook was stopped meanwhile: its rows went with it
                continue
            failed.attempts += 1
            failed.last_error = error[:500]
            failed.next_attempt_at = now + timedelta(seconds=min(BACKOFF * 2 ** (failed.attempts - 1), MAX_BACKOFF))
    if arrived:
        _remove(engine, arrived)
    return done


def _remove(engine, arrived: list[int]) -> None:
    """Remove the rows that arrived (or belong to a stopped webhook); empties ``arrived``."""
    with engine.store.write() as tx:
        sql.delivered(tx, arrived)
    arrived.clear()


def _body(hook, ev, number, process_id, plain: str | None = None) -> bytes:
    event = _feed_event(ev, number, process_id, hook.personal, plain).to_dict()
    if not hook.personal:
        event.pop("payload", None)
    return canonical_json({"webhook": hook.name, "event": event}).encode()


def release(engine, holder: str) -> None:
    """Give up ``holder``'s delivery lease (a ``--once`` run that ends), so the next deliverer need not wait."""
    from .store.timers import drop_lease

    with engine.store.write() as tx:
        drop_lease(tx, LEASE, holder)


def _take_lease(engine, holder: str, now: datetime) -> bool:
    from sqlalchemy.exc import IntegrityError

    from .errors import ConflictError
    from .store.timers import take_lease

    try:
        with engine.store.write() as tx:
            return take_lease(tx, LEASE, holder, now, now + timedelta(seconds=LEASE_SECONDS))
    except (ConflictError, IntegrityError):
        return False
