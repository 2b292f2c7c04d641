"""verify covers every stored fact: each altered table and column is named, with case and event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, update

from engine.store.models import CaseRow, EventRow, TaskRow, TimerRow, VersionRow
from tests.conftest import MODELS, ROOT

TIMERS = ROOT / "tests" / "engine" / "timer_models" / "timer_terugbellen.bpmn"


def _cases(eng, clock):
    eng.deploy([MODELS])
    eng.deploy([TIMERS])
    aanvraag = eng.start("aanvraag", {"naam": "Fictieve Bewoner"}, actor="anna")
    eng.complete(eng.tasks(case_id=aanvraag)[0].id, {"akkoord": True, "bedrag": 5}, actor="anna")
    eng.claim(eng.tasks(case_id=aanvraag)[0].id, "sam")
    terugbellen = eng.start("timer_terugbellen", {}, actor="anna")
    clock.advance(timedelta(hours=9))
    assert eng.fire_due_timers() == 1
    return aanvraag, terugbellen


@pytest.fixture
def cases(engine, clock):
    return _cases(engine, clock)


@pytest.fixture
def sqlite_cases(sqlite_engine, clock):
    return _cases(sqlite_engine, clock)


def test_an_untouched_store_verifies_with_tasks_timers_claims_and_subject(engine, cases):
    result = engine.verify()
    assert result, str(result)
    assert result.cases == 2 and result.findings == []


def _change(eng, statement):
    with eng.store.write() as tx:
        tx.session.execute(statement)


# (what is altered, statement builder, expected table, column, event) -- the case is the aanvraag case
# unless the builder says otherwise.
ALTERATIONS = [
    ("cases.status", lambda a, t: update(CaseRow).where(CaseRow.id == a).values(status="completed"), "cases", "status", 2),
    ("cases.data", lambda a, t: update(CaseRow).where(CaseRow.id == a).values(data='{"naam":"X","bedrag":5000}'),
     "cases", "data", 2),
    ("cases.active", lambda a, t: update(CaseRow).where(CaseRow.id == a).values(active='["end_klaar"]'), "cases", "active", 2),
    ("cases.subject", lambda a, t: update(CaseRow).where(CaseRow.id == a).values(subject="Iemand Anders"), "cases", "subject", 1),
    ("cases.task_counter", lambda a, t: update(CaseRow).where(CaseRow.id == a).values(task_counter=99), "cases", "task_counter", 2),
    ("cases.process_id", lambda a, t: update(CaseRow).where(CaseRow.id == a).values(process_id="loket"), "cases", "process_id", 1),
    ("cases.created_by", lambda a, t: update(CaseRow).where(CaseRow.id == a).values(created_by="mallory"), "cases", "created_by", 1),
    ("cases.state", lambda a, t: update(CaseRow).where(CaseRow.id == a).values(state='{"tasks":{}}'), "cases", "state", 2),
    ("tasks.assignee", lambda a, t: update(TaskRow).where(TaskRow.case_id == a, TaskRow.state == "open")
     .values(assignee="mallory"), "tasks", "assignee", 4),
    ("tasks.state", lambda a, t: update(TaskRow).where(TaskRow.case_id == a, TaskRow.state == "open")
     .values(state="completed"), "tasks", "state", 2),
    ("tasks.completed_by", lambda a, t: update(TaskRow).where(TaskRow.case_id == a, TaskRow.name == "intake")
     .values(completed_by="mallory"), "tasks", "completed_by", 2),
    ("tasks.role", lambda a, t: update(TaskRow).where(TaskRow.case_id == a, TaskRow.state == "open")
     .values(role="coordinator"), "tasks", "role", 2),
    ("tasks.due_at", lambda a, t: update(TaskRow).where(TaskRow.case_id == a, TaskRow.name == "intake")
     .values(due_at=None), "tasks", "due_at", 1),
    ("tasks.title", lambda a, t: update(TaskRow).where(TaskRow.case_id == a, TaskRow.name == "intake")
     .values(title="Iets anders"), "tasks", "title", 1),
    ("tasks row removed", lambda a, t: delete(TaskRow).where(TaskRow.case_id == a, TaskRow.name == "intake"),
     "tasks", "id", 1),
    ("timers.due_at", lambda a, t: update(TimerRow).where(TimerRow.case_id == t).values(
        due_at=datetime(2027, 1, 1, tzinfo=UTC)), "timers", "due_at", 2),
    ("timers row removed", lambda a, t: delete(TimerRow).where(TimerRow.case_id == t), "timers", "task_id", 2),
]


@pytest.mark.parametrize("what, statement, table, column, seq", ALTERATIONS, ids=[a[0] for a in ALTERATIONS])
def test_each_altered_column_is_named_with_case_table_column_and_event(sqlite_engine, sqlite_cases, what, statement,
                                                                      table, column, seq):
    aanvraag, terugbellen = sqlite_cases
    _change(sqlite_engine, statement(aanvraag, terugbellen))
    result = sqlite_engine.verify()
    assert not result
    case = terugbellen if table == "timers" else aanvraag
    named = [(f.case_id, f.table, f.column, f.seq) for f in result.findings]
    assert (case, table, column, seq) in named, str(result)
    assert f"zaak {case}, tabel {table}, kolom {column}, event {seq}: " in str(result)


def test_a_task_row_that_no_event_explains_is_named(sqlite_engine, sqlite_cases):
    aanvraag, _ = sqlite_cases
    with sqlite_engine.store.read() as tx:
        row = tx.case_tasks(aanvraag)[0]
    values = {c: getattr(row, c) for c in TaskRow.__table__.columns.keys()}
    _change(sqlite_engine, insert(TaskRow).values({**values, "id": "00000000-0000-0000-0000-00000000beef"}))
    result = sqlite_engine.verify(aanvraag)
    assert "tabel tasks, kolom id: de rij van taak 'Intake doen' (00000000) volgt niet uit de events" in str(result)


def test_an_extra_timer_row_is_named(sqlite_engine, sqlite_cases, clock):
    _, terugbellen = sqlite_cases
    _change(sqlite_engine, insert(TimerRow).values(case_id=terugbellen, task_id="x", element="te_laat",
                                                   due_at=clock.now(), status="waiting", attempts=0))
    assert "tabel timers, kolom task_id, event 2: de timer bij 'te_laat' wacht volgens de events niet (meer)" in \
        str(sqlite_engine.verify(terugbellen))


def test_an_altered_model_text_is_named(sqlite_engine, sqlite_cases):
    aanvraag, _ = sqlite_cases
    version = sqlite_engine.state(aanvraag).version_id
    with sqlite_engine.store.read() as tx:
        bundle = json.loads(tx.version(version).bundle)
    bundle["bpmn"] = {k: v.replace("bedrag &lt; 1000", "bedrag &lt; 100000") for k, v in bundle["bpmn"].items()}
    _change(sqlite_engine, update(VersionRow).where(VersionRow.id == version).values(bundle=json.dumps(bundle)))
    result = sqlite_engine.verify(aanvraag)
    assert f"tabel process_versions, kolom bundle: de modelbestanden van versie {version[:12]}" in str(result)


def test_verify_of_every_case_names_an_altered_model_text_for_each_case_on_it(sqlite_engine, sqlite_cases, clock):
    """verify() checks each version's files once per run; every case on the altered version is still named."""
    aanvraag, _ = sqlite_cases
    second = sqlite_engine.start("aanvraag", {"naam": "Tweede Bewoner"}, actor="anna")
    version = sqlite_engine.state(aanvraag).version_id
    with sqlite_engine.store.read() as tx:
        bundle = json.loads(tx.version(version).bundle)
    bundle["bpmn"] = {k: v.replace("bedrag &lt; 1000", "bedrag &lt; 100000") for k, v in bundle["bpmn"].items()}
    _change(sqlite_engine, update(VersionRow).where(VersionRow.id == version).values(bundle=json.dumps(bundle)))
    result = sqlite_engine.verify()
    named = {f.case_id for f in result.findings if f.table == "process_versions"}
    assert named == {aanvraag, second}, str(result)


def test_an_altered_recorded_decision_is_named(sqlite_engine, sqlite_cases):
    """Rewriting a gateway decision and every hash after it: the chain is whole, the replay disagrees."""
    from engine.audit import event_hash
    from engine.privacy.keys import seal, unseal

    aanvraag, _ = sqlite_cases
    with sqlite_engine.store.write() as tx:
        rows = tx.stored_events(aanvraag)      # an insider with the case key: re-seals the changed values
        key = tx.case_key(aanvraag)
        payload = unseal(json.loads(rows[2].payload), key, aanvraag, 3)
        payload["values"]["bedrag"] = 7
        rows[2].payload = json.dumps(seal(payload, key, aanvraag, 3), sort_keys=True, separators=(",", ":"))
        prev = rows[1].hash
        for row in rows[2:]:
            row.prev_hash = prev
            row.hash = prev = event_hash(prev, aanvraag, row.seq, row.type, row.at, row.actor, row.payload)
        case = tx.case(aanvraag)
        case.last_hash = prev
        tx.session.flush()
    result = sqlite_engine.verify(aanvraag)
    assert "tabel case_events, kolom payload, event 3: de vastgelegde beslissing komt niet overeen" in str(result)


def test_the_deleted_last_event_is_found(sqlite_engine, sqlite_cases):
    aanvraag, _ = sqlite_cases
    _change(sqlite_engine, delete(EventRow).where(EventRow.case_id == aanvraag, EventRow.seq == 4))
    assert "tabel cases, kolom last_hash, event 3: het laatste event is 3, maar de zaak verwijst naar event 4" in \
        str(sqlite_engine.verify(aanvraag))


def test_the_casemanager_column_and_handed_over_tasks_are_replayed(sqlite_engine, sqlite_cases):
    aanvraag, _ = sqlite_cases
    _change(sqlite_engine, update(CaseRow).where(CaseRow.id == aanvraag).values(casemanager="mallory"))
    assert "tabel cases, kolom casemanager" in str(sqlite_engine.verify(aanvraag))
