"""The 21 reference diagrams of the OMG BPMN MIWG test suite, as drawn by many modelling tools.

Each file is either accepted or refused with the element and the reason (never a traceback); every
process marked executable deploys and runs to an end event with its tasks completed here; the others
deploy as documentation when asked. The corpus lives outside the project (``../shared/bpmn-corpus``);
these tests are skipped where it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import ModelError, external
from engine.definitions import NotExecutable
from tests.conftest import ROOT

CORPUS = ROOT.parent / "shared" / "bpmn-corpus" / "miwg"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"MIWG-corpus niet gevonden in {CORPUS}")

ALL = ["A.1.0", "A.2.0", "A.2.1", "A.3.0", "A.4.0", "A.4.1", "B.1.0", "B.2.0", "C.1.0", "C.1.1", "C.2.0",
       "C.3.0", "C.4.0", "C.5.0", "C.6.0", "C.7.0", "C.8.0", "C.8.1", "C.9.0", "C.9.1", "C.9.2"]
# Executable files and what they need besides themselves: C.9.0 calls C.9.2, which calls C.9.1, and
# C.9.0 calls the decision 'risk_check' that the suite does not include (a small table of ours).
RISK_CHECK = ROOT / "tests" / "engine" / "camunda_models" / "miwg" / "risk_check.dmn"
EXECUTABLE = {
    "C.1.0": [], "C.1.1": [], "C.3.0": [], "C.8.1": [], "C.9.1": [],
    "C.9.2": ["C.9.1"], "C.9.0": ["C.9.1", "C.9.2", RISK_CHECK],
}
DOCUMENTATION = [name for name in ALL if name not in EXECUTABLE]


def files(*names) -> list[Path]:
    return [name if isinstance(name, Path) else CORPUS / f"{name}.bpmn" for name in names]


def test_the_corpus_is_complete():
    assert sorted(p.stem for p in CORPUS.glob("*.bpmn")) == ALL


@pytest.mark.parametrize("name", ALL)
def test_validate_accepts_or_says_which_element_and_why(sqlite_engine, name):
    problems = sqlite_engine.validate(files(name, *EXECUTABLE.get(name, [])))
    if name in EXECUTABLE:
        assert problems == []
        return
    assert problems, "a diagram that is not executable is not silently accepted"
    for problem in problems:
        assert problem.file == f"{name}.bpmn" and problem.element_id
        assert "niet uitvoerbaar" in problem.message and "--documentation" in problem.message


@pytest.mark.parametrize("name", DOCUMENTATION)
def test_non_executable_diagrams_deploy_as_documentation(sqlite_engine, name):
    assert sqlite_engine.validate(files(name), documentation=True) == []
    deployed = sqlite_engine.deploy(files(name), documentation=True)
    assert deployed and all(d.new for d in deployed)
    for d in deployed:
        version = sqlite_engine.version(d.version_id)
        assert version.documentation and f"{name}.bpmn" in version.bundle["bpmn"]
        with pytest.raises(NotExecutable, match="alleen als documentatie"):
            sqlite_engine.start(d.process_id, {})
    assert sqlite_engine.cases() == []


def test_executable_files_alone_say_what_is_missing(sqlite_engine):
    [problem] = sqlite_engine.validate(files("C.9.2"))
    assert (problem.file, problem.element_id) == ("C.9.2.bpmn", "CallActivity_RequestDocument")
    assert "requestDocument_en" in problem.message and "niet gevonden" in problem.message
    [problem] = sqlite_engine.validate(files("C.9.0", "C.9.1", "C.9.2"))
    assert (problem.file, problem.element_id) == ("C.9.0.bpmn", "BusinessRuleTask_CheckApplicationAutomatically")
    assert "De beslistabel 'risk_check' ontbreekt" in problem.message


def test_documentation_deploy_keeps_executable_processes_runnable(sqlite_engine):
    deployed = {d.process_id: d for d in sqlite_engine.deploy(files("C.1.0"), documentation=True)}
    assert set(deployed) == {"bpmn-miwg-test-case-c.1.0", "sid-5FBB6CB3-8A7C-42B5-9024-15BB2684EC57"}
    assert deployed["sid-5FBB6CB3-8A7C-42B5-9024-15BB2684EC57"].name == "Team-Assistant"
    assert sqlite_engine.start("bpmn-miwg-test-case-c.1.0", {})


def test_without_documentation_nothing_is_stored(sqlite_engine):
    with pytest.raises(ModelError, match="niet uitvoerbaar"):
        sqlite_engine.deploy(files("B.2.0"))
    assert sqlite_engine.processes() == []


# --- every executable process runs to an end event ------------------------------------------------


def work(engine, case_id: str, answers: dict[str, dict]) -> list[str]:
    """Complete open tasks with the answer for their element until none is left; returns their titles. Work for a
    worker (an external task, a Camunda 8 job worker) is fetched by its topic and completed as a worker does."""
    done = []
    for _ in range(30):
        tasks = engine.tasks(case_id=case_id)
        if tasks:
            task = tasks[0]
            engine.complete(task.id, answers.get(task.name, {}), actor="tester")
            done.append(task.title)
            continue
        waiting = engine.external_tasks.list(case_id=case_id)
        if not waiting:
            break
        [locked] = engine.external_tasks.fetch_and_lock("worker", [waiting[0].topic])
        engine.external_tasks.complete(locked.id, "worker", answers.get(locked.element, {}))
        done.append(external._title(engine.version(locked.version_id), locked.element))
    return done


def finished(engine, case_id: str, end: str) -> None:
    state = engine.state(case_id)
    assert state.status == "completed", state.active
    assert engine.history(case_id)[-1].payload == {"end": end}
    assert engine.verify(case_id)


@pytest.mark.parametrize("approved, end, route", [
    (True, "invoiceProcessed", ["Assign Approver", "Approve Invoice", "Prepare Bank Transfer", "Archive Invoice"]),
    (False, "invoiceNotProcessed", ["Assign Approver", "Approve Invoice", "Rechnung klären"]),
])
@pytest.mark.parametrize("name, process_id", [("C.1.0", "bpmn-miwg-test-case-c.1.0"), ("C.1.1", "handle-invoice")])
def test_c_1_invoice_handling(engine, name, process_id, approved, end, route):
    """Signavio with Activiti attributes; C.1.0 has JUEL conditions, C.1.1 XPath on data objects."""
    engine.deploy(files(name))
    case_id = engine.start(process_id, {})
    [first] = engine.tasks(case_id=case_id)
    assert (first.role, first.assignee) == ("Team Assistant", "demo")
    done = work(engine, case_id, {
        "assignApprover": {"approver": "mary"},
        "approveInvoice": {"approved": approved},
        "reviewInvoice": {"clarified": "no"},
    })
    assert done == route
    finished(engine, case_id, end)
    assert engine.state(case_id).data["approver"] == "mary"


def test_c_1_0_routes_by_candidate_group_and_assignee_expression(engine):
    engine.deploy(files("C.1.0"))
    case_id = engine.start("bpmn-miwg-test-case-c.1.0", {})
    [task] = engine.tasks(case_id=case_id)
    engine.complete(task.id, {"approver": "mary"})
    assert [t.assignee for t in engine.tasks(user="mary")] == ["mary"]
    [task] = engine.tasks(case_id=case_id)
    engine.complete(task.id, {"approved": True})
    assert [t.name for t in engine.tasks(role="accounting")] == ["prepareBankTransfer"]


C_3_0 = "_8170787a-3207-434d-9bea-4787059f444f"
SERVICE_TYPE = "_604be023-654c-44df-a64c-365254a100cd__keuze"
SERVICE_LEVEL = "_2b6bc88e-d3be-4704-87d1-c264bf704589__keuze"
SUCCESSFUL = "_936c0bfa-5ebf-4546-8d1a-cce556148788__keuze"


def test_c_3_0_fridge_repair_with_route_choices(engine):
    """Gateways whose routes have no conditions: a person chooses, from the routes' names."""
    engine.deploy(files("C.3.0"))
    case_id = engine.start(C_3_0, {})
    done = work(engine, case_id, {
        SERVICE_TYPE: {"keuze_service_type": "_ada039b6-94dd-4a15-a6b1-c7fe662c64ee"},     # Regular repair
        SERVICE_LEVEL: {"keuze_service_level": "_cddf9325-a85b-4347-8c57-8b909fa77ae9"},   # Standard
    })
    assert done == ["Analyse customer request", "Kies: Service type", "Kies: Service level",
                    "Perform repair (standard level)"]
    finished(engine, case_id, "_dcee5c64-3010-4ee5-b480-bce856e6f29c")


def test_c_3_0_premium_repair_escalates_after_two_hours(engine, clock):
    """The timer on the premium repair leads to the (empty) emergency subprocess, then a choice."""
    engine.deploy(files("C.3.0"))
    case_id = engine.start(C_3_0, {})
    work_until = {SERVICE_TYPE: {"keuze_service_type": "_ada039b6-94dd-4a15-a6b1-c7fe662c64ee"},
                  SERVICE_LEVEL: {"keuze_service_level": "_be893987-caec-4605-b078-bd96b7cd6c12"}}
    for _ in range(3):
        [task] = engine.tasks(case_id=case_id)
        engine.complete(task.id, work_until.get(task.name, {}))
    [task] = engine.tasks(case_id=case_id)
    assert task.title == "Perform repair (premium level)"
    clock.advance(hours=2, minutes=1)
    assert engine.fire_due_timers() == 1
    [choice] = engine.tasks(case_id=case_id)
    assert choice.name == SUCCESSFUL
    options = dict(engine.form(choice.id).fields[0].choices)
    assert options == {"_cf380e47-1401-4e7e-b710-193b626e49eb": "yes", "_3fb323d5-2c59-487a-af63-804208f6c5cb": "no"}
    engine.complete(choice.id, {"keuze_successful": "_cf380e47-1401-4e7e-b710-193b626e49eb"})
    finished(engine, case_id, "_b3dc1906-d4d3-40c5-aaf6-5a74148ae887")


def test_c_3_0_choice_shows_the_condition_it_replaces(engine):
    engine.deploy(files("C.3.0"))
    case_id = engine.start(C_3_0, {})
    for answer in ({}, {"keuze_service_type": "_ada039b6-94dd-4a15-a6b1-c7fe662c64ee"}):
        [task] = engine.tasks(case_id=case_id)
        engine.complete(task.id, answer)
    [task] = engine.tasks(case_id=case_id)
    labels = [label for _, label in engine.form(task.id).fields[0].choices]
    assert labels == ["Standard", "Premium (voorwaarde in het model: Service Level == 'Premium')"]


def test_c_8_1_vacation_request(engine):
    """Trisotech with Zeebe extensions and FEEL; the HTTP calls, the decision service and the e-mails are job
    workers (fetched by their type); the output mappings read what the worker sent."""
    engine.deploy(files("C.8.1"))
    case_id = engine.start("VacationRequestProcess", {"Employee_Badge_Number": 7, "From": "2026-02-01",
                                                      "To": "2026-02-10"})
    done = work(engine, case_id, {
        "_2b960d84-feb1-46a9-a1a1-c300dd996b99": {"body": {"value": [{"name": "Ann", "days": 20,
                                                                      "email": "ann@example.org"}]}},
        "_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32": {
            "Vacation_Approval_Status": {"Approval": "Manual Validation Required", "Reason": "Long"}},
        "_79523269-7444-4b01-90e9-e23957a9d020": {"Vacation_Approval": "Approved", "Reason": "Fine"},
    })
    assert done == ["Fetch Vacation Information", "Vacation Approval", "Manually Approve Vacation",
                    "Notify Employee of Approval", "Update Remaining Vacation"]
    finished(engine, case_id, "_1cd5fe29-b3ec-4f21-a1aa-57773f0729ca")
    data = engine.state(case_id).data
    assert data["Current_Vacation_Status"] == {"name": "Ann", "days": 20, "email": "ann@example.org"}  # = body.value[1]
    assert "body" not in data     # the worker's variables stay with the job: only the output mapping's target
    assert data["Vacation_Approval"] == "Approved"


def test_c_8_1_manual_approval_uses_the_camunda_form_and_the_manager_role(engine):
    engine.deploy(files("C.8.1"))
    case_id = engine.start("VacationRequestProcess", {})
    work_until = {"_2b960d84-feb1-46a9-a1a1-c300dd996b99": {"body": {"value": [{"name": "Ann"}]}},
                  "_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32": {
                      "Vacation_Approval_Status": {"Approval": "Manual Validation Required", "Reason": ""}}}
    for topic in ("http", "DMN"):         # job workers: the HTTP call and the decision service
        [locked] = engine.external_tasks.fetch_and_lock("worker", [topic])
        engine.external_tasks.complete(locked.id, "worker", work_until[locked.element])
    [task] = engine.tasks(case_id=case_id)
    assert task.role == "manager"
    form = engine.form(task.id)
    assert [(f.name, f.type, f.required) for f in form.fields] == [
        ("Vacation_Approval", "choice", True), ("Reason", "text", False)]


@pytest.mark.parametrize("age, route, end", [
    (19, ["Get credit score", "Decide on application", "Deliver confirmation", "Send confirmation"],
     "EndEvent_ApplicationIssued"),
    (40, ["Get credit score", "Deliver confirmation", "Send confirmation"], "EndEvent_ApplicationIssued"),
    (120, ["Get credit score", "Reject application", "Send rejection"], "EndEvent_ApplicationRejected"),
])
def test_c_9_0_customer_onboarding(engine, age, route, end):
    """Camunda 8: FEEL quantifiers, a called decision with result variable, output mappings, a call
    activity into C.9.2 (which has event subprocesses that must not hold the case open)."""
    engine.deploy(files("C.9.0", *EXECUTABLE["C.9.0"]))
    case_id = engine.start("customer_onboarding_en", {   # corporation and product: the SendGrid job's inputs read them
        "applicant": {"name": "Piet", "age": age, "email": "piet@example.org"}, "applicationNumber": "A-1",
        "corporation": "Gemeente", "product": "Polis"})
    done = work(engine, case_id, {"UserTask_DecideOnApplication": {"approved": True, "applicationNumber": "A-1"}})
    assert done == route
    finished(engine, case_id, end)
    data = engine.state(case_id).data
    assert data["documentReferenceId"].startswith("2026-01-05 10:00:00")   # = string(now()), Dutch time
    assert data["riskLevels"] == {19: ["yellow"], 40: ["green"], 120: ["red"]}[age]


def test_c_9_2_manual_check_form_and_group(engine):
    engine.deploy(files("C.9.2", "C.9.1"))
    case_id = engine.start("ManualCheck", {})
    [task] = engine.tasks(case_id=case_id)
    assert task.role == "clerks"
    assert [f.name for f in engine.form(task.id).fields] == [
        "applicationNumber", "applicantName", "age", "employment", "category", "priceIndication", "approved"]
    engine.complete(task.id, {"approved": False})
    finished(engine, case_id, "EndEvent_ManuallyDecided")


def test_c_9_1_document_request_after_a_week_without_answer(engine, clock):
    """The send task is an external task (camunda:type="external", topic emailService): a worker sends the
    request, nobody's inbox gets it; the receive task then waits for its message while the timers on it run."""
    engine.deploy(files("C.9.1"))
    case_id = engine.start("requestDocument_en", {})
    _send_request(engine, case_id)
    assert engine.tasks(case_id=case_id) == []
    assert "ReceiveTask_WaitForDocument" in engine.state(case_id).active
    reminders = 0
    for _ in range(7):
        clock.advance(days=1)
        engine.fire_due_timers()
        assert engine.tasks(case_id=case_id) == []      # reminders are external send tasks too
        for locked in engine.external_tasks.fetch_and_lock("mailer", ["emailService"], max_tasks=5):
            assert locked.element == "SendTask_SendReminderEmail"
            engine.external_tasks.complete(locked.id, "mailer")
            reminders += 1
    assert reminders == 6   # R6/P1D
    clock.advance(minutes=1)   # just past the week
    assert engine.fire_due_timers() == 1
    done = work(engine, case_id, {})
    assert done == ["Call customer"]
    finished(engine, case_id, "EndEvent_TalkedToCustomer")


def _send_request(engine, case_id: str) -> None:
    """What a mail worker does for C.9.1's external send task: fetch it by topic, lock it, complete it."""
    assert engine.tasks(case_id=case_id) == []          # no person's work
    [locked] = engine.external_tasks.fetch_and_lock("mailer", ["emailService"])
    assert (locked.case_id, locked.element) == (case_id, "SendTask_RequestDocument")
    engine.external_tasks.complete(locked.id, "mailer")


def test_c_9_1_answer_received(engine):
    """The document arrives: the receive task catches the message and the case ends there."""
    engine.deploy(files("C.9.1"))
    case_id = engine.start("requestDocument_en", {})
    _send_request(engine, case_id)
    delivery = engine.correlate_message("MESSAGE_documentReceived", "doc-1", business_key=engine.state(case_id).number,
                                        variables={"document": "paspoort.pdf"})
    assert delivery.elements == ("ReceiveTask_WaitForDocument",)
    finished(engine, case_id, "EndEvent_GotDocument")
    assert engine.state(case_id).data["document"] == "paspoort.pdf"


def test_c_9_0_manual_check_times_out_into_fraud_report(engine, clock):
    """Across the call activity: C.9.2's 5-day timer event subprocess adds a task, its 7-day timeout
    throws an error that C.9.0's boundary event catches, and the terminate end event closes the case.
    The replay reads now() at the time each step was taken, so verify holds after the clock moved."""
    engine.deploy(files("C.9.0", *EXECUTABLE["C.9.0"]))
    case_id = engine.start("customer_onboarding_en", {"applicant": {"name": "Piet", "age": 19}})
    [score] = engine.external_tasks.fetch_and_lock("worker", ["calculateScore"])     # a job worker
    engine.external_tasks.complete(score.id, "worker")
    clock.advance(days=5, minutes=1)
    assert engine.fire_due_timers() == 1
    assert [t.title for t in engine.tasks(case_id=case_id)] == ["Decide on application"]
    assert [t.element for t in engine.external_tasks.list(case_id=case_id)] == ["SendTask_NotifyCustomerDelay"]
    assert engine.verify(case_id)
    clock.advance(days=2)
    assert engine.fire_due_timers() == 1
    assert engine.tasks(case_id=case_id) == []
    [report] = engine.external_tasks.list(case_id=case_id)     # the timeout also ended the delay notice's job
    assert report.element == "SendTask_ReportFraud"
    [locked] = engine.external_tasks.fetch_and_lock("worker", ["reportFraud"])
    engine.external_tasks.complete(locked.id, "worker")
    finished(engine, case_id, "TerminateEvent_ApplicationCanceledFraud")
