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


def model(tmp_path: Path, body: str, process_id: str = "p", name: str = "model.bpmn", before: str = "") -> Path:
    """A file with one executable process whose elements are ``body`` (``before``: root elements before it)."""
    path = tmp_path / name
    path.write_text(f'{HEAD}{before}<bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process>'
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
    ("0 0 9 * * MAN", "dit cron-schema (Quartz, Camunda 7) klopt niet: 'man' kan niet in het veld dag van de week"),
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


# --- never silently manual --------------------------------------------------------------------------

SERVICES = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="leeg"/>'
            '<bpmn:serviceTask id="leeg" camunda:expression="${true}"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="leeg" targetRef="zet"/>'
            '<bpmn:serviceTask id="zet" camunda:expression="${execution.setVariable(\'hoog\', bedrag &gt; 1000)}"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="zet" targetRef="reken"/>'
            '<bpmn:serviceTask id="reken" camunda:expression="${bedrag * 2}" camunda:resultVariable="dubbel"/>'
            '<bpmn:sequenceFlow id="f4" sourceRef="reken" targetRef="java"/>'
            '<bpmn:serviceTask id="java" camunda:class="nl.gemeente.MailDelegate"/>'
            '<bpmn:sequenceFlow id="f5" sourceRef="java" targetRef="bean"/>'
            '<bpmn:serviceTask id="bean" camunda:expression="${mailService.send(execution)}"/>'
            '<bpmn:sequenceFlow id="f6" sourceRef="bean" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_service_task_expressions_run_by_themselves_and_the_rest_is_said_out_loud(sqlite_engine, tmp_path):
    path = model(tmp_path, SERVICES)
    assert sqlite_engine.validate([path]) == []   # nothing blocks the deploy ...
    notices = sqlite_engine.validate([path], warnings=True)   # ... and nothing is silent
    assert [(n.element_id, n.severity) for n in notices] == [("java", "warning"), ("bean", "warning")]
    assert "De Java-code 'nl.gemeente.MailDelegate' (camunda:class) kan Regie niet uitvoeren" in notices[0].message
    assert notices[1].message.startswith("'${mailService.send(execution)}': '.send(...)' roept een methode aan")
    assert "een taak voor een persoon in de werkvoorraad" in notices[1].message
    sqlite_engine.deploy([path])
    case_id = sqlite_engine.start("p", {"bedrag": 1500})
    assert [t.name for t in sqlite_engine.tasks(case_id=case_id)] == ["java"]   # ${true}, setVariable, result ran
    assert (sqlite_engine.state(case_id).data["hoog"], sqlite_engine.state(case_id).data["dubbel"]) == (True, 3000)
    case_id = run_through(sqlite_engine, "p", {"bedrag": 1})
    assert sqlite_engine.state(case_id).status == "completed"


def test_a_plain_text_expression_is_a_literal_as_in_juel(engine, tmp_path):
    """Valtimo's test models write camunda:expression="true" (no ${...}): in JUEL plain text is that text, so
    the step does nothing; it used to stop the case on an unknown field 'true' (found by bench_corpus.py)."""
    path = model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="st"/>'
                 '<bpmn:serviceTask id="st" camunda:expression="true" camunda:resultVariable="uitkomst"/>'
                 '<bpmn:sequenceFlow id="f2" sourceRef="st" targetRef="lt"/>'
                 '<bpmn:serviceTask id="lt" camunda:expression="true"><bpmn:extensionElements>'
                 '<camunda:executionListener event="end" expression="klaar"/></bpmn:extensionElements>'
                 '</bpmn:serviceTask><bpmn:sequenceFlow id="f3" sourceRef="lt" targetRef="e"/><bpmn:endEvent id="e"/>')
    assert engine.validate([path], warnings=True) == []
    engine.deploy([path])
    case_id = engine.start("p", {})
    assert engine.state(case_id).status == "completed"
    assert engine.state(case_id).data["uitkomst"] == "true"


def test_regie_validate_prints_the_notices_and_succeeds(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from engine.cli import main
    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    result = CliRunner().invoke(main, ["validate", str(model(tmp_path, SERVICES))])
    assert result.exit_code == 0
    assert "model.bpmn: java: let op: De Java-code 'nl.gemeente.MailDelegate'" in result.output


LISTENERS = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>'
             '<bpmn:userTask id="t1" camunda:candidateGroups="casemanager"><bpmn:extensionElements>'
             '<camunda:executionListener event="end" expression="${execution.setVariable(\'route\', '
             'bedrag &gt; 100 ? \'lang\' : \'kort\')}"/>'
             '<camunda:taskListener event="create" expression="${execution.setVariable(\'gezien\', true)}"/>'
             '<camunda:taskListener event="complete" class="nl.gemeente.AuditListener"/>'
             '</bpmn:extensionElements></bpmn:userTask>'
             '<bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="gw"/>'
             '<bpmn:exclusiveGateway id="gw" default="kort"/>'
             '<bpmn:sequenceFlow id="lang" sourceRef="gw" targetRef="t2"><bpmn:conditionExpression>'
             "${route == 'lang'}</bpmn:conditionExpression></bpmn:sequenceFlow>"
             '<bpmn:sequenceFlow id="kort" sourceRef="gw" targetRef="e"/>'
             + TASK.format(id="t2") + '<bpmn:endEvent id="e"/>')


def test_listeners_that_set_data_run_and_others_are_reported(sqlite_engine, tmp_path):
    path = model(tmp_path, LISTENERS)
    [notice] = sqlite_engine.validate([path], warnings=True)
    assert notice.element_id == "t1"
    assert notice.message.startswith("De listener (camunda:taskListener, event 'complete') met Java-code")
    sqlite_engine.deploy([path])
    case_id = sqlite_engine.start("p", {"bedrag": 500})
    [task] = sqlite_engine.tasks(case_id=case_id)
    assert sqlite_engine.state(case_id).data["gezien"] is True   # the create listener ran before the task
    sqlite_engine.complete(task.id, {})
    assert [t.name for t in sqlite_engine.tasks(case_id=case_id)] == ["t2"]   # the end listener set the route
    assert sqlite_engine.state(case_id).data["route"] == "lang"


# --- JUEL idioms --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("${status.equals('nieuw')}", "status == 'nieuw'"),
    ("${!empty opmerking}", "not not opmerking"),
    ("${dateTime().plusWeeks(1).toDate()}", "now() + timedelta(weeks=1)"),
    ("${now().minusDays(termijn + 1)}", "now() - timedelta(days=termijn + 1)"),
    ("${dateTime().plusMonths(3)}", "add_months(now(), 3)"),
    ("${execution.getVariable('bedrag') > 10}", "bedrag > 10"),
    ("${kinderen.size() > 2}", "len(kinderen) > 2"),
])
def test_juel_idioms_become_regie(text, expected):
    from engine.dialects import juel_to_expression
    assert juel_to_expression(text) == expected


def test_a_due_date_in_joda_style_is_a_week_from_now(sqlite_engine, tmp_path, clock):
    sqlite_engine.deploy([model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" '
                                          'targetRef="t1"/><bpmn:userTask id="t1" camunda:candidateGroups="casemanager" '
                                          'camunda:dueDate="${dateTime().plusWeeks(1).toDate()}"/>')])
    case_id = sqlite_engine.start("p", {})
    [task] = sqlite_engine.tasks(case_id=case_id)
    assert task.due == clock.now() + __import__("datetime").timedelta(weeks=1)


# --- DMN ----------------------------------------------------------------------------------------------

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="toeslag" name="Toeslag" namespace="https://regie.dev/tests">
  <decision id="leeftijdsgroep" name="Leeftijdsgroep">
    <decisionTable id="t_groep">
      <input id="i_leeftijd"><inputExpression id="e_leeftijd" typeRef="integer"><text>leeftijd</text></inputExpression></input>
      <output id="o_groep" name="groep" typeRef="string"/>
      <rule id="jong"><inputEntry id="c1"><text>[0..18[</text></inputEntry><outputEntry id="u1"><text>"jong"</text></outputEntry></rule>
      <rule id="midden"><inputEntry id="c2"><text>[18..67]</text></inputEntry><outputEntry id="u2"><text>"volwassen"</text></outputEntry></rule>
      <rule id="oud"><inputEntry id="c3"><text>&gt; 67</text></inputEntry><outputEntry id="u3"><text>"oud"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="bedrag" name="Bedrag">
    <informationRequirement id="ir"><requiredDecision href="#leeftijdsgroep"/></informationRequirement>
    <decisionTable id="t_bedrag" hitPolicy="COLLECT" aggregation="SUM">
      <input id="i_groep"><inputExpression id="e_groep" typeRef="string"><text>groep</text></inputExpression></input>
      <input id="i_kind"><inputExpression id="e_kind" typeRef="integer"><text>kinderen</text></inputExpression></input>
      <output id="o_bedrag" name="bedrag" typeRef="integer"/>
      <rule id="basis"><inputEntry id="c4"><text>"jong","volwassen"</text></inputEntry><inputEntry id="c5"><text>-</text></inputEntry><outputEntry id="u4"><text>100</text></outputEntry></rule>
      <rule id="kind"><inputEntry id="c6"><text>-</text></inputEntry><inputEntry id="c7"><text>]0..10]</text></inputEntry><outputEntry id="u5"><text>50</text></outputEntry></rule>
      <rule id="oudere"><inputEntry id="c8"><text>not("jong","volwassen")</text></inputEntry><inputEntry id="c9"><text>-</text></inputEntry><outputEntry id="u6"><text>75</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def decision_model(tmp_path, decision: str, dmn: str = DMN) -> list[Path]:
    (tmp_path / "toeslag.dmn").write_text(dmn, encoding="utf-8")
    return [model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="beslis"/>'
                            f'<bpmn:businessRuleTask id="beslis" camunda:decisionRef="{decision}"/>'
                            '<bpmn:sequenceFlow id="f2" sourceRef="beslis" targetRef="t1"/>' + TASK.format(id="t1")),
            tmp_path / "toeslag.dmn"]


@pytest.mark.parametrize("leeftijd, kinderen, groep, bedrag", [
    (12, 0, "jong", 100), (40, 2, "volwassen", 150), (70, 1, "oud", 125), (18, 0, "volwassen", 100),
])
def test_a_decision_uses_another_decisions_output_with_ranges_and_a_sum(sqlite_engine, tmp_path, leeftijd,
                                                                        kinderen, groep, bedrag):
    sqlite_engine.deploy(decision_model(tmp_path, "bedrag"))
    case_id = sqlite_engine.start("p", {"leeftijd": leeftijd, "kinderen": kinderen})
    data = sqlite_engine.state(case_id).data
    assert (data["groep"], data["bedrag"]) == (groep, bedrag)


def test_every_decision_of_a_file_can_be_called(sqlite_engine, tmp_path):
    sqlite_engine.deploy(decision_model(tmp_path, "leeftijdsgroep"))
    case_id = sqlite_engine.start("p", {"leeftijd": 5})
    assert sqlite_engine.state(case_id).data["groep"] == "jong"


def test_a_refused_cell_shows_the_users_own_text(sqlite_engine, tmp_path):
    files = decision_model(tmp_path, "leeftijdsgroep", DMN.replace("[0..18[", "[0..__import__('os')["))
    problems = sqlite_engine.validate(files)
    assert problems and problems[0].element_id == "beslis/jong"
    assert problems[0].message.startswith("'[0..__import__('os')[': ")


LISTENING = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="beslis"/>'
             '<bpmn:businessRuleTask id="beslis" camunda:decisionRef="leeftijdsgroep"{attributes}>'
             '<bpmn:extensionElements>{extensions}</bpmn:extensionElements></bpmn:businessRuleTask>'
             '<bpmn:sequenceFlow id="f2" sourceRef="beslis" targetRef="t1"/>' + TASK.format(id="t1"))


def listening_model(tmp_path, extensions: str, attributes: str = "") -> list[Path]:
    (tmp_path / "toeslag.dmn").write_text(DMN, encoding="utf-8")
    return [model(tmp_path, LISTENING.format(attributes=attributes, extensions=extensions)), tmp_path / "toeslag.dmn"]


@pytest.mark.parametrize("restore", [False, True], ids=["live", "restored"])
def test_decision_result_in_an_end_listener_and_an_output_mapping(engine, tmp_path, restore):
    """Valtimo style: ``${execution.setVariable('x', decisionResult.getSingleEntry())}`` at the end of the task,
    ``decisionResult.getSingleResult()`` and ``collectEntries('groep')`` in output parameters."""
    from engine import Engine

    files = listening_model(tmp_path, (
        '<camunda:executionListener event="end" '
        'expression="${execution.setVariable(\'uitkomst\', decisionResult.getSingleEntry())}"/>'
        '<camunda:inputOutput><camunda:outputParameter name="rij">${decisionResult.getSingleResult()}'
        '</camunda:outputParameter><camunda:outputParameter name="groepen">'
        "${decisionResult.collectEntries('groep')}</camunda:outputParameter>"
        '<camunda:outputParameter name="aantal">${decisionResult.getResultList().size()}</camunda:outputParameter>'
        '</camunda:inputOutput>'))
    assert engine.validate(files) == []
    engine.deploy(files)
    case_id = engine.start("p", {"leeftijd": 40})
    reader = Engine(engine.store, clock=engine.clock, ids=engine.ids, cache_size=0) if restore else engine
    data = reader.state(case_id).data
    assert (data["uitkomst"], data["rij"], data["groepen"], data["aantal"]) == (
        "volwassen", {"groep": "volwassen"}, ["volwassen"], 1)
    [task] = reader.tasks(case_id=case_id)
    reader.complete(task.id, {})
    assert reader.state(case_id).status == "completed" and reader.verify(case_id)


@pytest.mark.parametrize("mapping, expected", [
    ("singleEntry", "jong"), ("singleResult", {"groep": "jong"}), ("collectEntries", ["jong"]),
    ("resultList", [{"groep": "jong"}]),
])
def test_result_variable_with_map_decision_result(engine, tmp_path, mapping, expected):
    files = listening_model(tmp_path, "", f' camunda:resultVariable="uitkomst" camunda:mapDecisionResult="{mapping}"')
    engine.deploy(files)
    case_id = engine.start("p", {"leeftijd": 7})
    assert engine.state(case_id).data["uitkomst"] == expected


def test_decision_result_with_a_method_regie_does_not_know_is_refused_with_the_element(sqlite_engine, tmp_path):
    files = listening_model(tmp_path, '<camunda:executionListener event="end" '
                            'expression="${execution.setVariable(\'x\', decisionResult.getSingleEntry(1))}"/>')
    [(element, message)] = reasons(sqlite_engine.validate(files, warnings=True))
    assert element == "beslis" and "decisionResult.getSingleEntry(...) heeft niets tussen de haakjes nodig" in message


# --- Zeebe output collection ---------------------------------------------------------------------------

OUTPUT = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>'
          '<bpmn:userTask id="t1" name="Document beoordelen" camunda:candidateGroups="casemanager">'
          '<bpmn:multiInstanceLoopCharacteristics{sequential}><bpmn:extensionElements>'
          '<zeebe:loopCharacteristics inputCollection="=documenten" inputElement="document" '
          'outputCollection="besluiten" outputElement="{element}"/></bpmn:extensionElements>'
          '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'
          '<bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="t2"/>' + TASK.format(id="t2"))


@pytest.mark.parametrize("sequential", ["", ' isSequential="true"'], ids=["parallel", "sequential"])
def test_zeebe_output_collection_gathers_each_rounds_output_element_in_order(engine, tmp_path, sequential):
    from engine import Engine

    path = model(tmp_path, OUTPUT.format(sequential=sequential, element="={document: document, ok: akkoord}"))
    assert engine.validate([path]) == []
    engine.deploy([path])
    case_id = engine.start("p", {"documenten": ["loonstrook", "huurcontract", "paspoort"]})
    restored = Engine(engine.store, clock=engine.clock, ids=engine.ids, cache_size=0)   # every step from the store
    for turn in range(3):
        task = engine.tasks(case_id=case_id)[-1]          # the parallel rounds out of order
        (restored if turn % 2 else engine).complete(task.id, {"akkoord": turn != 1})
    data = restored.state(case_id).data
    assert [t.name for t in engine.tasks(case_id=case_id)] == ["t2"]
    assert [b["document"] for b in data["besluiten"]] == ["loonstrook", "huurcontract", "paspoort"]   # input order
    assert sorted(b["ok"] for b in data["besluiten"]) == [False, True, True]
    assert data["documenten"] == ["loonstrook", "huurcontract", "paspoort"]
    assert engine.verify(case_id)


@pytest.mark.parametrize("element, words", [
    ("", "heeft een outputElement nodig"),
    ("=upper case(x) instance of string", "outputElement"),
])
def test_an_output_collection_regie_cannot_fill_is_refused_with_the_element(sqlite_engine, tmp_path, element, words):
    [(where, message)] = reasons(sqlite_engine.validate([model(tmp_path, OUTPUT.format(sequential="", element=element))]))
    assert where == "t1" and words in message


# --- candidate groups computed per case ----------------------------------------------------------------


@pytest.mark.parametrize("task", [
    '<bpmn:userTask id="t1" name="Beoordelen" camunda:candidateGroups="${afdeling}"/>',
    '<bpmn:userTask id="t1" name="Beoordelen"><bpmn:extensionElements><zeebe:assignmentDefinition '
    'candidateGroups="=afdeling"/></bpmn:extensionElements></bpmn:userTask>',
], ids=["camunda7", "zeebe"])
def test_candidate_groups_computed_by_an_expression_route_each_case(engine, tmp_path, task):
    path = model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>' + task
                 + '<bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="e"/><bpmn:endEvent id="e"/>')
    assert engine.validate([path]) == []
    engine.deploy([path])
    first = engine.start("p", {"afdeling": "specialist"})
    second = engine.start("p", {"afdeling": ["coordinator", "casemanager"]})
    assert [t.role for t in engine.tasks(case_id=first)] == ["specialist"]
    assert [t.role for t in engine.tasks(case_id=second)] == ["coordinator"]
    assert [t.case_id for t in engine.tasks(role="specialist")] == [first]


def test_a_computed_group_that_names_nobody_refuses_the_step_and_stores_nothing(engine, tmp_path):
    from engine.commands import GroupNotComputed

    path = model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t0"/>'
                 + TASK.format(id="t0") + '<bpmn:sequenceFlow id="f2" sourceRef="t0" targetRef="t1"/>'
                 '<bpmn:userTask id="t1" name="Beoordelen" camunda:candidateGroups="${afdeling}"/>')
    engine.deploy([path])
    case_id = engine.start("p", {"afdeling": "specialist"})
    [first] = engine.tasks(case_id=case_id)
    with pytest.raises(GroupNotComputed, match="Beoordelen"):
        engine.complete(first.id, {"afdeling": ""})
    assert [t.id for t in engine.tasks(case_id=case_id)] == [first.id]     # nothing stored: still the first task
    engine.complete(first.id, {"afdeling": "specialist"})
    assert [t.role for t in engine.tasks(case_id=case_id)] == ["specialist"]


def test_an_assignee_on_a_field_the_case_lacks_names_the_task_and_stores_nothing(engine, tmp_path):
    """Found by bench/bench_corpus.py on the MIWG invoice model: the refusal named no element."""
    from engine.errors import RegieError

    path = model(tmp_path, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>'
                 '<bpmn:userTask id="t1" name="Goedkeuren" camunda:assignee="${approver}"/>')
    engine.deploy([path])
    with pytest.raises(RegieError) as refused:
        engine.start("p", {})
    assert getattr(refused.value, "element_id", "") == "t1"
    assert "De taak 'Goedkeuren' (t1) kan niet klaargezet worden" in str(refused.value)
    assert engine.cases() == []
    case_id = engine.start("p", {"approver": "jan"})
    assert [t.assignee for t in engine.tasks(case_id=case_id)] == ["jan"]


# --- smaller ------------------------------------------------------------------------------------------


def test_a_form_field_id_with_a_dash_is_a_field_with_an_underscore(sqlite_engine, tmp_path):
    sqlite_engine.deploy([model(tmp_path, (
        '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>'
        '<bpmn:userTask id="t1" camunda:candidateGroups="casemanager"><bpmn:extensionElements><camunda:formData>'
        '<camunda:formField id="jaar-omzet" label="Jaaromzet" type="long"/></camunda:formData></bpmn:extensionElements>'
        '</bpmn:userTask><bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="gw"/>'
        '<bpmn:exclusiveGateway id="gw" default="laag"/>'
        '<bpmn:sequenceFlow id="hoog" sourceRef="gw" targetRef="t2"><bpmn:conditionExpression>'
        "${execution.getVariable('jaar-omzet') &gt; 1000}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="laag" sourceRef="gw" targetRef="e"/>' + TASK.format(id="t2") + '<bpmn:endEvent id="e"/>'))])
    case_id = sqlite_engine.start("p", {})
    [task] = sqlite_engine.tasks(case_id=case_id)
    assert [f.name for f in sqlite_engine.form(task.id).fields] == ["jaar_omzet"]
    sqlite_engine.complete(task.id, {"jaar_omzet": 5000})
    assert [t.name for t in sqlite_engine.tasks(case_id=case_id)] == ["t2"]


CONDITIONAL = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wacht"/>'
               '<bpmn:intermediateCatchEvent id="wacht"><bpmn:conditionalEventDefinition><bpmn:condition>'
               '{condition}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>'
               '<bpmn:sequenceFlow id="f2" sourceRef="wacht" targetRef="t1"/>' + TASK.format(id="t1"))


def test_juel_in_a_conditional_event_runs_and_a_method_call_is_refused_at_validation(sqlite_engine, tmp_path):
    sqlite_engine.deploy([model(tmp_path, CONDITIONAL.format(condition="${bedrag &gt; 10}"))])
    case_id = sqlite_engine.start("p", {"bedrag": 20})
    assert [t.name for t in sqlite_engine.tasks(case_id=case_id)] == ["t1"]
    [problem] = sqlite_engine.validate([model(tmp_path, CONDITIONAL.format(condition="${x.getClass()}"))])
    assert problem.element_id == "wacht" and "'.getClass(...)' roept een methode aan" in problem.message


def test_juel_in_a_thrown_messages_payload_is_translated_or_refused(sqlite_engine, tmp_path):
    throw = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="stuur"/>'
             '<bpmn:intermediateThrowEvent id="stuur"><bpmn:messageEventDefinition messageRef="m" '
             'camunda:expression="{payload}"/></bpmn:intermediateThrowEvent>'
             '<bpmn:sequenceFlow id="f2" sourceRef="stuur" targetRef="t1"/>' + TASK.format(id="t1"))
    message = '<bpmn:message id="m" name="brief"/>'
    assert sqlite_engine.validate([model(tmp_path, throw.format(payload="${bedrag * 2}"), before=message)]) == []
    [problem] = sqlite_engine.validate([model(tmp_path, throw.format(payload="${bean.run()}"), before=message)])
    assert problem.element_id == "stuur" and problem.message.startswith("'${bean.run()}': ")
    [problem] = sqlite_engine.validate([model(tmp_path, throw.format(payload="${bedrag}"))])
    assert problem.message.startswith("Een element verwijst naar iets dat niet in het model staat")


def test_the_modeler_marks_a_java_service_task_as_a_warning(tmp_path):
    from engine.definitions import SourceFile
    from engine.expressions import Evaluator
    from engine.models.markers import check
    found = check([SourceFile("model.bpmn", "bpmn", model(tmp_path, SERVICES).read_text())], Evaluator())
    assert [(m.element, m.severity, m.kind) for m in found if m.kind == "manual"] == [
        ("bean", "warning", "manual"), ("java", "warning", "manual")]


def test_the_initiator_field_holds_who_started_the_case(sqlite_engine, tmp_path):
    sqlite_engine.deploy([model(tmp_path, (
        '<bpmn:startEvent id="s" camunda:initiator="initiator"/><bpmn:sequenceFlow id="f1" sourceRef="s" '
        'targetRef="t1"/><bpmn:userTask id="t1" camunda:candidateGroups="casemanager" camunda:assignee="${initiator}"/>'))])
    case_id = sqlite_engine.start("p", {}, actor="fatima")
    [task] = sqlite_engine.tasks(case_id=case_id)
    assert (task.assignee, sqlite_engine.state(case_id).data["initiator"]) == ("fatima", "fatima")
