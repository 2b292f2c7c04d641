"""Camunda 8 job workers (``zeebe:taskDefinition``) run as external tasks (``engine.external``): the type is the
topic a worker fetches, ``retries`` the task's first retries count, ``zeebe:taskHeaders`` go to the worker with the
task, input mappings are evaluated for the worker only and output mappings decide what goes into the case."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine import external
from engine.dialects import prepare
from engine.errors import InvalidData

MODEL = Path(__file__).parent / "camunda_models" / "jobs"
START = {"aanvrager": {"bsn": "999990019", "naam": "Demo"}, "adres": "Dorpsstraat 1"}


@pytest.fixture
def deployed(engine):
    engine.deploy([MODEL])
    return engine


def _fetch(engine, topic: str, worker: str = "w1"):
    [locked] = external.fetch_and_lock(engine, worker, [topic], 5, 60)
    return locked


def test_a_job_worker_waits_for_a_worker_with_its_type_headers_inputs_and_retries(deployed):
    case_id = deployed.start("adres_c8", START)
    assert deployed.tasks(case_id=case_id) == []            # no person's work
    [waiting] = external.list_tasks(deployed, case_id=case_id)
    assert (waiting.topic, waiting.element, waiting.retries) == ("brp-adres", "brp", 5)
    locked = _fetch(deployed, "brp-adres")
    assert locked.headers == {"bron": "BRP", "versie": "2"}
    assert locked.retries == 5
    # input mappings: local to the job (a dotted target builds an object; text without '=' is text)
    assert locked.variables == {**START, "bsn": "999990019", "verzoek": {"door": "gemeente", "naam": "Demo"}}


def test_complete_with_variables_and_a_gateway_reads_them(deployed):
    case_id = deployed.start("adres_c8", START)
    external.complete(deployed, _fetch(deployed, "brp-adres").id, "w1", {"woonplaats": "Hier"})
    assert deployed.state(case_id).data["woonplaats"] == "Hier"     # no output mappings: all variables go in
    locked = _fetch(deployed, "besluit-dienst")                      # a business rule task with a job worker
    assert locked.retries == 3                                       # Zeebe's default
    external.complete(deployed, locked.id, "w1", {"uitkomst": {"binnen_gemeente": True, "intern": "x"}})
    data = deployed.state(case_id).data
    assert data["binnen_gemeente"] is True
    assert "uitkomst" not in data and "bsn" not in data              # with output mappings only their targets
    external.complete(deployed, _fetch(deployed, "post").id, "w1", {})   # the gateway chose the letter
    state = deployed.state(case_id)
    assert state.status == "completed"
    assert deployed.history(case_id)[-1].payload == {"end": "einde_brief"}
    assert deployed.verify(case_id)


def test_the_other_route_is_work_for_a_person(deployed):
    case_id = deployed.start("adres_c8", START)
    external.complete(deployed, _fetch(deployed, "brp-adres").id, "w1", {})
    external.complete(deployed, _fetch(deployed, "besluit-dienst").id, "w1", {"uitkomst": {"binnen_gemeente": False}})
    [task] = deployed.tasks(case_id=case_id)
    assert (task.name, task.role) == ("doorsturen", "behandelaars")


def test_failure_counts_down_the_retries_then_an_incident(deployed, clock):
    case_id = deployed.start("adres_c8", START)
    locked = _fetch(deployed, "brp-adres")
    external.failure(deployed, locked.id, "w1", "BRP niet bereikbaar", locked.retries - 1, 30)
    assert external.fetch_and_lock(deployed, "w1", ["brp-adres"], 5, 60) == []     # back-off
    clock.advance(seconds=30)
    locked = _fetch(deployed, "brp-adres")
    assert locked.retries == 4
    view = external.failure(deployed, locked.id, "w1", "BRP weer niet bereikbaar", 0)
    assert view.status == "incident"
    assert [i.element for i in deployed.incidents(case_id)] == ["brp"]
    external.retry(deployed, locked.id, 1)
    external.complete(deployed, _fetch(deployed, "brp-adres").id, "w1", {})
    assert deployed.verify(case_id)


def test_a_bpmn_error_goes_to_the_error_boundary_event(deployed):
    case_id = deployed.start("adres_c8", START)
    external.bpmn_error(deployed, _fetch(deployed, "brp-adres").id, "w1", "ADRES_ONBEKEND", "niet gevonden")
    [task] = deployed.tasks(case_id=case_id)
    assert task.name == "zoeken"
    assert external.list_tasks(deployed, case_id=case_id) == []
    with pytest.raises(InvalidData):
        case = deployed.start("adres_c8", START)
        external.bpmn_error(deployed, _fetch(deployed, "brp-adres").id, "w1", "ANDERE_FOUT")
    assert [t.element for t in external.list_tasks(deployed, case_id=case)] == ["brp"]   # nothing changed
    assert deployed.verify(case_id)


def test_an_input_mapping_that_fails_on_the_case_is_an_incident_not_a_crash(deployed):
    case_id = deployed.start("adres_c8", {"aanvrager": {"naam": "Demo"}})   # no bsn
    assert external.fetch_and_lock(deployed, "w1", ["brp-adres"], 5, 60) == []
    [incident] = deployed.incidents(case_id)
    assert incident.element == "brp" and "bsn" in incident.message
    [task] = external.list_tasks(deployed, case_id=case_id)
    assert task.status == "incident"


def test_an_output_mapping_reads_the_workers_variables(deployed):
    case_id = deployed.start("adres_c8", START)
    external.complete(deployed, _fetch(deployed, "brp-adres").id, "w1", {})
    locked = _fetch(deployed, "besluit-dienst")
    with pytest.raises(Exception, match="uitkomst"):       # the output mapping needs what the worker did not send
        external.complete(deployed, locked.id, "w1", {})
    assert deployed.state(case_id).active == ["besluit"]


# --- what validation says ----------------------------------------------------------------------------

DOC = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">{body}</bpmn:process></bpmn:definitions>"""


def _prepared(body: str):
    root = etree.fromstring(DOC.format(body=body).encode())
    return root, prepare(root, "job.bpmn")


@pytest.mark.parametrize("definition, says", [
    ('<zeebe:taskDefinition type=""/>', "zeebe:taskDefinition"),
    ('<zeebe:taskDefinition type="= soort"/>', "kiest het type met een expressie"),
    ('<zeebe:taskDefinition type="x" retries="= n"/>', "retries '= n'"),
    ('<zeebe:taskDefinition type="x"/><zeebe:ioMapping><zeebe:input source="= a[1..2]" target="y"/></zeebe:ioMapping>',
     "zeebe:input 'y'"),
])
def test_a_job_worker_regie_cannot_run_is_refused_with_the_element(definition, says):
    _root, found = _prepared(f'<bpmn:serviceTask id="job"><bpmn:extensionElements>{definition}'
                             '</bpmn:extensionElements></bpmn:serviceTask>')
    assert [p.element_id for p in found.problems] == ["job"]
    assert says in found.problems[0].message


def test_a_literal_feel_type_is_the_topic_and_a_job_is_no_persons_task():
    root, found = _prepared('<bpmn:sendTask id="job"><bpmn:extensionElements><zeebe:taskDefinition type="= &quot;post&quot;"/>'
                            '</bpmn:extensionElements></bpmn:sendTask>')
    assert found.problems == [] and found.notices == []
    task = root.find(".//{*}userTask")
    assert task.get("{https://regie.dev/schema/bpmn}topic") == "post"


def test_a_camunda_connector_template_says_a_worker_must_fetch_its_type():
    _root, found = _prepared(
        '<bpmn:serviceTask id="mail" zeebe:modelerTemplate="io.camunda.connectors.SendGrid.v1.template">'
        '<bpmn:extensionElements><zeebe:taskDefinition type="io.camunda:sendgrid:1"/></bpmn:extensionElements>'
        '</bpmn:serviceTask>')
    [notice] = found.notices
    assert notice.element_id == "mail" and "io.camunda:sendgrid:1" in notice.message
