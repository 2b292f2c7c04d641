"""Constructs from Camunda 7 and 8 models that municipalities bring along, each in a small model of our own:
what Regie runs, translates or refuses with a reason (docs/migrating.md has the table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import IncidentError, ModelError

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  id="defs" targetNamespace="https://regie.dev/tests">
"""


def model(tmp_path: Path, body: str, process_id: str = "p", name: str = "model.bpmn") -> Path:
    """A file with one executable process whose elements are ``body``."""
    path = tmp_path / name
    path.write_text(f'{HEAD}<bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process>'
                    "</bpmn:definitions>", encoding="utf-8")
    return path


def run_through(engine, process_id: str, data: dict | None = None, answers: dict | None = None) -> str:
    """Start a case and complete every task (with ``answers[element]``) until nothing is open."""
    case_id = engine.start(process_id, data or {})
    for _ in range(20):
        tasks = engine.tasks(case_id=case_id)
        if not tasks:
            break
        engine.complete(tasks[0].id, (answers or {}).get(tasks[0].name, {}))
    return case_id


def reasons(problems) -> list[tuple[str, str]]:
    return [(p.element_id, p.message) for p in problems]


TASK = '<bpmn:userTask id="{id}" camunda:candidateGroups="casemanager"/>'


# --- validation matches the run -------------------------------------------------------------------


def test_a_task_without_outgoing_flow_ends_its_path_as_in_camunda(engine, tmp_path):
    engine.deploy([model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" '
                                   'targetRef="t1"/>' + TASK.format(id="t1"))])
    case_id = run_through(engine, "p")
    assert engine.state(case_id).status == "completed"
    assert engine.verify(case_id)


def test_a_sequence_flow_without_id_is_followed(sqlite_engine, tmp_path):
    path = model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow sourceRef="s" targetRef="t1"/>'
                 + TASK.format(id="t1") + '<bpmn:sequenceFlow sourceRef="t1" targetRef="e"/><bpmn:endEvent id="e"/>')
    assert sqlite_engine.validate([path]) == []
    sqlite_engine.deploy([path])
    case_id = sqlite_engine.start("p", {})
    [task] = sqlite_engine.tasks(case_id=case_id)
    assert task.name == "t1"
    sqlite_engine.complete(task.id, {})
    assert sqlite_engine.state(case_id).status == "completed"


def test_a_groovy_script_is_refused_once(sqlite_engine, tmp_path):
    path = model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sc"/>'
                 '<bpmn:scriptTask id="sc" scriptFormat="groovy"><bpmn:script>def x = [a: 1]; '
                 'execution.setVariable("y", x.a)</bpmn:script></bpmn:scriptTask>')
    [(element, message)] = reasons(sqlite_engine.validate([path]))
    assert element == "sc" and "scripts in 'groovy' kan Regie niet uitvoeren" in message


@pytest.mark.parametrize("value, words", [
    ("0 0 9 * * ?", "een cron-schema (Quartz, Camunda 7) kan Regie niet uitvoeren"),
    ("PT1H30", "deze tijd kan Regie niet lezen"),
])
def test_a_timer_regie_cannot_read_is_refused_at_validation(sqlite_engine, tmp_path, value, words):
    path = model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w"/>'
                 f'<bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition><bpmn:timeCycle>{value}'
                 '</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
    [(element, message)] = reasons(sqlite_engine.validate([path]))
    assert element == "w" and message.startswith(f"'{value}': {words}")


# --- crashes ----------------------------------------------------------------------------------------

MULTI = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="kind"/>'
         '<bpmn:userTask id="kind" camunda:candidateGroups="casemanager"><bpmn:multiInstanceLoopCharacteristics '
         'camunda:collection="kinderen" camunda:elementVariable="k"/></bpmn:userTask>'
         '<bpmn:sequenceFlow id="f2" sourceRef="kind" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_a_multi_instance_without_its_list_is_a_clear_error_and_stores_nothing(engine, tmp_path):
    engine.deploy([model(tmp_path, MULTI)])
    with pytest.raises(IncidentError) as refused:
        engine.start("p", {})
    assert refused.value.element_id == "kind"
    assert "de lijst 'kinderen' voor deze herhaalde stap is niet ingevuld" in refused.value.reason
    assert engine.cases() == []
    case_id = run_through(engine, "p", {"kinderen": ["Ada", "Bo"]})
    assert engine.state(case_id).status == "completed"


RECURSIVE = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="opnieuw"/>'
             '<bpmn:callActivity id="opnieuw" calledElement="p"/>'
             '<bpmn:sequenceFlow id="f2" sourceRef="opnieuw" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_a_process_that_calls_itself_is_refused_at_validation(sqlite_engine, tmp_path):
    path = model(tmp_path, RECURSIVE)
    [(element, message)] = reasons(sqlite_engine.validate([path]))
    assert element == "opnieuw" and "roept het proces 'p' opnieuw aan (p → p)" in message
    with pytest.raises(ModelError):
        sqlite_engine.deploy([path])


def test_a_process_that_calls_itself_stops_at_a_bound_when_it_gets_past_validation(sqlite_engine, tmp_path,
                                                                                   monkeypatch):
    from engine import definitions
    monkeypatch.setattr(definitions, "_recursive_calls", lambda top_level: [])
    sqlite_engine.deploy([model(tmp_path, RECURSIVE)])
    with pytest.raises(IncidentError) as refused:
        sqlite_engine.start("p", {})
    assert "meer dan 20 processen in elkaar" in refused.value.reason
