"""SQL of the audit trail: the access log's chain, and the projections verify compares with a replay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, Table, bindparam, exists, func, insert, or_, select

from ..errors import UnknownCase
from . import Tx
from .models import AccessRow, CaseRow, EventRow
from .prepared import Prepared

# Any constant: the PostgreSQL advisory lock that serialises appends to the one access-log chain.
_ACCESS_LOCK = 0x52454749   # "REGI"


# An append is written on every page that shows a resident's data: its statements are compiled once and run on the
# transaction's DBAPI connection (``engine.store.prepared``).
_ACCESS = cast(Table, AccessRow.__table__).c
_LOCK_CHAIN = Prepared(select(func.pg_advisory_xact_lock(bindparam("b_key", type_=BigInteger))))
_LAST = Prepared(select(_ACCESS.seq, _ACCESS.hash).order_by(_ACCESS.seq.desc()).limit(1))
_APPEND = Prepared(insert(AccessRow).values({c: bindparam(c) for c in (
    "seq", "at", "actor", "case_id", "page", "reason", "prev_hash", "hash")}))


def lock_access_chain(tx: Tx) -> None:
    """Take the access-log append lock for this transaction (SQLite's BEGIN IMMEDIATE already has it)."""
    if not tx.store.is_sqlite:
        _LOCK_CHAIN.first(tx.raw, {"b_key": _ACCESS_LOCK})


def last_access(tx: Tx):
    """The chain's head: the newest row's ``seq`` and ``hash`` (a plain row), or None for an empty log."""
    return _LAST.first(tx.raw, {})


def add_access(tx: Tx, row: AccessRow) -> None:
    """Append ``row`` (its ``id`` is given by the database)."""
    _APPEND.execute(tx.raw, {c: getattr(row, c) for c in (
        "seq", "at", "actor", "case_id", "page", "reason", "prev_hash", "hash")})


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
    return tx.opened(case_id, list(tx.session.scalars(select(EventRow).where(
        EventRow.case_id == case_id, EventRow.seq >= first, EventRow.seq <= last).order_by(EventRow.seq))))


def case_snapshot(tx: Tx, case_id: str) -> tuple[int, tuple]:
    """(last event, (status, data, active, sorted open task ids)) of a case as stored now (tests)."""
    import json

    from .models import TaskRow

    case = tx.session.get(CaseRow, case_id)
    if case is None:
        raise UnknownCase(case_id)
    open_ids = sorted(tx.session.scalars(select(TaskRow.id).where(TaskRow.case_id == case_id, TaskRow.state == "open")))
    return case.last_seq, (case.status, json.loads(case.data), json.loads(case.active), open_ids)


# --- the auditor's case search -----------------------------------------------------------------

COUNT_CAP = 1000


@dataclass(frozen=True)
class AuditQuery:
    """The auditor's case search. ``text``: a case number (or its start), an id prefix, or part of the
    resident's name. ``since``/``until``: cases that were open at some moment of that period.
    ``actor``: cases in whose history this user did something. Closed cases are included."""

    text: str = ""
    process_id: str | None = None
    version_id: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None


@dataclass(frozen=True)
class AuditCaseRow:
    id: str
    number: str | None
    process_id: str
    version_id: str
    subject: str
    status: str
    created_at: datetime
    updated_at: datetime
    last_seq: int


def search_cases(tx: Tx, query: AuditQuery, limit: int = 25, offset: int = 0) -> tuple[list[AuditCaseRow], int]:
    """One page of matching cases, most recently changed first, and the number of matches (capped)."""
    where = _search_conditions(query)
    rows = tx.session.execute(
        select(CaseRow.id, CaseRow.number, CaseRow.process_id, CaseRow.version_id, CaseRow.subject, CaseRow.status,
               CaseRow.created_at, CaseRow.updated_at, CaseRow.last_seq)
        .where(*where).order_by(CaseRow.updated_at.desc(), CaseRow.id).limit(limit).offset(offset)
    ).all()
    found = [AuditCaseRow(*r) for r in rows]
    if offset == 0 and len(found) < limit:
        return found, len(found)
    counted = select(CaseRow.id).where(*where).limit(COUNT_CAP + 1).subquery()
    return found, int(tx.session.scalar(select(func.count()).select_from(counted)) or 0)


def _search_conditions(query: AuditQuery) -> list:
    where = []
    text_ = (query.text or "").strip()
    if text_:
        matches = [CaseRow.subject.icontains(text_, autoescape=True),
                   func.upper(CaseRow.number).startswith(text_.upper(), autoescape=True)]
        if re.fullmatch(r"[0-9a-f-]{4,36}", text_.lower()):
            matches.append(CaseRow.id.startswith(text_.lower(), autoescape=True))
        where.append(or_(*matches))
    if query.process_id:
        where.append(CaseRow.process_id == query.process_id)
    if query.version_id:
        where.append(CaseRow.version_id.startswith(query.version_id.lower(), autoescape=True))
    if query.status:
        where.append(CaseRow.status == query.status)
    if query.since:
        where.append(CaseRow.updated_at >= query.since)
    if query.until:
        where.append(CaseRow.created_at < query.until)
    if query.actor:
        where.append(exists().where(EventRow.case_id == CaseRow.id, EventRow.actor == query.actor))
    return where


def submitted_before(tx: Tx, case_id: str, seq: int) -> list[str]:
    """Payload texts of the case's start and task completions before event ``seq`` (for field diffs)."""
    rows = list(tx.session.scalars(
        select(EventRow).where(EventRow.case_id == case_id, EventRow.seq < seq,
                               EventRow.type.in_(("case_started", "task_completed"))).order_by(EventRow.seq)))
    return [r.payload for r in tx.opened(case_id, rows)]


def events_in_period(tx: Tx, since: datetime, until: datetime, batch: int = 2000):
    """Every event stored in [since, until), with its case number, oldest first, in batches. Payloads as
    stored: personal values stay sealed (the export is for accountability, and the hash covers this text)."""
    after = 0
    while True:
        rows = tx.session.execute(
            select(EventRow, CaseRow.number, CaseRow.process_id).join(CaseRow, CaseRow.id == EventRow.case_id)
            .where(EventRow.at >= since, EventRow.at < until, EventRow.id > after).order_by(EventRow.id).limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1][0].id


def chain_heads(tx: Tx) -> tuple[dict[str, list], list]:
    """The head of every case's chain ({case id: [last seq, last hash]}) and of the access log."""
    heads = {case_id: [seq, digest] for case_id, seq, digest in
             tx.session.execute(select(CaseRow.id, CaseRow.last_seq, CaseRow.last_hash).order_by(CaseRow.id))}
    last = last_access(tx)
    return heads, ([last.seq, last.hash] if last else [])


def event_hashes(tx: Tx, pairs: list[tuple[str, int]], batch: int = 400) -> dict[tuple[str, int], str]:
    """The stored hash of each (case id, seq) that still exists."""
    from sqlalchemy import tuple_

    found: dict[tuple[str, int], str] = {}
    pairs = sorted(set(pairs))
    for start in range(0, len(pairs), batch):
        chunk = pairs[start:start + batch]
        rows = tx.session.execute(select(EventRow.case_id, EventRow.seq, EventRow.hash)
                                  .where(tuple_(EventRow.case_id, EventRow.seq).in_(chunk)))
        found.update({(c, s): h for c, s, h in rows})
    return found


def access_hashes(tx: Tx, seqs: list[int]) -> dict[int, str]:
    return {s: h for s, h in tx.session.execute(select(AccessRow.seq, AccessRow.hash).where(AccessRow.seq.in_(set(seqs))))}
