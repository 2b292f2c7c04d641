"""Stored time-travel checkpoints (engine.audit.checkpoints): written by verify, by the first view and by the
scheduler; used by a first view in any process; never used when they do not match the chain or do not open."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine.audit import checkpoints, travel
from engine.audit.travel import TimeTravel
from engine.store.models import CaseCheckpointRow
from tests.conftest import MODELS

EVERY = 2


@pytest.fixture
def case(engine, monkeypatch):
    monkeypatch.setattr(checkpoints, "EVERY", EVERY)
    engine.deploy([MODELS])
    case_id = engine.start("aanvraag", {"naam": "Fictieve Bewoner"}, actor="anna")
    engine.complete(engine.tasks(case_id=case_id)[0].id, {"akkoord": True, "bedrag": 5}, actor="anna")
    engine.complete(engine.tasks(case_id=case_id)[0].id, {}, actor="sam")
    return case_id


def stored(engine, case_id) -> dict[int, CaseCheckpointRow]:
    with engine.store.read() as tx:
        rows = tx.session.scalars(select(CaseCheckpointRow).where(CaseCheckpointRow.case_id == case_id))
        return {r.seq: r for r in rows}


@pytest.fixture
def replayed(monkeypatch):
    """The events each replay of time travel was given (how far it had to replay)."""
    seen: list[list[int]] = []
    real = travel.replay

    def spy(engine, case_id, version, events, **kwargs):
        events = list(events)
        seen.append([e.seq for e in events])
        return real(engine, case_id, version, events, **kwargs)

    monkeypatch.setattr(travel, "replay", spy)
    return seen


def test_verify_stores_them_and_a_first_view_in_another_process_replays_only_from_the_nearest(engine, case, replayed):
    assert engine.verify(case)
    assert sorted(stored(engine, case)) == [2, 4]
    full = {m.seq: m for m in TimeTravel(engine, stored=False).walk(case)}
    for seq in range(1, 6):
        replayed.clear()
        assert TimeTravel(engine, every=EVERY).at(case, seq) == full[seq]     # a new process: nothing in memory
        first = 2 * (seq // 2)
        assert replayed == [list(range(first + 1, seq + 1)) if first else list(range(1, seq + 1))]


def test_a_first_view_stores_them_when_verify_has_not(engine, case, replayed):
    assert stored(engine, case) == {}
    TimeTravel(engine, every=EVERY).at(case, 5)
    assert sorted(stored(engine, case)) == [2, 4]
    replayed.clear()
    TimeTravel(engine, every=EVERY).at(case, 5)
    assert replayed == [[5]]


def test_personal_values_are_sealed_in_a_checkpoint(engine, case):
    assert engine.verify(case)
    rows = stored(engine, case)
    assert rows and all(r.sealed_with == "case" for r in rows.values())
    assert not any("Fictieve" in r.content or "Bewoner" in r.content for r in rows.values())


def _forge(engine, case_id, seq, event_hash, content_of):
    """A checkpoint at ``seq`` that says it follows ``event_hash``, holding the genuine replay of event
    ``content_of``, sealed properly (so only the check against the chain can refuse it)."""
    with engine.store.read() as tx:
        row = tx.session.get(CaseCheckpointRow, (case_id, content_of))
        genuine = checkpoints.open_row(tx, row)
    genuine.seq, genuine.hash = seq, event_hash
    with engine.store.write() as tx:
        tx.session.execute(CaseCheckpointRow.__table__.delete().where(CaseCheckpointRow.case_id == case_id,
                                                                      CaseCheckpointRow.seq == seq))
        tx.session.add(checkpoints.seal(tx, case_id, genuine, engine.clock.now()))


def test_a_checkpoint_that_does_not_match_the_chain_is_not_used(engine, case, replayed):
    assert engine.verify(case)
    full = TimeTravel(engine, stored=False).at(case, 5)
    real_hash = stored(engine, case)[4].event_hash
    _forge(engine, case, 4, "0" * 64, content_of=2)              # the replay of event 2, posing as event 4
    replayed.clear()
    assert TimeTravel(engine, every=EVERY).at(case, 5) == full
    assert replayed[-1] == [1, 2, 3, 4, 5]                       # replayed from the start
    assert 4 not in stored(engine, case) or stored(engine, case)[4].event_hash == real_hash   # dropped, rebuilt

    # the same forgery with the right hash is used (and gives another answer): so it was the hash that refused it
    _forge(engine, case, 4, real_hash, content_of=2)
    assert TimeTravel(engine, every=EVERY).at(case, 5) != full


@pytest.mark.parametrize("change", ["content", "seq", "format", "key"])
def test_a_changed_checkpoint_is_not_used(engine, case, replayed, change):
    assert engine.verify(case)
    full = TimeTravel(engine, stored=False).at(case, 5)
    rows = stored(engine, case)
    values = {
        "content": {"content": rows[4].content[:-6] + ("AAAAAA" if not rows[4].content.endswith("AAAAAA") else "BBBBBB")},
        "seq": {"content": rows[2].content, "event_hash": rows[2].event_hash},  # event 2's checkpoint moved to 4
        "format": {"format": "regie-checkpoint-0;spiff-3.0"},                   # an older engine's
        "key": {"sealed_with": "master:test"},                                   # not what it was sealed with
    }[change]
    if change == "seq":       # the chain's hash at 4, so only the seal can refuse it
        values["event_hash"] = rows[4].event_hash
    with engine.store.write() as tx:
        tx.session.execute(update(CaseCheckpointRow).where(CaseCheckpointRow.case_id == case,
                                                           CaseCheckpointRow.seq == 4).values(**values))
    replayed.clear()
    assert TimeTravel(engine, every=EVERY).at(case, 5) == full
    assert replayed[-1][0] == 3           # from the intact checkpoint at 2


def test_verify_never_reads_them(engine, case):
    assert engine.verify(case)
    with engine.store.write() as tx:
        tx.session.execute(update(CaseCheckpointRow).values(content="v1:garbage"))
    assert engine.verify(case)


def test_a_case_without_a_key_is_sealed_with_one_derived_from_the_master_key(engine, case, monkeypatch):
    assert engine.verify(case)
    with engine.store.read() as tx:
        point = checkpoints.open_row(tx, tx.session.get(CaseCheckpointRow, (case, 4)))
        monkeypatch.setattr(type(tx), "case_key_row", lambda self, case_id: None)    # as if it had none
        row = checkpoints.seal(tx, case, point, engine.clock.now())
        assert row.sealed_with == "master:test"
        assert checkpoints.encode(checkpoints.open_row(tx, row)) == checkpoints.encode(point)


def test_the_scheduler_builds_them_once_a_day(engine, case):
    from engine.scheduler import Scheduler

    scheduler = Scheduler(engine, name="s1")
    assert scheduler.checkpoints_if_due(engine.clock.now(), cases=1) == 1
    assert sorted(stored(engine, case)) == [2, 4]
    assert scheduler._checkpoints_after == case                       # a full batch: more may follow
    assert scheduler.checkpoints_if_due(engine.clock.now(), cases=1) == 0
    assert scheduler._checkpoints_after is None                       # none left: done until tomorrow
    engine.store.engine.dispose()
    with engine.store.write() as tx:
        tx.session.execute(CaseCheckpointRow.__table__.delete())
    assert Scheduler(engine, name="s2").checkpoints_if_due(engine.clock.now()) == 0
    engine.clock.advance(days=1)
    assert Scheduler(engine, name="s2").checkpoints_if_due(engine.clock.now()) == 1
    assert sorted(stored(engine, case)) == [2, 4]


def test_the_scheduler_runs_them_in_a_job_of_their_own(engine):
    from types import SimpleNamespace

    from engine.scheduler import Scheduler

    jobs = []
    Scheduler(engine, name="s1")._add_job(SimpleNamespace(add_job=lambda *a, **k: jobs.append(k["id"])))
    assert "regie-checkpoints" in jobs and "regie-timers" in jobs


def test_a_verify_that_finds_a_difference_stores_none(engine, case):
    with engine.store.write() as tx:
        tx.case(case).status = "running"          # the case completed; its row says otherwise
    assert not engine.verify(case)
    assert stored(engine, case) == {}
