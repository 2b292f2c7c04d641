"""The event feed's high water mark (engine.outbox): a page never goes past a gap in the event ids that a
transaction still committing may fill, and passes a gap that a rolled-back transaction left once it is
older than the settle time (the injected clock; no sleeping)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, select

from engine import Engine, outbox
from engine.audit import Event
from engine.errors import RegieError
from engine.providers import SequentialIds
from engine.store.models import EventRow
from tests.conftest import MODELS


@pytest.fixture
def feed_engine(db_url, clock):
    eng = Engine.from_url(db_url, clock=clock, ids=SequentialIds())
    eng.deploy([MODELS])
    yield eng
    eng.store.dispose()


def _insert(conn, case_id: str, seq: int, at, event_id: int | None = None) -> int:
    values = {"case_id": case_id, "seq": seq, "type": "note_added", "at": at, "actor": "test", "payload": "{}",
              "prev_hash": "-", "hash": f"h{seq}"}
    if event_id is not None:
        values["id"] = event_id
    return conn.execute(insert(EventRow.__table__).values(**values).returning(EventRow.__table__.c.id)).scalar_one()


def _ids(engine, after: str | None = None) -> list[int]:
    return [e.id for e in engine.event_feed(after, limit=100).events]


def _last_id(engine) -> int:
    with engine.store.engine.connect() as conn:
        return conn.execute(select(func.max(EventRow.id))).scalar_one()


def test_an_open_gap_holds_the_page_back_until_the_earlier_transaction_commits(feed_engine, clock):
    engine = feed_engine
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    before = _ids(engine)
    cursor = str(before[-1])
    first = engine.store.engine.connect()
    try:
        if engine.store.is_sqlite:
            # SQLite lets one writer at a time in: the first transaction's id is simulated by leaving it
            # free while the second commits the id after it.
            late = _last_id(engine) + 1
            with engine.store.engine.begin() as second:
                later = _insert(second, case_id, 101, clock.now(), event_id=late + 1)
        else:
            first.begin()
            late = _insert(first, case_id, 100, clock.now())          # takes the id, does not commit yet
            with engine.store.engine.begin() as second:
                later = _insert(second, case_id, 101, clock.now())    # a later id, committed first
        assert later > late
        assert _ids(engine, cursor) == [] and engine.event_feed(cursor).next == cursor
        assert _ids(engine) == before                                  # from the start: up to the gap
        if engine.store.is_sqlite:
            with engine.store.engine.begin() as conn:
                _insert(conn, case_id, 100, clock.now(), event_id=late)
        else:
            first.commit()
        assert _ids(engine, cursor) == [late, later]
    finally:
        first.close()


def test_a_gap_left_by_a_rolled_back_transaction_is_passed_after_the_settle_time(feed_engine, clock):
    engine = feed_engine
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    cursor = str(_ids(engine)[-1])
    gap = _last_id(engine) + 1
    if engine.store.is_sqlite:      # a rollback leaves no gap in SQLite; a removed event does
        with engine.store.engine.begin() as conn:
            later = _insert(conn, case_id, 101, clock.now(), event_id=gap + 1)
    else:
        with engine.store.engine.connect() as conn:
            conn.begin()
            assert _insert(conn, case_id, 100, clock.now()) == gap
            conn.rollback()
        with engine.store.engine.begin() as conn:
            later = _insert(conn, case_id, 101, clock.now())
    assert later == gap + 1
    assert _ids(engine, cursor) == []
    clock.advance(seconds=outbox.FEED_SETTLE - 1)
    assert _ids(engine, cursor) == []
    clock.advance(seconds=1)
    page = engine.event_feed(cursor)
    assert [e.id for e in page.events] == [later] and page.next == str(later)


@pytest.mark.parametrize("ending", ["filled", "settled"])
def test_an_event_with_a_past_time_behind_an_open_gap_still_holds_the_page_back(feed_engine, clock, ending):
    """The gap's age is judged by when the engine wrote the event behind it (``stored_at``), not by the
    event's business time: a timer's catch-up round writes its (past) due time as ``at``."""
    engine = feed_engine
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    other = engine.start("aanvraag", {"naam": "Demo Buur"}, actor="cas")   # the late event's case: no lock waits
    cursor = str(_ids(engine)[-1])
    first = engine.store.engine.connect()
    try:
        if engine.store.is_sqlite:
            # One writer at a time: the first transaction's id is held by a row removed after the later commit.
            late = _last_id(engine) + 1
            with engine.store.engine.begin() as conn:
                assert _insert(conn, other, 100, clock.now(), event_id=late) == late
        else:
            first.begin()
            late = _insert(first, other, 100, clock.now())          # takes the id, does not commit yet
        with engine.commands.step("timer") as step:                 # the engine's own write path
            step.lock_case(case_id)
            step.record([Event("note_added", {"tekst": "ingehaald"})], clock.now() - timedelta(hours=2))
        later = _last_id(engine)
        if engine.store.is_sqlite:
            with engine.store.engine.begin() as conn:
                conn.execute(delete(EventRow.__table__).where(EventRow.__table__.c.id == late))
        assert later == late + 1
        assert _ids(engine, cursor) == []                           # the old rule (by ``at``) passed the gap
        clock.advance(seconds=outbox.FEED_SETTLE - 1)
        assert _ids(engine, cursor) == []
        if ending == "filled":
            if engine.store.is_sqlite:
                with engine.store.engine.begin() as conn:
                    _insert(conn, other, 100, clock.now(), event_id=late)
            else:
                first.commit()
            assert _ids(engine, cursor) == [late, later]
        else:
            if not engine.store.is_sqlite:
                first.rollback()
            assert _ids(engine, cursor) == []
            clock.advance(seconds=1)                                # settled by the time it was written
            assert _ids(engine, cursor) == [later]
    finally:
        first.close()


def test_the_settle_time_setting_is_checked():
    assert outbox.settle_setting(None) == 5.0 and outbox.settle_setting("0.5") == 0.5
    for bad in ("vijf", "-1", "nan", "99999"):
        with pytest.raises(RegieError, match="REGIE_FEED_SETTLE"):
            outbox.settle_setting(bad)
