"""Models are untrusted input: hostile expressions are refused at validation with the element id, the
expression and the reason; one that reaches a stored version some other way is refused at run time,
and nothing happens: no file is written, the case is as it was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

import engine.definitions as definitions
from engine import Engine, ModelError, SequentialIds
from engine.audit import canonical_json
from engine.errors import IncidentError, RegieError
from tests.conftest import ROOT
from tests.snapshot import database_snapshot

BASE = ROOT / "tests" / "engine" / "camunda_models" / "hostile"
MARKER = "{marker}"   # replaced by a file path in tmp_path: it must never be created

# What someone who wants in would write, in Regie's own expression language (Python-like).
HOSTILE = {
    "import-call": f"__import__('os').system('touch {MARKER}')",
    "import-statement": "import os",
    "dunder-walk": "().__class__.__bases__[0].__subclasses__()",
    "builtin-self": "len.__self__",
    "getattr": "getattr(bedrag, '__class__')",
    "type-mro": "type(bedrag).mro()",
    "format-attack": "'{0.__class__.__base__}'.format(bedrag)",
    "format-map-attack": "'{x.__class__}'.format_map({'x': bedrag})",
    "f-string-attack": "f'{bedrag.__class__}'",
    "percent-format": "'%s' % bedrag",
    "huge-power": "9 ** 9 ** 9",
    "huge-number": "10 ** 100000",
    "huge-text": "'x' * 10 ** 10",
    "huge-list": "[0] * 10 ** 9",
    "deep-nesting": "(" * 300 + "1" + ")" * 300,
    "deep-lists": "[" * 300 + "]" * 300,
    "recursion": "(lambda f: f(f))(lambda f: f(f))",
    "exec": "exec('import os')",
    "eval": "eval('1 + 1')",
    "open-file": f"open('{MARKER}', 'w').write('x')",
    "globals": "globals()",
    "generator-frame": "(x for x in [1]).gi_frame",
    "range-loop": "len(range(10 ** 12))",
}
# Long loops written as statements: refused in scripts before anything runs.
HOSTILE_SCRIPTS = {
    "while-loop": "while True:\n    totaal = 1",
    "for-loop": "for x in [1, 2]:\n    totaal = x",
    "def-recursion": "def f():\n    return f()\ntotaal = f()",
    "try-swallow": "try:\n    totaal = 1\nexcept Exception:\n    totaal = 2",
    "import-os": f"import os\nos.system('touch {MARKER}')",
}
JUEL_HOSTILE = {
    "java-runtime": "${''.getClass().forName('java.lang.Runtime').getRuntime().exec('touch x')}",
    "engine-services": "${execution.getProcessEngineServices().getRuntimeService()}",
    "spel-type": "${T(java.lang.Runtime).getRuntime()}",
    "python-import": "${__import__('os')}",
    "dunder": "${bedrag.__class__}",
}
FEEL_HOSTILE = {
    "import": '= __import__("os").system("x")',
    "dunder": "= bedrag.__class__",
    "huge-power": "= 9 ** 99999",
    "filter": "= lijst[item > 1]",
}

# Where an expression can hide in a model: file, the harmless text it replaces, the element a
# policy officer is sent to, and how the hostile text is written there.
POINTS = {
    "condition": ("basis.bpmn", "bedrag &gt; 100", "controle", lambda e: escape(e)),
    "script": ("basis.bpmn", "totaal = bedrag * 2", "berekenen", lambda e: escape(f"totaal = {e}")),
    "timer": ("basis.bpmn", ">termijn<", "wachten", lambda e: f">{escape(e)}<"),
    "dmn-input": ("basis.dmn", "&gt; 500", "toets/Regel_hoog", lambda e: escape(e)),
    "dmn-output": ("basis.dmn", '"hoog"', "toets/Regel_hoog|OutputEntry_hoog", lambda e: escape(e)),
}


def model_with(tmp_path: Path, point: str, text: str, marker: Path) -> Path:
    """A copy of the base model with ``text`` at ``point``."""
    folder = tmp_path / "model"
    shutil.copytree(BASE, folder)
    file, original, _, write = POINTS[point]
    path = folder / file
    source = path.read_text()
    assert original in source
    path.write_text(source.replace(original, write(text.replace(MARKER, str(marker))), 1))
    return folder


def nothing_stored(eng) -> bool:
    """No row in any table: a refused deploy wrote nothing anywhere."""
    return not any(database_snapshot(eng).values())


def assert_refused(problems, element: str, text: str) -> None:
    """One problem names the element (one of ``a|b``) and the expression, and says why."""
    found = [p for p in problems if p.element_id in element.split("|")]
    assert found, problems
    message = found[0].message
    assert text[:40] in message or text[:40].replace(" ", "") in message.replace(" ", ""), message
    reason = message.rsplit("': ", 1)[-1]
    assert len(reason) > 10, message


# --- refused at validation ------------------------------------------------------------------------


@pytest.mark.parametrize("point", sorted(POINTS))
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_expression_is_refused_at_validation(sqlite_engine, tmp_path, point, name):
    marker = tmp_path / "gehackt"
    folder = model_with(tmp_path, point, HOSTILE[name], marker)
    problems = sqlite_engine.validate([folder])
    assert_refused(problems, POINTS[point][2], HOSTILE[name].replace(MARKER, str(marker)))
    with pytest.raises(ModelError):
        sqlite_engine.deploy([folder])
    assert nothing_stored(sqlite_engine) and not marker.exists()


@pytest.mark.parametrize("name", sorted(HOSTILE_SCRIPTS))
def test_hostile_script_statements_are_refused_at_validation(sqlite_engine, tmp_path, name):
    marker = tmp_path / "gehackt"
    folder = tmp_path / "model"
    shutil.copytree(BASE, folder)
    path = folder / "basis.bpmn"
    script = HOSTILE_SCRIPTS[name].replace(MARKER, str(marker))
    path.write_text(path.read_text().replace("totaal = bedrag * 2", escape(script)))
    problems = sqlite_engine.validate([folder])
    assert [p.element_id for p in problems] == ["berekenen"]
    assert "niet toegestaan" in problems[0].message
    assert not marker.exists()


@pytest.mark.parametrize("name", sorted(JUEL_HOSTILE))
@pytest.mark.parametrize("where", ["condition", "assignee"])
def test_hostile_juel_is_refused_at_validation(sqlite_engine, tmp_path, name, where):
    folder = tmp_path / "model"
    shutil.copytree(BASE, folder)
    path = folder / "basis.bpmn"
    text = JUEL_HOSTILE[name]
    if where == "condition":
        path.write_text(path.read_text().replace("bedrag &gt; 100", escape(text)))
        element = "controle"
    else:
        path.write_text(path.read_text().replace('camunda:assignee="jan"', f'camunda:assignee="{escape(text)}"'))
        element = "intake"
    problems = sqlite_engine.validate([folder])
    assert_refused(problems, element, text)


@pytest.mark.parametrize("name", sorted(FEEL_HOSTILE))
@pytest.mark.parametrize("where", ["condition", "output-mapping"])
def test_hostile_feel_is_refused_at_validation(sqlite_engine, tmp_path, name, where):
    folder = tmp_path / "model"
    shutil.copytree(BASE, folder)
    path = folder / "basis.bpmn"
    source = path.read_text().replace(
        "<bpmn:definitions ", '<bpmn:definitions xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" ')
    text = FEEL_HOSTILE[name]
    if where == "condition":
        source = source.replace("bedrag &gt; 100", escape(text))
        element = "controle"
    else:
        mapping = (f'<bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="{escape(text, {chr(34): "&quot;"})}" '
                   'target="uitkomst"/></zeebe:ioMapping></bpmn:extensionElements>')
        source = source.replace('camunda:assignee="jan"/>', f'camunda:assignee="jan">{mapping}</bpmn:userTask>')
        element = "intake"
    path.write_text(source)
    problems = sqlite_engine.validate([folder])
    assert_refused(problems, element, text.lstrip("= "))


# --- refused at run time, without side effects ---------------------------------------------------


def snapshot(eng, case_id):
    """Every table's rows (the case's among them): a refused step writes nothing anywhere."""
    return database_snapshot(eng)


def tamper(eng, version_id: str, point: str, text: str) -> None:
    """Change a stored version's bundle in the database, past every check of deploy."""
    file, original, _, write = POINTS[point]
    with eng.store.write() as tx:
        row = tx.version(version_id)
        bundle = json.loads(row.bundle)
        kind = "dmn" if file.endswith(".dmn") else "bpmn"
        assert original in bundle[kind][file]
        bundle[kind][file] = bundle[kind][file].replace(original, write(text), 1)
        row.bundle = canonical_json(bundle)


@pytest.mark.parametrize("point", ["condition", "script", "timer", "dmn-input"])
@pytest.mark.parametrize("attack", ["import-call", "open-file"])
def test_hostile_expression_in_stored_bundle_is_refused_at_run_time(engine, db_url, clock, tmp_path, point, attack):
    marker = tmp_path / "gehackt"
    [version] = engine.deploy([BASE])
    case_id = engine.start("basis", {"bedrag": 600, "termijn": "P1D"})
    tamper(engine, version.version_id, point, HOSTILE[attack].replace(MARKER, str(marker)))
    fresh = Engine.from_url(db_url, clock=clock, ids=SequentialIds(), cache_size=0)   # another process
    before = snapshot(fresh, case_id)
    [task] = fresh.tasks(case_id=case_id)
    with pytest.raises(RegieError) as refused:
        fresh.complete(task.id, {}, actor="jan")
    assert POINTS[point][2].split("/")[0] in str(refused.value)
    assert "niet toegestaan" in str(refused.value)
    assert not marker.exists()
    assert snapshot(fresh, case_id) == before
    assert not fresh.verify(case_id)   # an auditor sees it too
    fresh.store.dispose()


@pytest.mark.parametrize("point, attack", [
    ("condition", "import-call"), ("condition", "open-file"), ("script", "open-file"), ("timer", "import-call"),
])
def test_hostile_expression_past_validation_is_refused_by_the_evaluator(engine, tmp_path, monkeypatch, point, attack):
    """If validation ever missed one, the evaluator still refuses it when it would run."""
    marker = tmp_path / "gehackt"
    folder = model_with(tmp_path, point, HOSTILE[attack], marker)
    monkeypatch.setattr(definitions, "_check_expressions", lambda *args: [])
    engine.deploy([folder])
    case_id = engine.start("basis", {"bedrag": 600, "termijn": "P1D"})
    before = snapshot(engine, case_id)
    [task] = engine.tasks(case_id=case_id)
    with pytest.raises(IncidentError) as refused:
        engine.complete(task.id, {}, actor="jan")
    assert refused.value.element_id == POINTS[point][2]
    assert "niet toegestaan" in refused.value.reason
    assert not marker.exists()
    assert snapshot(engine, case_id) == before


def test_hostile_decision_cell_past_validation_becomes_an_incident_when_the_timer_fires(engine, tmp_path, monkeypatch, clock):
    marker = tmp_path / "gehackt"
    folder = model_with(tmp_path, "dmn-output", HOSTILE["open-file"], marker)
    monkeypatch.setattr(definitions, "_check_expressions", lambda *args: [])
    engine.deploy([folder])
    case_id = engine.start("basis", {"bedrag": 600, "termijn": "P1D"})
    [task] = engine.tasks(case_id=case_id)
    engine.complete(task.id, {}, actor="jan")
    state_before = engine.state(case_id)
    clock.advance(days=2)
    assert engine.fire_due_timers() == 0
    assert not marker.exists()
    after = engine.state(case_id)
    assert (after.status, after.active, after.data) == (state_before.status, state_before.active, state_before.data)
    incident = engine.history(case_id)[-1]
    assert incident.type == "incident" and "niet toegestaan" in json.dumps(incident.payload, ensure_ascii=False)


def test_a_loop_the_check_cannot_see_through_is_stopped_at_run_time(engine, tmp_path):
    """A comprehension over case data passes the check; the evaluator's work budget stops it."""
    folder = tmp_path / "model"
    shutil.copytree(BASE, folder)
    path = folder / "basis.bpmn"
    path.write_text(path.read_text().replace("bedrag &gt; 100", "len([x for x in lijst for y in lijst]) &gt; 0"))
    assert engine.validate([folder]) == []
    engine.deploy([folder])
    case_id = engine.start("basis", {"bedrag": 600, "termijn": "P1D", "lijst": list(range(5000))})
    before = snapshot(engine, case_id)
    [task] = engine.tasks(case_id=case_id)
    with pytest.raises(IncidentError) as stopped:
        engine.complete(task.id, {}, actor="jan")
    assert stopped.value.element_id == "controle"
    assert snapshot(engine, case_id) == before
