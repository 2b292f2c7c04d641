"""Long cases (issue 6): thousands of rounds end exactly when the model says, and a case never silently stops.

Stock SpiffWorkflow stalls a loop case after ~333 rounds (its tree iterator stops at depth 1,000) and
gets slower every round; Regie compacts the task tree after every step (engine/compaction.py). These
tests drive cases far past that point on both stores, compare each model's behaviour with a run
without compaction, and check the guard that refuses a step which would leave a case stopped.

The four 5,000-round runs take about two minutes together (marked ``slow``: ``-m "not slow"`` skips
them); the rest of the file about half a minute.
"""

from __future__ import annotations

import json

import pytest
from SpiffWorkflow.util.task import TaskState

import engine.cases as cases
from engine import Engine, SequentialIds
from engine.audit import Event
from engine.cases import CaseStalled, check_progress, new_workflow
from engine.errors import IncidentError
from engine.spiff import TaskIdSequence, dump_instance, step_context
from tests.conftest import ROOT

LONG = ROOT / "tests" / "engine" / "long_models"


def open_engine(url: str, clock, cache_size: int = 512) -> Engine:
    eng = Engine.from_url(url, clock=clock, ids=SequentialIds(), cache_size=cache_size)
    eng.deploy([LONG])
    return eng


@pytest.fixture
def live(db_url, clock):
    """SQLite and PostgreSQL, keeping the workflow in memory between steps (as a server does)."""
    eng = open_engine(db_url, clock)
    yield eng
    eng.store.dispose()


@pytest.fixture
def reload(db_url, clock):
    """SQLite and PostgreSQL, restoring the workflow from the store at every step."""
    eng = open_engine(db_url, clock, cache_size=0)
    yield eng
    eng.store.dispose()


def stored_size(eng: Engine, case_id: str) -> int:
    with eng.store.read() as tx:
        return len(tx.case(case_id).state)


def the_task(eng: Engine, case_id: str, name: str):
    [task] = [t for t in eng.tasks(case_id=case_id) if t.name == name]
    return task


def later(eng: Engine, clock, **delta) -> int:
    clock.advance(**delta)
    return eng.fire_due_timers()


# --- the issue's loop, far past the old limit ------------------------------------------------------


def drive_loop(eng: Engine, rounds: int, limit: int) -> tuple[str, dict[int, int]]:
    case_id = eng.start("lange_lus", {"limit": limit})
    sizes = {}
    for n in range(1, rounds + 1):
        [task] = eng.tasks(case_id=case_id)
        assert task.name == "contact"
        eng.complete(task.id, {"verslag": f"ronde {n}"}, actor="anna")
        if n in (10, rounds - 1):
            sizes[n] = stored_size(eng, case_id)
    return case_id, sizes


@pytest.mark.slow
def test_loop_of_5000_rounds_ends_exactly_when_its_condition_says(live):
    case_id, sizes = drive_loop(live, 4999, limit=5000)
    state = live.state(case_id)
    assert (state.status, state.data["n"], state.active) == ("running", 4999, ["contact"])
    assert sizes[4998] - sizes[10] < 16                      # flat: a few more digits at most
    live.complete(live.tasks(case_id=case_id)[0].id, {"verslag": "laatste"}, actor="anna")
    state = live.state(case_id)
    assert (state.status, state.data["n"], live.tasks(case_id=case_id)) == ("completed", 5000, [])
    history = live.history(case_id)
    assert sum(e.type == "task_completed" for e in history) == 5000
    assert (history[-1].type, history[-1].payload) == ("case_completed", {"end": "einde"})
    assert live.verify(case_id)


# --- parallel split/join and a non-interrupting boundary timer in the loop ------------------------


def drive_parallel(eng: Engine, clock, rounds: int, limit: int, remind_every: int) -> tuple[str, int, dict[int, int]]:
    case_id = eng.start("lange_lus_parallel", {"limit": limit})
    reminders, sizes = 0, {}
    for n in range(1, rounds + 1):
        if n % remind_every == 0:
            reminders += later(eng, clock, days=8)          # the reminder fires; the contact task stays
        [task] = eng.tasks(case_id=case_id)
        assert task.name == "contact"
        eng.complete(task.id, {"verslag": f"ronde {n}"}, actor="anna")
        if n % remind_every == 10:
            sizes[n] = stored_size(eng, case_id)
    return case_id, reminders, sizes


@pytest.mark.slow
def test_parallel_loop_with_reminders_runs_5000_rounds(live, clock):
    case_id, reminders, sizes = drive_parallel(live, clock, 4999, limit=5000, remind_every=50)
    assert reminders == 99
    state = live.state(case_id)
    assert (state.status, state.data["n"]) == ("running", 4999)
    assert sorted(state.active) == ["contact", "herinnering", "samen"]   # waiting: the timer, the join
    assert sizes[4960] - sizes[110] < 16    # flat once two reminders left their trace (one folded carrier)
    later(live, clock, days=8)
    live.complete(live.tasks(case_id=case_id)[0].id, {"verslag": "laatste"}, actor="anna")
    state = live.state(case_id)
    assert (state.status, state.data["n"]) == ("completed", 5000)
    assert state.data["herinnerd_in_ronde"] == 5000          # the last reminder's data reached the end
    assert live.history(case_id)[-1].payload == {"end": "einde"}
    assert live.verify(case_id)


def test_restoring_from_the_store_at_every_step_also_passes_the_old_limit(reload, clock):
    # Without compaction the loop stalls in round 333 and the parallel loop fails in round 139.
    loop_id, _ = drive_loop(reload, 340, limit=340)
    parallel_id, reminders, _ = drive_parallel(reload, clock, 150, limit=150, remind_every=7)
    assert reminders == 21
    assert [reload.state(c).status for c in (loop_id, parallel_id)] == ["completed", "completed"]
    assert (reload.state(loop_id).data["n"], reload.state(parallel_id).data["n"]) == (340, 150)
    assert reload.verify()


# --- every model behaves exactly as without compaction --------------------------------------------


def complete(eng, case_id, name, data=None):
    eng.complete(the_task(eng, case_id, name).id, data or {}, actor="test")


def round_lus(eng, clock, case_id, n):
    complete(eng, case_id, "contact", {"verslag": f"ronde {n}"})


def round_parallel(eng, clock, case_id, n):
    if n % 3 == 0:
        later(eng, clock, days=8)
    complete(eng, case_id, "contact", {"verslag": f"ronde {n}"})


def round_deel(eng, clock, case_id, n):
    if n % 5 == 0:
        later(eng, clock, days=31)                             # the sub-process is broken off
        complete(eng, case_id, "tekenen", {"getekend_ronde": n})
        return
    if n % 2:
        complete(eng, case_id, "gesprek", {"gesprek_klaar": False})
    complete(eng, case_id, "gesprek", {"gesprek_klaar": True, "gesprek_ronde": n})
    complete(eng, case_id, "tekenen", {"getekend_ronde": n})


def round_meervoud(eng, clock, case_id, n):
    for _ in range(2):
        complete_first(eng, case_id, "stappen", {"stap_ronde": n}, last=n % 2 == 0)
    for k in range(2):
        complete(eng, case_id, "controles", {"controle": k})
    if n % 2:
        complete(eng, case_id, "bellen", {"bereikt": False})
    complete(eng, case_id, "bellen", {"bereikt": True})


def complete_first(eng, case_id, name, data, last=False):
    tasks = [t for t in eng.tasks(case_id=case_id) if t.name == name]
    eng.complete(tasks[-1 if last else 0].id, data, actor="test")


def round_wachten(eng, clock, case_id, n):
    if n % 4 == 0:
        later(eng, clock, days=15)                             # escalation: the contact task is cancelled
        complete(eng, case_id, "escaleren", {"geescaleerd": n})
    else:
        complete(eng, case_id, "contact", {"verslag": f"ronde {n}"})
    if eng.state(case_id).status == "running":
        later(eng, clock, days=2)                              # the event-based gateway: the short pause


def round_tak(eng, clock, case_id, n):
    if n % 5 == 0:
        later(eng, clock, days=8)
    complete(eng, case_id, "contact", {"verslag": f"ronde {n}"})


def end_tak(eng, clock, case_id):
    complete(eng, case_id, "traject", {"traject": "klaar"})


SCENARIOS = {
    "lange_lus": (round_lus, None),
    "lange_lus_parallel": (round_parallel, None),
    "lange_lus_deel": (round_deel, None),            # sub-process with a loop and a boundary timer, call activity
    "lange_lus_meervoud": (round_meervoud, None),    # parallel and sequential multi-instance, loop marker
    "lange_lus_wachten": (round_wachten, None),      # interrupting boundary timer, event-based gateway, terminate
    "lange_tak_lus": (round_tak, end_tak),           # a loop inside one branch of a parallel split
}


def observe(eng, case_id) -> tuple:
    state = eng.state(case_id)
    return state.status, state.data, state.active, [t.to_dict() for t in eng.tasks(case_id=case_id)]


def run_scenario(url, clock, process, rounds, cache_size):
    eng = open_engine(url, clock, cache_size)
    step, finish = SCENARIOS[process]
    case_id = eng.start(process, {"limit": rounds})
    seen = [observe(eng, case_id)]
    for n in range(1, rounds + 1):
        step(eng, clock, case_id, n)
        seen.append(observe(eng, case_id))
    if finish:
        finish(eng, clock, case_id)
        seen.append(observe(eng, case_id))
    history = [(e.type, e.payload) for e in eng.history(case_id)]
    verified = eng.verify(case_id)
    size = stored_size(eng, case_id)
    eng.store.dispose()
    return seen, history, verified, size


@pytest.mark.parametrize("cache_size", [512, 0], ids=["live", "reload"])
@pytest.mark.parametrize("process", sorted(SCENARIOS))
def test_compaction_changes_nothing_anyone_sees(process, cache_size, tmp_path, clock, monkeypatch):
    start = clock.now()
    with monkeypatch.context() as without:
        without.setattr(cases, "compact", lambda workflow: 0)
        expected = run_scenario(f"sqlite:///{tmp_path / 'zonder.db'}", clock, process, 20, 512)
    clock.set(start)
    seen, history, verified, size = run_scenario(f"sqlite:///{tmp_path / 'met.db'}", clock, process, 20, cache_size)
    assert seen == expected[0]                     # tasks (ids, due dates), data, status, active elements
    assert history == expected[1]                  # decisions, timers, the end event reached
    assert seen[-1][0] == "completed" and verified and expected[2]
    assert size < expected[3] / 10


# --- joins in loops: BPMN semantics, where SpiffWorkflow on its own goes wrong ----------------------


def test_parallel_join_in_a_loop_waits_for_this_rounds_tokens(sqlite_engine):
    # Without compaction SpiffWorkflow counts the token a branch left in an earlier round: in the third
    # round the join fires after one branch and the other branch's task is doubled (docs/long-cases.md).
    sqlite_engine.deploy([LONG])
    case_id = sqlite_engine.start("lange_lus_twee", {"limit": 200})
    for n in range(1, 201):
        first, second = ("wonen", "geld") if n % 3 == 0 else ("geld", "wonen")
        assert sorted(t.name for t in sqlite_engine.tasks(case_id=case_id)) == ["geld", "wonen"]
        complete(sqlite_engine, case_id, first, {first: n})
        state = sqlite_engine.state(case_id)
        assert [t.name for t in sqlite_engine.tasks(case_id=case_id)] == [second]
        assert state.data["n"] == n - 1 and "samen" in state.active
        complete(sqlite_engine, case_id, second, {second: n})
    state = sqlite_engine.state(case_id)
    assert (state.status, state.data["n"]) == ("completed", 200)
    assert sqlite_engine.verify(case_id)


def test_inclusive_join_in_a_loop_waits_for_the_chosen_branches_only(sqlite_engine):
    sqlite_engine.deploy([LONG])
    case_id = sqlite_engine.start("lange_lus_inclusief", {"limit": 200})
    for n in range(1, 201):
        wonen, geld = [(True, True), (True, False), (False, True), (False, False)][n % 4]
        complete(sqlite_engine, case_id, "kiezen", {"wonen": wonen, "geld": geld})
        chosen = [name for name, on in (("geld", geld), ("wonen", wonen)) if on][:: -1 if n % 2 else 1]
        for k, name in enumerate(chosen):
            assert sorted(t.name for t in sqlite_engine.tasks(case_id=case_id)) == sorted(chosen[k:])
            assert sqlite_engine.state(case_id).data["n"] == n - 1
            complete(sqlite_engine, case_id, name, {name + "_ronde": n})
        assert sqlite_engine.state(case_id).data["n"] == n
    assert sqlite_engine.state(case_id).status == "completed"
    assert sqlite_engine.verify(case_id)


def test_a_long_loop_inside_one_parallel_branch_while_the_other_waits(sqlite_engine, clock):
    # Without compaction this case fails in round 246: the waiting branch keeps the split alive.
    sqlite_engine.deploy([LONG])
    case_id = sqlite_engine.start("lange_tak_lus", {"limit": 300})
    for n in range(1, 301):
        if n % 5 == 0:
            assert later(sqlite_engine, clock, days=8) == 1
        assert sorted(t.name for t in sqlite_engine.tasks(case_id=case_id)) == ["contact", "traject"]
        complete(sqlite_engine, case_id, "contact", {"verslag": f"ronde {n}"})
    assert [t.name for t in sqlite_engine.tasks(case_id=case_id)] == ["traject"]
    assert "samen" in sqlite_engine.state(case_id).active
    complete(sqlite_engine, case_id, "traject", {"traject": "klaar"})
    assert sqlite_engine.state(case_id).status == "completed"
    assert sqlite_engine.history(case_id)[-1].payload == {"end": "einde"}
    assert sqlite_engine.verify(case_id)


def test_an_auditor_replays_any_step_to_the_state_that_was_stored(sqlite_engine, clock):
    sqlite_engine.deploy([LONG])
    case_id = sqlite_engine.start("lange_lus_parallel", {"limit": 1000})
    stored = {}
    for n in range(1, 151):
        if n % 7 == 0:
            later(sqlite_engine, clock, days=8)
        complete(sqlite_engine, case_id, "contact", {"verslag": f"ronde {n}"})
        if n in (5, 140, 150):
            with sqlite_engine.store.read() as tx:
                case = tx.case(case_id)
                stored[case.last_seq] = json.loads(case.state)
    for seq, state in stored.items():
        replayed = sqlite_engine.replay(case_id, up_to=seq)
        assert json.loads(json.dumps(dump_instance(replayed.workflow), default=str)) == state


# --- never a silent stop --------------------------------------------------------------------------


def test_a_step_that_claims_completion_without_an_end_event_is_refused(live, monkeypatch):
    case_id = live.start("lange_lus", {"limit": 3})
    task = live.tasks(case_id=case_id)[0]
    real = cases._HANDLERS["task_completed"]

    def completes_silently(live_case, payload, version, script_engine):
        real(live_case, payload, version, script_engine)
        live_case.workflow.completed = True                    # what a lost task tree used to look like

    monkeypatch.setitem(cases._HANDLERS, "task_completed", completes_silently)
    with pytest.raises(IncidentError) as refused:
        live.complete(task.id, {"verslag": "gebeld"}, actor="anna")
    assert "het proces meldt zich klaar, maar heeft geen eindpunt bereikt" in str(refused.value)
    assert "De zaak is niet gewijzigd. Meld dit aan functioneel beheer." in str(refused.value)
    state = live.state(case_id)
    assert (state.status, state.data["n"], [t.id for t in live.tasks(case_id=case_id)]) == ("running", 0, [task.id])
    [incident] = live.incidents(case_id)
    assert (incident.element, incident.kind) == ("nog", "step")    # where the case stood
    assert [e.type for e in live.history(case_id)] == ["case_started", "incident"]
    monkeypatch.undo()
    live.complete(task.id, {"verslag": "gebeld"}, actor="anna")   # after the fix the step goes through
    assert live.state(case_id).data["n"] == 1
    assert live.verify(case_id)


def test_without_compaction_the_step_at_the_depth_limit_would_stall_and_is_refused(sqlite_engine, clock, monkeypatch):
    # The engine's own step function, in memory, with compaction switched off: SpiffWorkflow loses
    # sight of the gateway after the 333rd contact moment, and check_progress refuses that step.
    monkeypatch.setattr(cases, "compact", lambda workflow: 0)
    sqlite_engine.deploy([LONG])
    version = sqlite_engine.current_version("lange_lus")
    script_engine = sqlite_engine.script_engine
    live, _ = cases.apply_event(None, Event("case_started", {"data": {"limit": 5000}}), clock.now(), "zaak",
                                version, script_engine)
    rounds = 0
    with pytest.raises(CaseStalled, match="de volgende stap wordt niet uitgevoerd") as refused:
        for n in range(1, 400):
            rounds = n
            [task] = cases.ready_user_tasks(live.workflow)
            live, _ = cases.apply_event(live, Event("task_completed", {"task_id": str(task.id)}), clock.now(),
                                        "zaak", version, script_engine)
    assert rounds == 333
    assert refused.value.element_id == "nog"                  # the gateway SpiffWorkflow lost sight of


def test_a_case_with_nothing_ready_or_waiting_is_not_left_running(sqlite_engine, clock):
    sqlite_engine.deploy([LONG])
    version = sqlite_engine.current_version("lange_lus")
    workflow = new_workflow(version, sqlite_engine.script_engine)
    with step_context(clock.now(), TaskIdSequence("lange_lus")):
        workflow.task_tree.data.update({"limit": 2})
        workflow.do_engine_steps()
    check_progress(workflow)                                       # the contact task is ready
    for task in workflow.tasks.values():
        if not task.has_state(TaskState.FINISHED_MASK):
            task._set_state(TaskState.CANCELLED)
    with pytest.raises(CaseStalled, match="er staat geen taak meer open"):
        check_progress(workflow)
