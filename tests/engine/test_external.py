"""External tasks (engine.external): workers fetch-and-lock by topic, complete, fail with retries and back-off
(an incident when they run out), throw a BPMN error a boundary event catches; locks run out on the injected
clock; every change is an event that replay and verify follow. Built-in connectors: e-mail over SMTP."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from engine import Engine, SequentialIds, external
from engine.errors import InvalidData, NotFoundError

MODELS = Path(__file__).parent / "external_models"


@pytest.fixture
def deployed(engine):
    engine.deploy([MODELS])
    return engine


def _types(engine, case_id):
    return [h.type for h in engine.history(case_id)]


def test_an_external_task_waits_for_a_worker_not_for_a_person(deployed):
    case_id = deployed.start("adrescheck", {"naam": "Demo"})
    assert deployed.tasks(case_id=case_id) == []           # nothing in anyone's inbox
    [task] = external.list_tasks(deployed, case_id=case_id)
    assert (task.topic, task.element, task.status, task.worker_id) == ("brp-adres", "check", "open", None)


def test_a_worker_fetches_locks_and_completes_with_variables(deployed, clock):
    case_id = deployed.start("adrescheck", {"naam": "Demo"})
    [locked] = external.fetch_and_lock(deployed, "brp-werker", ["brp-adres"], max_tasks=5, lock_seconds=60)
    assert (locked.case_id, locked.variables, locked.locked_until) == (case_id, {"naam": "Demo"},
                                                                      clock.now() + timedelta(seconds=60))
    assert external.fetch_and_lock(deployed, "ander", ["brp-adres"], 5, 60) == []   # held
    external.complete(deployed, locked.id, "brp-werker", {"adres_gevonden": True})
    state = deployed.state(case_id)
    assert state.status == "completed" and state.data["adres_gevonden"] is True
    assert external.list_tasks(deployed, case_id=case_id) == []
    assert _types(deployed, case_id)[1:3] == ["external_task_locked", "task_completed"]
    completed = deployed.history(case_id)[2].payload
    assert (completed["worker"], completed["topic"], completed["title"]) == ("brp-werker", "brp-adres",
                                                                             "Adres controleren in de BRP")
    assert deployed.verify(case_id).problems == []


def test_complete_by_another_worker_is_refused_and_writes_nothing(deployed):
    case_id = deployed.start("adrescheck", {"naam": "Demo"})
    [locked] = external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60)
    before = len(deployed.history(case_id))
    with pytest.raises(external.NotLocked, match="niet vastgehouden door werker 'w2'.*werker 'w1'"):
        external.complete(deployed, locked.id, "w2", {"adres_gevonden": True})
    with pytest.raises(external.NotLocked):
        external.failure(deployed, locked.id, "w2", "kapot", 0)
    with pytest.raises(external.NotLocked):
        external.bpmn_error(deployed, locked.id, "w2", "ADRES_ONBEKEND")
    assert len(deployed.history(case_id)) == before
    with pytest.raises(NotFoundError):
        external.complete(deployed, "geen-taak", "w1", {})


def test_a_worker_killed_while_holding_a_lock_frees_the_task_when_the_lock_runs_out(deployed, clock):
    case_id = deployed.start("adrescheck", {"naam": "Demo"})
    [first] = external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60)
    clock.advance(seconds=59)
    assert external.fetch_and_lock(deployed, "w2", ["brp-adres"], 1, 60) == []
    clock.advance(seconds=1)                                  # w1 died: its lock runs out
    [second] = external.fetch_and_lock(deployed, "w2", ["brp-adres"], 1, 60)
    assert second.id == first.id
    with pytest.raises(external.NotLocked):                   # w1 comes back too late
        external.complete(deployed, first.id, "w1", {"adres_gevonden": True})
    external.complete(deployed, second.id, "w2", {"adres_gevonden": True})
    assert deployed.state(case_id).status == "completed"
    assert deployed.verify(case_id).problems == []


def test_failures_back_off_then_run_out_into_an_incident_and_a_retry_resumes(deployed, clock):
    case_id = deployed.start("adrescheck", {"naam": "Demo"})
    [task] = external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60)
    view = external.failure(deployed, task.id, "w1", "BRP antwoordt niet", retries=1, retry_seconds=30)
    assert (view.retries, view.retry_at, view.worker_id) == (1, clock.now() + timedelta(seconds=30), None)
    assert external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60) == []     # back-off
    clock.advance(seconds=30)
    [again] = external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60)
    assert again.retries == 1
    with pytest.raises(external.NotStopped):          # a task with retries left is not the admin's to reset
        external.retry(deployed, again.id, retries=3)
    external.failure(deployed, again.id, "w1", "BRP antwoordt nog steeds niet", retries=0)
    [incident] = deployed.incidents(case_id)
    assert incident.kind == "external" and "BRP antwoordt nog steeds niet" in incident.message
    clock.advance(days=1)
    assert external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60) == []     # stopped
    with pytest.raises(InvalidData):
        external.retry(deployed, task.id, retries=0)
    external.retry(deployed, task.id, retries=2, actor="beheer")
    assert deployed.incidents(case_id) == []
    [resumed] = external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60)
    external.complete(deployed, resumed.id, "w1", {"adres_gevonden": False})
    assert deployed.state(case_id).active == ["nazoeken"]
    assert _types(deployed, case_id).count("external_task_failed") == 2
    assert "incident" in _types(deployed, case_id) and "external_task_retried" in _types(deployed, case_id)
    assert deployed.verify(case_id).problems == []


def test_a_bpmn_error_is_caught_by_the_error_boundary_event(deployed):
    case_id = deployed.start("adrescheck", {"naam": "Demo"})
    [task] = external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60)
    before = len(deployed.history(case_id))
    with pytest.raises(InvalidData, match="vangt de fout 'ANDERS'"):        # no boundary for this code
        external.bpmn_error(deployed, task.id, "w1", "ANDERS")
    assert len(deployed.history(case_id)) == before
    external.bpmn_error(deployed, task.id, "w1", "ADRES_ONBEKEND", "Niet in de BRP", {"bron": "brp"})
    state = deployed.state(case_id)
    assert state.active == ["nazoeken"] and state.data["bron"] == "brp"
    assert [t.name for t in deployed.tasks(case_id=case_id)] == ["nazoeken"]
    assert external.list_tasks(deployed, case_id=case_id) == []
    assert _types(deployed, case_id)[-1] == "external_task_error"
    assert deployed.verify(case_id).problems == []
    assert deployed.replay(case_id).workflow is not None


@pytest.mark.parametrize("kwargs, field", [
    ({"worker_id": ""}, "worker_id"),
    ({"topics": []}, "topics"),
    ({"max_tasks": 0}, "max_tasks"),
    ({"lock_seconds": 0}, "lock_duration"),
])
def test_fetch_refuses_bad_input(deployed, kwargs, field):
    deployed.start("adrescheck", {"naam": "Demo"})
    arguments = {"worker_id": "w1", "topics": ["brp-adres"], "max_tasks": 1, "lock_seconds": 60, **kwargs}
    with pytest.raises(InvalidData) as refused:
        external.fetch_and_lock(deployed, **arguments)
    assert refused.value.problems[0].field == field
    assert external.list_tasks(deployed)[0].worker_id is None


def test_variables_with_names_a_model_cannot_use_are_refused(deployed):
    case_id = deployed.start("adrescheck", {"naam": "Demo"})
    [task] = external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60)
    before = len(deployed.history(case_id))
    for bad in ({"1x": 1}, {"_intern": 1}, ["geen", "object"]):
        with pytest.raises(InvalidData):
            external.complete(deployed, task.id, "w1", bad)
    with pytest.raises(InvalidData) as refused:
        external.failure(deployed, task.id, "w1", " ", retries=-1)
    assert {p.field for p in refused.value.problems} == {"error_message", "retries"}
    assert len(deployed.history(case_id)) == before


def test_two_workers_racing_for_one_task_only_one_gets_it(db_url, clock):
    engines = [Engine.from_url(db_url, clock=clock, ids=SequentialIds(f"w{i}")) for i in range(2)]
    try:
        engines[0].deploy([MODELS])
        engines[0].start("adrescheck", {"naam": "Demo"})
        barrier, got = threading.Barrier(2), {}

        def worker(n):
            barrier.wait()
            got[n] = external.fetch_and_lock(engines[n], f"w{n}", ["brp-adres"], 1, 60)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(len(v) for v in got.values()) == [0, 1]
        winner = next(n for n, v in got.items() if v)
        [locked] = got[winner]
        assert [h.type for h in engines[0].history(locked.case_id)].count("external_task_locked") == 1
        external.complete(engines[1 - winner], locked.id, f"w{winner}", {"adres_gevonden": True})   # any process
        assert engines[0].verify(locked.case_id).problems == []
    finally:
        for e in engines:
            e.store.dispose()


def test_a_model_names_its_topic_and_known_connectors(engine, tmp_path):
    source = (MODELS / "adrescheck.bpmn").read_text()
    (tmp_path / "zonder.bpmn").write_text(source.replace(' camunda:topic="brp-adres"', ""))
    [problem] = engine.validate([tmp_path / "zonder.bpmn"])
    assert problem.element_id == "check" and "Geef het topic" in problem.message
    (tmp_path / "zonder.bpmn").unlink()
    brief = (MODELS / "brief.bpmn").read_text()
    (tmp_path / "fax.bpmn").write_text(brief.replace('regie:connector="email"', 'regie:connector="fax"'))
    [problem] = engine.validate([tmp_path / "fax.bpmn"])
    assert "De connector 'fax' kent Regie niet" in problem.message


# --- the e-mail connector, against an SMTP server on loopback -----------------------------------------

class _Mailbox:
    """An aiosmtpd handler that refuses the first ``refuse`` messages, then keeps them."""

    def __init__(self, refuse: int = 0):
        self.refuse, self.messages = refuse, []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 Probeer het later nog eens"
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    boxes = []

    def start(refuse=0):
        box = _Mailbox(refuse)
        with socket.socket() as probe:        # a free port on loopback
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(box, hostname="127.0.0.1", port=port)
        controller.start()
        boxes.append(controller)
        box.settings = external.SmtpSettings("127.0.0.1", port, "regie@gemeente.test", 5)
        return box

    yield start
    for controller in boxes:
        controller.stop()


def test_in_demo_mode_without_a_mail_server_mail_goes_into_a_folder(deployed, tmp_path, monkeypatch):
    """A demo (make run) has no mail server: its mail lands as .eml files, not as failed steps and incidents."""
    monkeypatch.setenv("REGIE_DEMO", "1")
    monkeypatch.delenv("REGIE_SMTP_HOST", raising=False)
    monkeypatch.setenv("REGIE_MAIL_FOLDER", str(tmp_path / "mail"))
    case_id = deployed.start("brief", {"naam": "Demo Ouder", "email": "ouder@example.test", "nummer": "17"})
    assert external.run_connectors(deployed, "s1") == 1
    [mail] = list((tmp_path / "mail").glob("*.eml"))
    assert "Subject: Uw aanvraag 17" in mail.read_text() and oct(mail.stat().st_mode)[-3:] == "600"
    assert deployed.state(case_id).active == ["controle"]
    monkeypatch.delenv("REGIE_MAIL_FOLDER")
    assert external.SmtpSettings.from_env().folder == "instance/mail"
    monkeypatch.setenv("REGIE_SMTP_HOST", "mail.gemeente.test")            # a mail server set: it is used
    assert external.SmtpSettings.from_env().folder is None
    monkeypatch.delenv("REGIE_SMTP_HOST")
    monkeypatch.delenv("REGIE_DEMO")                                        # outside demo mode: never a folder
    assert external.SmtpSettings.from_env().folder is None


def test_the_email_connector_sends_over_smtp_and_the_case_moves_on(deployed, smtp):
    box = smtp()
    case_id = deployed.start("brief", {"naam": "Demo Ouder", "email": "ouder@example.test", "nummer": "17"})
    assert external.run_connectors(deployed, "s1", box.settings) == 1
    [mail] = box.messages
    assert mail.rcpt_tos == ["ouder@example.test"]
    text = mail.content.decode()
    assert "Subject: Uw aanvraag 17" in text and "Beste Demo Ouder" in text
    assert deployed.state(case_id).active == ["controle"]        # on to the next external task
    assert [t.topic for t in external.list_tasks(deployed, case_id=case_id)] == ["zaaksysteem"]
    assert deployed.verify(case_id).problems == []


def test_a_failing_connector_retries_with_back_off_then_leaves_an_incident(deployed, smtp, clock):
    box = smtp(refuse=10)
    case_id = deployed.start("brief", {"naam": "Demo", "email": "ouder@example.test", "nummer": "18"})
    waits = []
    for _ in range(external.CONNECTOR_RETRIES):
        assert external.run_connectors(deployed, "s1", box.settings) == 0
        [row] = external.list_tasks(deployed, case_id=case_id)
        waits.append((row.retry_at - clock.now()).total_seconds())
        assert external.run_connectors(deployed, "s1", box.settings) == 0     # backing off: not fetched
        clock.set(row.retry_at)
    assert waits == [60.0, 120.0, 240.0]
    assert external.run_connectors(deployed, "s1", box.settings) == 0
    [incident] = deployed.incidents(case_id)
    assert "mailserver" in incident.message and incident.kind == "external"
    # The coordinator reads plain Dutch and what to do; host, port and OS error stay for beheer (task, event).
    assert incident.message == ("De e-mail kon niet worden verstuurd: de mailserver antwoordt niet of neemt het "
                                "bericht niet aan. Regie probeert het niet meer. Vraag functioneel beheer het "
                                "probleem op te lossen en de stap opnieuw te laten proberen.")
    [row] = external.list_tasks(deployed, case_id=case_id)
    failed = [e for e in deployed.history(case_id) if e.type == "external_task_failed"][-1]
    assert "127.0.0.1" in row.error and failed.payload["message"] == row.error
    box.refuse = 0
    external.retry_case(deployed, case_id)
    assert external.run_connectors(deployed, "s1", box.settings) == 1
    assert len(box.messages) == 1 and deployed.incidents(case_id) == []
    assert deployed.verify(case_id).problems == []


def test_the_scheduler_runs_the_connectors_in_its_integration_job(deployed, smtp, monkeypatch):
    from types import SimpleNamespace

    from engine.jobs import add_integration_jobs, run_integration

    box = smtp()
    monkeypatch.setenv("REGIE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REGIE_SMTP_PORT", str(box.settings.port))
    deployed.start("brief", {"naam": "Demo", "email": "ouder@example.test", "nummer": "19"})
    scheduler = SimpleNamespace(engine=deployed, name="s1", interval=5)
    jobs = []
    add_integration_jobs(scheduler, SimpleNamespace(add_job=lambda *a, **k: jobs.append(k["id"])))
    assert jobs == ["regie-integration"]
    assert run_integration(scheduler) == 1 and len(box.messages) == 1


def test_a_boundary_timer_takes_over_from_a_stopped_external_task_and_ends_its_incident(deployed, clock):
    case_id = deployed.start("termijn", {})
    [task] = external.fetch_and_lock(deployed, "zgw", ["zgw-registratie"], 1, 60)
    external.failure(deployed, task.id, "zgw", "Zaaksysteem weigert", 0)
    assert [i.kind for i in deployed.incidents(case_id)] == ["external"]
    clock.advance(hours=4, seconds=1)
    deployed.fire_due_timers()
    assert deployed.state(case_id).active == ["zelf"]
    assert external.list_tasks(deployed, case_id=case_id) == [] and deployed.incidents(case_id) == []
    assert deployed.verify(case_id).problems == []


def test_a_retry_records_that_the_incident_is_resolved(deployed):
    case_id = deployed.start("adrescheck", {"naam": "Demo"})
    [task] = external.fetch_and_lock(deployed, "w1", ["brp-adres"], 1, 60)
    external.failure(deployed, task.id, "w1", "BRP weg", 0)
    external.retry(deployed, task.id, 1, "beheer")
    assert [h.type for h in deployed.history(case_id)][-2:] == ["external_task_retried", "incident_resolved"]
