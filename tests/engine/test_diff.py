"""Comparing two versions: elements added, removed, changed; forms field by field; decision tables rule by rule."""

from __future__ import annotations

import json
from pathlib import Path

from engine.models.diff import diff_bundles
from tests.conftest import MODELS, ROOT
from tests.engine.test_cli import regie  # noqa: F401  (the fixture)

BPMN = (MODELS / "aanvraag.bpmn").read_text(encoding="utf-8")
INTAKE = (MODELS / "intake.yaml").read_text(encoding="utf-8")
DMN = (ROOT / "processes" / "crisischeck.dmn").read_text(encoding="utf-8")


def bundle(bpmn=BPMN, intake=INTAKE, dmn=DMN):
    return {"bpmn": {"aanvraag.bpmn": bpmn}, "forms": {"intake": intake}, "dmn": {"crisischeck.dmn": dmn}}


def moved_plan(bpmn: str) -> str:
    return bpmn.replace("<bpmn:flowNodeRef>plan</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>intake</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>intake</bpmn:flowNodeRef><bpmn:flowNodeRef>plan</bpmn:flowNodeRef>")


def test_same_bundle_has_no_changes():
    assert not diff_bundles(bundle(), bundle())


def test_renamed_moved_and_changed_elements_are_listed_with_what_changed():
    new = moved_plan(BPMN.replace('name="Intake doen"', 'name="Eerste gesprek"')
                     .replace("bedrag &lt; 1000", "bedrag &lt; 2000"))
    changes = diff_bundles(bundle(), bundle(new))
    assert [(c.kind, c.id, c.details) for c in changes.changes] == [
        ("changed", "intake", ("naam: 'Intake doen' → 'Eerste gesprek'",)),
        ("changed", "plan", ("baan: 'specialist' → 'casemanager'",)),
        ("changed", "f_ja", ("voorwaarde: 'akkoord == True and bedrag < 1000' → 'akkoord == True and bedrag < 2000'",)),
    ]
    assert changes.ids("changed") == ["intake", "plan", "f_ja"]


def test_added_and_removed_elements():
    new = BPMN.replace('<bpmn:endEvent id="end_afgewezen" name="Afgewezen"/>',
                       '<bpmn:userTask id="nabellen" name="Nabellen"/>')
    changes = diff_bundles(bundle(), bundle(new))
    assert ("added", "nabellen") in [(c.kind, c.id) for c in changes.changes]
    assert ("removed", "end_afgewezen") in [(c.kind, c.id) for c in changes.changes]
    assert changes.to_dict()["added"] == ["nabellen"] and changes.to_dict()["removed"] == ["end_afgewezen"]


def test_forms_field_by_field_and_decisions_rule_by_rule():
    form = INTAKE.replace("Wil de bewoner hulp?", "Wil de ouder hulp?") + "  - name: x\n    label: X\n    type: text\n"
    dmn = DMN.replace("<text>True</text>", "<text>False</text>", 1)
    changes = {c.id: c for c in diff_bundles(bundle(), bundle(intake=form, dmn=dmn)).changes}
    assert changes["intake"].details == ("veld akkoord label: 'Wil de bewoner hulp?' → 'Wil de ouder hulp?'",
                                         "veld x: nieuw (label='X', type='text')")
    assert changes["crisischeck"].type == "beslistabel"
    assert changes["crisischeck"].details[0].startswith("regel Rule_crisischeck_1 als: 'Dreigende huisuitzetting = True")


def test_regie_diff_on_the_command_line(regie, tmp_path):  # noqa: F811
    regie("deploy", MODELS)
    v2 = tmp_path / "v2"
    v2.mkdir()
    for p in Path(MODELS).iterdir():
        (v2 / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (v2 / "aanvraag.bpmn").write_text(BPMN.replace('name="Intake doen"', 'name="Eerste gesprek"'), encoding="utf-8")
    regie("deploy", v2)
    out = regie("diff", "aanvraag", "1", "2").output
    assert out.splitlines()[1:] == ["~ anders\ttaak intake (Eerste gesprek)", "\t\tnaam: 'Intake doen' → 'Eerste gesprek'"]
    assert json.loads(regie("diff", "aanvraag", "1", "2", "--json").output)["changed"] == ["intake"]
    assert "Geen verschillen." in regie("diff", "aanvraag", "2", "2").output
