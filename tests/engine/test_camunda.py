"""Models drawn in Camunda Modeler (Camunda 7 and 8), as policy staff upload them: roles from candidate
groups, forms from the model, JUEL and FEEL on the restricted evaluator, work outside Regie in the inbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from engine import InvalidData
from engine.dialects import feel_to_expression, prepare, to_expression, xpath_to_expression
from engine.errors import UnsafeExpression
from engine.spiff import _DECISION_RESULTS
from tests.conftest import ROOT

CAMUNDA = ROOT / "tests" / "engine" / "camunda_models"
C7 = CAMUNDA / "c7"
C8 = CAMUNDA / "zeebe"

# --- expression languages -------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("${approved}", "approved"),
    ("${!approved}", "not approved"),
    ("${clarified == 'yes'}", "clarified == 'yes'"),
    ("${bedrag >= 1000 && akkoord}", "bedrag >= 1000 and akkoord"),
    ("${spoed ? 'P1D' : 'P5D'}", "'P1D' if spoed else 'P5D'"),
    ("${execution.getVariable('bedrag') gt 10}", "bedrag > 10"),
    ("#{approved}", "approved"),
    ("bedrag > 100", "bedrag > 100"),   # Regie's own language stays as written
])
def test_juel_becomes_regie(text, expected):
    assert to_expression(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("= approved", "approved"),
    ("= not(approved)", "(not approved)"),
    ('= status = "gepland" and aantal kinderen > 0', "((status == 'gepland') and (aantal_kinderen > 0))"),
    ('= some risk in riskLevels satisfies risk = "red"', "any([(risk == 'red') for risk in riskLevels])"),
    ('= every risk in riskLevels satisfies risk = "yellow"', "all([(risk == 'yellow') for risk in riskLevels])"),
    ('= if result != null then result.riskLevel else ["green"]', "(result.riskLevel if (result != None) else ['green'])"),
    ("= body.value[1]", "body.value[0]"),
    ("= lijst[-1]", "lijst[-1]"),
    ("= Vacation Approval Status.Approval", "Vacation_Approval_Status.Approval"),
    ("= string(now())", "str(now())"),
    ("= count(kinderen) between 1 and 3", "(1 <= len(kinderen) <= 3)"),
    ("= for x in bedragen return x * 2", "[(x * 2) for x in bedragen]"),
    ('= {naam: "Ada", "leeftijd": 7}', "{'naam': 'Ada', 'leeftijd': 7}"),
    ('= upper case(naam) = "ADA"', "(('naam').upper() == 'ADA')".replace("'naam'", "naam")),
    ('= contains(naam, "d")', "('d' in naam)"),
])
def test_feel_becomes_regie(text, expected):
    assert to_expression(text) == expected


@pytest.mark.parametrize("text, reason", [
    ('= string join(namen, ", ")', "de FEEL-functie 'string join' kan Regie niet uitvoeren"),
    ("= lijst[item > 1]", "Een filter of berekende plaats kan Regie niet uitvoeren"),
    ("= [1..10]", "een reeks zoals [1..10] kan Regie niet uitvoeren"),
    ("= x instance of string", "'instance of' kan Regie niet uitvoeren"),
    ("= 'enkel'", "dubbele aanhalingstekens"),
    ('= @"2024-01-01"', "datum-tekst met @"),
    ("= from", "kan geen veld in Regie zijn"),
])
def test_feel_outside_the_subset_is_refused_with_a_reason(text, reason):
    with pytest.raises(UnsafeExpression) as refused:
        to_expression(text)
    assert reason in refused.value.reason
    assert refused.value.expression == text[1:].strip()


@pytest.mark.parametrize("text, expected", [
    ("bpmn:getDataObject('approved')", "approved"),
    ("not(bpmn:getDataObject('approved'))", "(not approved)"),
    ("bpmn:getDataObject('clarified') = 'no'", "(clarified == 'no')"),
    ("bpmn:getDataObject('a') = true() and bedrag > 2", "((a == True) and (bedrag > 2))"),
])
def test_xpath_on_data_objects_becomes_regie(text, expected):
    assert xpath_to_expression(text) == expected


def test_xpath_declared_by_default_leaves_regie_expressions_alone():
    assert to_expression("akkoord == True and bedrag < 1000", xpath=True) == "akkoord == True and bedrag < 1000"
    with pytest.raises(UnsafeExpression, match="bpmn:getDataObject"):
        xpath_to_expression("bpmn:getActivityProperty('x', 'y')")


def test_feel_functions_run_on_the_evaluator(sqlite_engine):
    names = {"kinderen": ["Ada", "Bo"], "naam": "Ada", "body": {"value": [{"dagen": 3}]}}
    evaluate = sqlite_engine.evaluator.evaluate
    assert evaluate(feel_to_expression('count(kinderen) = 2 and upper case(naam) = "ADA"'), names) is True
    assert evaluate(feel_to_expression("body.value[1].dagen + 1"), names) == 4
    assert evaluate(feel_to_expression("string(today())"), names) == "2026-01-05"


@pytest.mark.parametrize("mapping, outputs, collect, expected", [
    ("zeebe", [{"prioriteit": "hoog"}], False, "hoog"),
    ("zeebe", [{"a": 1, "b": 2}], False, {"a": 1, "b": 2}),
    ("zeebe", [{"a": 1}, {"a": 2}], True, [1, 2]),
    ("zeebe", [], False, None),
    ("singleEntry", [{"norm": 250}], False, 250),
    ("singleResult", [{"a": 1, "b": 2}], False, {"a": 1, "b": 2}),
    ("collectEntries", [{"a": 1}, {"a": 2}], True, [1, 2]),
    ("resultList", [{"a": 1}], False, [{"a": 1}]),
])
def test_decision_results_take_the_dialects_shape(mapping, outputs, collect, expected):
    assert _DECISION_RESULTS[mapping](outputs, collect) == expected


# --- a Camunda 7 model -----------------------------------------------------------------------------


def start_c7(engine, **data):
    engine.deploy([C7])
    return engine.start("bijstand_c7", {"aanvrager": "Fatima", "bedrag": 1500, "spoed": True,
                                        "behandelaar": "jan", **data})


def test_candidate_groups_route_tasks_to_those_roles(engine):
    case_id = start_c7(engine)
    [task] = engine.tasks(role="casemanager")
    assert (task.name, task.assignee) == ("beoordelen", "jan")   # camunda:assignee="${behandelaar}"
    assert task.due == datetime(2026, 1, 6, 9, 0, tzinfo=UTC)   # ${spoed ? 'P1D' : 'P5D'}
    assert engine.tasks(role="specialist") == []
    engine.complete(task.id, {"akkoord": True, "categorie": "inrichting"}, actor="jan")
    [second] = engine.tasks(role="specialist")
    assert (second.name, second.case_id) == ("tweede_lezing", case_id)
    assert engine.tasks(role="casemanager") == []


def test_camunda_7_model_runs_to_its_end(engine):
    case_id = start_c7(engine)
    steps = [("beoordelen", {"akkoord": True, "categorie": "inrichting", "besluitdatum": "2026-01-06"}),
             ("tweede_lezing", {"bedrag_klopt": True}),
             ("betalen", {}),                                     # a Java service task: done by a person
             ("gw_route__keuze", {"keuze_hoe_verder": "f_gesprek"}),
             ("gesprek", {})]
    for element, data in steps:
        [task] = engine.tasks(case_id=case_id)
        assert task.name == element
        engine.complete(task.id, data, actor="jan")
    state = engine.state(case_id)
    assert state.status == "completed"
    assert (state.data["norm"], state.data["totaal"]) == (1200, 2700)   # decision + script
    assert engine.verify(case_id)


def test_message_start_event_starts_the_case_with_the_form_data_of_the_model(engine):
    engine.deploy([C7])
    form = engine.current_version("bijstand_c7").start_form()
    assert [(f.name, f.type, f.required) for f in form.fields] == [
        ("aanvrager", "text", True), ("bedrag", "integer", True), ("spoed", "yesno", False),
        ("behandelaar", "text", False)]
    assert form.field("spoed").default is False and form.field("bedrag").min == 1
    with pytest.raises(InvalidData) as refused:
        engine.start("bijstand_c7", {"bedrag": "veel"})
    assert refused.value.by_field() == {"aanvrager": "Vul dit veld in.",
                                        "bedrag": "Vul een heel getal in, bijvoorbeeld 3."}
    assert engine.cases() == []


def test_form_data_becomes_a_form_with_dutch_messages(engine):
    case_id = start_c7(engine)
    [task] = engine.tasks(case_id=case_id)
    form = engine.form(task.id)
    assert form.title == "Aanvraag beoordelen"
    assert [(f.name, f.label, f.type, f.required) for f in form.fields] == [
        ("akkoord", "Akkoord met de aanvraag?", "yesno", True),
        ("categorie", "Soort kosten", "choice", False),
        ("besluitdatum", "Datum besluit", "date", False),
    ]   # the readonly field is shown, not filled in
    assert form.field("categorie").choices == (("leefgeld", "Leefgeld"), ("inrichting", "Inrichting woning"))
    with pytest.raises(InvalidData) as refused:
        engine.complete(task.id, {"categorie": "vakantie"})
    assert refused.value.by_field() == {"akkoord": "Vul dit veld in.", "categorie": "Kies een van de opties."}
    assert engine.tasks(case_id=case_id) == [task]


def test_a_yaml_form_of_the_same_name_wins_over_form_data(engine):
    engine.deploy([C7])
    version = engine.current_version("bijstand_c7")
    assert version.user_tasks["tweede_lezing"].form == "tweede-lezing"
    assert list(version.bundle["forms"]) == ["tweede-lezing"]   # forms from the model are derived on load
    assert version.forms["formdata-beoordelen"].fields[0].name == "akkoord"


def test_route_choice_lists_the_routes_by_name(engine):
    case_id = start_c7(engine, bedrag=100)
    for data in ({"akkoord": True, "categorie": "leefgeld"}, {}):
        [task] = engine.tasks(case_id=case_id)
        engine.complete(task.id, data)
    [choice] = engine.tasks(case_id=case_id)
    assert (choice.title, choice.role) == ("Kies: Hoe verder?", "casemanager")
    assert engine.form(choice.id).fields[0].choices == (("f_af", "Afronden"), ("f_gesprek", "Nog een gesprek"))
    engine.complete(choice.id, {"keuze_hoe_verder": "f_af"})
    assert engine.state(case_id).status == "completed"


# --- a Camunda 8 (Zeebe) model ---------------------------------------------------------------------


def test_camunda_8_model_runs_to_its_end(engine):
    engine.deploy([C8])
    case_id = engine.start("huisbezoek_c8", {"kinderen": ["Ada", "Bo", "Cas"], "behandelaar": "jan"})
    [task] = engine.tasks(case_id=case_id)
    assert (task.title, task.role, task.assignee) == ("Huisbezoek plannen", "casemanager", "jan")
    engine.complete(task.id, {"adres": "Dorpsstraat 1", "dagdeel": "ochtend", "bezoek_datum": "2026-01-20",
                              "akkoord": True})
    talks = []
    for _ in range(3):   # multi-instance over the collection, one child at a time
        [task] = engine.tasks(role="specialist")
        talks.append(task.title)
        engine.complete(task.id, {})
    assert talks == ["Kind spreken"] * 3
    assert engine.tasks(case_id=case_id) == []    # the letter is a job worker's work: it waits for a worker
    [letter] = engine.external_tasks.fetch_and_lock("post", ["brief-versturen"])
    assert (letter.element, letter.retries) == ("brief", 3)
    engine.external_tasks.complete(letter.id, "post")
    state = engine.state(case_id)
    assert state.status == "completed"   # the waiting timer event subprocess does not hold it open
    assert (state.data["aantal_kinderen"], state.data["status"], state.data["prioriteit"]) == (3, "gepland", "hoog")
    assert "namen" not in state.data   # input mappings fill task variables; a Regie task sees the case
    assert engine.verify(case_id)


def test_camunda_form_becomes_a_regie_form(engine):
    engine.deploy([C8])
    case_id = engine.start("huisbezoek_c8", {"kinderen": [], "behandelaar": "jan"})
    [task] = engine.tasks(case_id=case_id)
    form = engine.form(task.id)
    assert [(f.name, f.type, f.required) for f in form.fields] == [
        ("adres", "text", True), ("dagdeel", "choice", False), ("bezoek_datum", "date", False),
        ("akkoord", "yesno", False)]   # text and disabled fields show, they are not filled in
    with pytest.raises(InvalidData) as refused:
        engine.complete(task.id, {"dagdeel": "nacht"})
    assert refused.value.by_field() == {"adres": "Vul dit veld in.", "dagdeel": "Kies een van de opties."}


def test_non_interrupting_timer_event_subprocess_adds_a_task_while_the_case_goes_on(engine, clock):
    engine.deploy([C8])
    case_id = engine.start("huisbezoek_c8", {"kinderen": ["Ada"], "behandelaar": "jan"})
    clock.advance(days=30, minutes=1)
    assert engine.fire_due_timers() == 1
    titles = sorted(t.title for t in engine.tasks(case_id=case_id))
    assert titles == ["Bewoner herinneren", "Huisbezoek plannen"]


# --- what prepare does to a document --------------------------------------------------------------

DOC = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:activiti="http://activiti.org/bpmn"
  id="d" targetNamespace="x">{body}</bpmn:definitions>"""


def prepared(body: str):
    root = etree.fromstring(DOC.format(body=body).encode())
    return root, prepare(root, "test.bpmn")


def test_activiti_attributes_are_camundas():
    root, found = prepared('<bpmn:process id="p" isExecutable="true"><bpmn:userTask id="t" '
                           'activiti:candidateGroups="team" activiti:formKey="app:x.jsf"/></bpmn:process>')
    task = root.find(".//{*}userTask")
    assert task.get("{http://camunda.org/schema/1.0/bpmn}candidateGroups") == "team"
    assert found.problems == []


def test_a_process_without_is_executable_is_not_run(sqlite_engine, tmp_path):
    (tmp_path / "m.bpmn").write_text(DOC.format(body='<bpmn:process id="p"><bpmn:startEvent id="s"/></bpmn:process>'))
    [problem] = sqlite_engine.validate([tmp_path])
    assert problem.element_id == "p" and "niet uitvoerbaar" in problem.message


def test_data_stores_and_associations_are_documentation(sqlite_engine, tmp_path):
    body = """<bpmn:dataStore id="ds" name="Zaaksysteem"/>
      <bpmn:process id="p" isExecutable="true">
        <bpmn:dataStoreReference id="dsr" dataStoreRef="ds"/>
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
        <bpmn:userTask id="t" name="Vastleggen">
          <bpmn:ioSpecification id="io"><bpmn:dataOutput id="out" name="besluit"/>
            <bpmn:outputSet id="os"><bpmn:dataOutputRefs>out</bpmn:dataOutputRefs></bpmn:outputSet></bpmn:ioSpecification>
          <bpmn:dataOutputAssociation id="a1"><bpmn:sourceRef>out</bpmn:sourceRef><bpmn:targetRef>dsr</bpmn:targetRef></bpmn:dataOutputAssociation>
        </bpmn:userTask>
        <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>
      </bpmn:process>"""
    (tmp_path / "m.bpmn").write_text(DOC.format(body=body))
    sqlite_engine.deploy([tmp_path])
    case_id = sqlite_engine.start("p", {})
    [task] = sqlite_engine.tasks(case_id=case_id)
    sqlite_engine.complete(task.id, {"besluit": "ja"})
    assert sqlite_engine.state(case_id).data == {"besluit": "ja"}


def test_a_subprocess_without_start_event_starts_where_nothing_leads_in(sqlite_engine, tmp_path):
    body = """<bpmn:process id="p" isExecutable="true">
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
        <bpmn:subProcess id="sub" name="Twee dingen tegelijk">
          <bpmn:userTask id="a" name="Bellen"/><bpmn:userTask id="b" name="Schrijven"/>
        </bpmn:subProcess>
        <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e"/><bpmn:endEvent id="e"/>
      </bpmn:process>"""
    (tmp_path / "m.bpmn").write_text(DOC.format(body=body))
    sqlite_engine.deploy([tmp_path])
    case_id = sqlite_engine.start("p", {})
    tasks = sqlite_engine.tasks(case_id=case_id)
    assert sorted(t.title for t in tasks) == ["Bellen", "Schrijven"]
    for task in tasks:
        sqlite_engine.complete(task.id, {})
    assert sqlite_engine.state(case_id).status == "completed"


@pytest.mark.parametrize("task, message", [
    ('<bpmn:scriptTask id="t" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
     "scripts in 'groovy' kan Regie niet uitvoeren"),
    ('<bpmn:userTask id="t" camunda:candidateGroups="${groepen.foo()}"/>', "roept een methode aan"),
    ('<bpmn:userTask id="t" camunda:candidateUsers="${wie}"/>', "rekent de gebruikers uit"),
    ('<bpmn:userTask id="t" camunda:formKey="bestaat-niet"/>', "Het formulier 'bestaat-niet' bestaat niet"),
    ('<bpmn:businessRuleTask id="t" camunda:decisionRef="onbekend"/>', "De beslistabel 'onbekend' ontbreekt"),
    ('<bpmn:callActivity id="t" calledElement="elders"/>', "Het aangeroepen proces 'elders' is niet gevonden"),
])
def test_what_regie_cannot_run_is_named_with_its_element(sqlite_engine, tmp_path, task, message):
    body = f"""<bpmn:process id="p" isExecutable="true">
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>{task}
        <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>"""
    (tmp_path / "m.bpmn").write_text(DOC.format(body=body))
    [problem] = sqlite_engine.validate([tmp_path])
    assert (problem.file, problem.element_id) == ("m.bpmn", "t")
    assert message in problem.message


def test_foreign_form_keys_leave_the_task_without_a_form(sqlite_engine, tmp_path):
    body = """<bpmn:process id="p" isExecutable="true">
        <bpmn:startEvent id="s" camunda:formKey="embedded:app:forms/start.html"/>
        <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
        <bpmn:userTask id="t" camunda:formKey="app:beoordelen.jsf"/>
        <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>"""
    (tmp_path / "m.bpmn").write_text(DOC.format(body=body))
    [version] = sqlite_engine.deploy([tmp_path])
    loaded = sqlite_engine.version(version.version_id)
    assert loaded.start_form() is None and loaded.user_tasks["t"].form is None


def test_regie_deploys_a_diagram_as_documentation_on_request(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from engine.cli import main

    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "schets.bpmn").write_text(DOC.format(
        body='<bpmn:process id="schets" name="Schets" isExecutable="false"><bpmn:startEvent id="s"/></bpmn:process>'))
    runner = CliRunner()
    refused = runner.invoke(main, ["validate", str(tmp_path / "model")])
    assert refused.exit_code == 1 and "schets.bpmn: schets: Dit proces is niet uitvoerbaar" in refused.output
    accepted = runner.invoke(main, ["validate", "--documentation", str(tmp_path / "model")])
    assert accepted.exit_code == 0 and "Geen problemen gevonden." in accepted.output
    deployed = runner.invoke(main, ["deploy", "--documentation", str(tmp_path / "model")])
    assert deployed.exit_code == 0 and deployed.output.startswith("schets: versie ")
    started = runner.invoke(main, ["start", "schets"])
    assert started.exit_code == 1 and "alleen als documentatie uitgerold" in started.output


def test_a_multi_instance_loop_goes_on_in_another_process(db_url, clock):
    """Each step by a different engine (another web worker, or after a restart): the loop over the
    collection still creates its next instance."""
    from engine import Engine, SequentialIds

    engines = []

    def another_process():
        engines.append(Engine.from_url(db_url, clock=clock, ids=SequentialIds(), cache_size=0))
        return engines[-1]

    try:
        another_process().deploy([C8])
        case_id = another_process().start("huisbezoek_c8", {"kinderen": ["Ada", "Bo", "Cas"], "behandelaar": "jan"})
        titles = []
        for data in ({"adres": "Dorpsstraat 1", "akkoord": True}, {}, {}, {}):
            eng = another_process()
            [task] = eng.tasks(case_id=case_id)
            titles.append(task.title)
            eng.complete(task.id, data)
        assert titles == ["Huisbezoek plannen", "Kind spreken", "Kind spreken", "Kind spreken"]
        [letter] = another_process().external_tasks.fetch_and_lock("post", ["brief-versturen"])   # a job worker
        another_process().external_tasks.complete(letter.id, "post")
        assert another_process().state(case_id).status == "completed" and engines[-1].verify(case_id)
    finally:
        for eng in engines:
            eng.store.dispose()
