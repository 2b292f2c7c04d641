"""The policy officer's walk in a real browser: open hersteloperatie in the modeler, rename a task, move it
to another lane, see a marker on a broken condition's sequence flow, fix it, deploy with a note, see the
diff; a new case runs on the new version while an older case stays on its own; dry run and migration of
that case, which still verifies. Screenshots go to docs/screenshots with REGIE_SCREENSHOTS=1."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.errors import ModelError
from engine.store import UserRow
from tests.conftest import ROOT

from .conftest import PASSWORD, shot, start_server

pytestmark = pytest.mark.browser
TASK, FLOW = "Task_OuderTerugbellen", "Flow_HulpGewenst"
START = {"naam_ouder": "Demo Ouder", "bron": "melding_ouder"}


@pytest.fixture
def policy_server(tmp_path, password_hash):
    try:
        live = start_server(tmp_path, password_hash, models=(ROOT / "processes", ROOT / "forms"))
    except ModelError as err:
        pytest.skip(f"De modellen in processes/ kunnen nu niet worden uitgerold: {err}")
    with live.engine.store.write() as tx:
        tx.save_user(UserRow(username="pim", name="Pim Beleid", password_hash=password_hash, roles="policy", active=True))
    yield live
    live.stop()


def _start_case(eng) -> str:
    form = eng.current_version("hersteloperatie").start_form()
    data = {k: v for k, v in START.items() if k in {f.name for f in form.fields}}
    for f in form.fields:
        if f.required and f.name not in data and f.shown(data):
            data[f.name] = f.choices[0][0] if f.choices else ("Demo" if f.type in ("text", "textarea") else None)
    return eng.start("hersteloperatie", {k: v for k, v in data.items() if v is not None}, actor="cas")


def select(page, element_id: str) -> None:
    """Select an element as a click does, shown at reading size (the palette covers the canvas's left edge)."""
    page.evaluate("""id => {
        const m = window.regieModeler, element = m.get('elementRegistry').get(id), canvas = m.get('canvas');
        canvas.zoom(0.9);
        canvas.scrollToElement(element, {top: 200, bottom: 200, left: 300, right: 300});
        m.get('selection').select(element);
    }""", element_id)


def test_policy_walk_edit_validate_deploy_diff_and_migrate(chromium, policy_server):
    eng = policy_server.engine
    old_case = _start_case(eng)
    old_version = eng.state(old_case).version_id
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(policy_server.url + "/login")
    page.get_by_label("Gebruikersnaam").fill("pim")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/modellen/")
    shot(page, "modellen-bibliotheek")
    # The check's outcome in words: no "(26.4 ms)" (a decimal point in a Dutch page), no "0 fout(en)".
    page.goto(policy_server.url + "/modellen/loket/bewerken")
    page.wait_for_selector("#modeler[data-klaar='1']")
    expect(page.locator("#controle-samenvatting")).to_have_text("Geen problemen gevonden.")
    page.goto(policy_server.url + "/modellen/")
    page.get_by_role("link", name="Hersteloperatie", exact=False).first.click()
    page.get_by_role("link", name="Model bewerken").click()
    page.wait_for_selector("#modeler[data-klaar='1']")
    expect(page.locator("#controle-samenvatting")).to_have_text("3 waarschuwingen. U kunt uitrollen, maar lees ze eerst.")

    # Rename a task and move it to the coordinator's lane.
    select(page, TASK)
    page.fill("#e-naam", "Ouder binnen 24 uur terugbellen")
    page.press("#e-naam", "Tab")
    page.select_option("#e-baan", "Lane_Coordinator")
    # Break a condition: a field nobody fills. The marker lands on the sequence flow, not the gateway.
    select(page, FLOW)
    page.fill("#e-voorwaarde", 'contact_uitkomt == "hulp_gewenst"')
    page.press("#e-voorwaarde", "Tab")
    marker = page.locator(f"#controle-lijst li.fout[data-element='{FLOW}']")
    expect(marker).to_contain_text("leest 'contact_uitkomt'")
    expect(page.locator(f"g.djs-element.regie-fout[data-element-id='{FLOW}']")).to_have_count(1)
    shot(page, "modeler-marker", max_height=1400)
    # Fix it: the marker goes away.
    page.fill("#e-voorwaarde", 'contact_uitkomst == "hulp_gewenst"')
    page.press("#e-voorwaarde", "Tab")
    expect(page.locator("#controle-lijst li.fout")).to_have_count(0)

    # Deploy with a note; the comparison shows what changed.
    page.fill("#toelichting", "Terugbellen bewaakt de coördinator; duidelijkere naam.")
    page.get_by_role("button", name="Uitrollen").click()
    page.wait_for_url("**/vergelijk?van=1&naar=2")
    changes = page.locator("#verschillen")
    expect(changes).to_contain_text("naam: 'Ouder terugbellen' → 'Ouder binnen 24 uur terugbellen'")
    expect(changes).to_contain_text("baan: 'casemanager' → 'coordinator'")
    page.wait_for_selector(f"g.djs-element.regie-anders[data-element-id='{TASK}']")
    shot(page, "modellen-vergelijken")

    # A new case runs on the new version; the older case stays on its own.
    new_case = _start_case(eng)
    assert eng.state(new_case).version_id != old_version and eng.state(old_case).version_id == old_version
    # Dry run, then migration of the older case, which still verifies.
    dry = eng.migrate("hersteloperatie", "2", [old_case], dry_run=True)
    assert dry.summary().startswith("1 zaak kan over naar versie 2") and dry.moved == []
    done = eng.migrate("hersteloperatie", "2", [old_case], dry_run=False, actor="pim")
    assert done.moved == [old_case] and eng.state(old_case).version_id == eng.state(new_case).version_id
    assert eng.verify(old_case), str(eng.verify(old_case))
    context.close()


def test_a_model_with_a_script_element_or_unsafe_expression_cannot_be_deployed(chromium, policy_server, tmp_path):
    bpmn = (ROOT / "processes" / "hersteloperatie.bpmn").read_text(encoding="utf-8")
    script = re.sub(rf'(<bpmn:userTask id="{TASK}"[^>]*?)(/?)>', lambda m: m.group(1) + ">" + (
        '<bpmn:extensionElements><html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(document.cookie)'
        "</html:script></bpmn:extensionElements>") + ("</bpmn:userTask>" if m.group(2) else ""), bpmn, count=1)
    assert "html:script" in script
    unsafe = bpmn.replace('contact_uitkomst == "hulp_gewenst"', "__import__('os').system('id')")
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(policy_server.url + "/login")
    page.get_by_label("Gebruikersnaam").fill("pim")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/modellen/")
    before = policy_server.engine.current_version("hersteloperatie").id
    for name, text, words in (("script", script, "HTML-element <script>"), ("unsafe", unsafe, "__import__")):
        path = tmp_path / name / "hersteloperatie.bpmn"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        page.goto(policy_server.url + "/modellen/hersteloperatie")
        page.set_input_files("#bestanden", str(path))
        page.fill("#toelichting", "Probeer")
        page.get_by_role("button", name="Controleren en uitrollen").click()
        expect(page.locator("#problemen")).to_contain_text(words)
    shot(page, "modellen-geweigerd", max_height=700)
    assert policy_server.engine.current_version("hersteloperatie").id == before
    context.close()
