"""The policy staff's model library (/modellen): versions with notes and case counts, deploy from the
web with a change note, four-eyes approval, files served so that they never run."""

from __future__ import annotations

import io

import pytest

from engine.store import UserRow
from tests.conftest import MODELS

from .conftest import flashes, text

BPMN = (MODELS / "aanvraag.bpmn").read_text(encoding="utf-8")


def _upload(browser, bpmn: str, note: str = "Intake heet nu Eerste gesprek", process: str = "aanvraag"):
    browser.get(f"/modellen/{process}")
    return browser.post(f"/modellen/{process}/uitrollen", {
        "toelichting": note, "bestanden": (io.BytesIO(bpmn.encode()), "aanvraag.bpmn"),
    }, content_type="multipart/form-data")


def test_policy_lands_on_the_model_library_after_login(browser):
    response = browser.login("pim")
    assert response.headers["Location"] == "/modellen/"
    assert browser.get("/").headers["Location"] == "/modellen/"
    page = browser.get("/modellen/")
    assert "Aanvraag (test)" in text(page) and "Modellen" in text(page)
    assert browser.get("/processen").headers["Location"] == "/modellen/"


@pytest.mark.parametrize("user", ["cas", "sam", "coby"])
def test_other_roles_may_not_open_the_library(as_user, user):
    b = as_user(user)
    for url in ("/modellen/", "/modellen/aanvraag", "/modellen/aanvraag/versies/1",
                "/modellen/aanvraag/versies/1/bestanden/aanvraag.bpmn"):
        assert b.get(url).status_code == 403
    assert b.post("/modellen/aanvraag/uitrollen", {"toelichting": "x"}).status_code == 403


def test_anonymous_visitors_are_sent_to_login(browser):
    assert "/login" in browser.get("/modellen/").headers["Location"]


def test_deploy_with_a_note_makes_a_new_version_and_running_cases_stay_on_theirs(as_user, engine):
    old_case = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    pim = as_user("pim")
    response = _upload(pim, BPMN.replace('name="Intake doen"', 'name="Eerste gesprek"'))
    assert response.status_code == 302
    page = pim.get("/modellen/aanvraag")
    assert "Versie 2 van Aanvraag (test) is uitgerold." in " ".join(flashes(page))
    body = text(page)
    assert "Versie 2" in body and "Intake heet nu Eerste gesprek" in body and "Pim Beleid" in body
    new_case = engine.start("aanvraag", {"naam": "Demo Ouder 2"}, actor="cas")
    assert engine.tasks(case_id=old_case)[0].title == "Intake doen"
    assert engine.tasks(case_id=new_case)[0].title == "Eerste gesprek"
    assert engine.state(old_case).version_id != engine.state(new_case).version_id
    rows = [r for r in page.text.split("<tr") if "Versie 1</a>" in r]
    assert "Beheer, via de opdrachtregel" in rows[0] and "system" not in rows[0]    # version 1: engine.deploy
    assert "<td class=\"getal\">1</td>" in rows[0]      # one case still runs on version 1


def test_deploy_needs_a_note(as_user):
    pim = as_user("pim")
    _upload(pim, BPMN, note="")
    assert "Schrijf in de toelichting" in " ".join(flashes(pim.get("/modellen/aanvraag")))


def test_a_model_with_a_script_element_is_refused_and_shows_why(as_user, engine):
    hostile = BPMN.replace('<bpmn:endEvent id="end_klaar" name="Klaar"/>',
                           '<bpmn:endEvent id="end_klaar" name="Klaar"><bpmn:extensionElements><html:script '
                           'xmlns:html="http://www.w3.org/1999/xhtml">alert(1)</html:script></bpmn:extensionElements>'
                           '</bpmn:endEvent>')
    response = _upload(as_user("pim"), hostile)
    assert response.status_code == 422
    assert "aanvraag.bpmn , element end_klaar : Het model bevat een HTML-element <script>" in text(response)
    assert len(engine.processes()) == 1 and "Versie 2" not in text(response)


def test_four_eyes_a_second_policy_officer_approves(app, as_user, engine, password_hash):
    app.config["FOUR_EYES"] = True
    with engine.store.write() as tx:
        tx.save_user(UserRow(username="bea", name="Bea Beleid", password_hash=password_hash, roles="policy", active=True))
    before = engine.processes()[0]["version_id"]
    pim = as_user("pim")
    _upload(pim, BPMN.replace('name="Intake doen"', 'name="Eerste gesprek"'))
    page = pim.get("/modellen/aanvraag")
    assert "moet haar goedkeuren" in " ".join(flashes(page)) and "wacht op goedkeuring" in text(page)
    assert engine.processes()[0]["version_id"] == before          # new cases still start on version 1
    pending = [v for v in engine.store.read().__enter__().versions("aanvraag") if v.status == "pending"][0]
    assert pim.post(f"/modellen/aanvraag/versies/{pending.id}/goedkeuren").status_code == 403
    bea = as_user("bea")
    bea.get("/modellen/aanvraag")
    assert bea.post(f"/modellen/aanvraag/versies/{pending.id}/goedkeuren").status_code == 302
    assert engine.processes()[0]["version_id"] == pending.id


def test_version_page_shows_tasks_and_files_are_downloads_that_never_run(as_user):
    pim = as_user("pim")
    page = pim.get("/modellen/aanvraag/versies/1")
    assert "Intake doen (intake) casemanager intake P2D" in text(page)
    response = pim.get("/modellen/aanvraag/versies/1/bestanden/aanvraag.bpmn")
    assert response.status_code == 200 and response.text == BPMN
    assert response.headers["Content-Disposition"] == 'attachment; filename="aanvraag.bpmn"'
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert pim.get("/modellen/aanvraag/versies/1/bestanden/anders.bpmn").status_code == 404
    assert pim.get("/modellen/aanvraag/versies/9").status_code == 404


def test_case_diagram_is_served_so_that_it_never_runs(as_user, engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    response = as_user("cas").get(f"/zaken/{case_id}/diagram.bpmn")
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _json(browser, method: str, url: str, body: dict):
    return browser.client.open(url, method=method, json=body, headers={"X-CSRFToken": browser.token})


def test_validation_endpoint_returns_markers_on_the_exact_element(as_user):
    pim = as_user("pim")
    pim.get("/modellen/aanvraag")
    broken = BPMN.replace("akkoord == True and bedrag &lt; 1000", "akkoord == True and inkomen &lt; 1000")
    response = _json(pim, "POST", "/modellen/aanvraag/controleren", {"files": {"aanvraag.bpmn": broken}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["errors"] == 1 and [(m["element"], m["kind"]) for m in body["markers"]] == [("f_ja", "unfilled")]
    fixed = _json(pim, "POST", "/modellen/aanvraag/controleren", {"files": {"aanvraag.bpmn": BPMN}}).get_json()
    assert fixed["markers"] == []
    assert _json(pim, "POST", "/modellen/aanvraag/controleren", {"files": "x"}).status_code == 400


def test_drafts_are_kept_per_user_and_deploy_from_the_draft(as_user, engine, password_hash):
    with engine.store.write() as tx:
        tx.save_user(UserRow(username="bea", name="Bea Beleid", password_hash=password_hash, roles="policy", active=True))
    pim, bea = as_user("pim"), as_user("bea")
    pim.get("/modellen/aanvraag")
    changed = BPMN.replace('name="Intake doen"', 'name="Eerste gesprek"')
    assert _json(pim, "PUT", "/modellen/aanvraag/concept", {"files": {"aanvraag.bpmn": changed}}).status_code == 200
    assert pim.get("/modellen/aanvraag/concept").get_json()["files"] == {"aanvraag.bpmn": changed}
    assert bea.get("/modellen/aanvraag/concept").get_json()["files"] == {}
    assert len(engine.processes()) == 1 and engine.current_version("aanvraag").user_tasks["intake"].title == "Intake doen"
    response = pim.post("/modellen/aanvraag/uitrollen", {"bron": "concept", "toelichting": "Nieuwe naam"})
    assert response.status_code == 302
    assert engine.current_version("aanvraag").user_tasks["intake"].title == "Eerste gesprek"
    assert pim.get("/modellen/aanvraag/concept").get_json()["files"] == {}


def test_after_deploy_the_comparison_shows_what_changed(as_user):
    pim = as_user("pim")
    response = _upload(pim, BPMN.replace('name="Intake doen"', 'name="Eerste gesprek"'))
    assert response.headers["Location"] == "/modellen/aanvraag/vergelijk?van=1&naar=2"
    page = pim.get(response.headers["Location"])
    body = text(page)
    assert "Versie 1 en versie 2 vergelijken" in body and "Verschillen (1)" in body
    assert "Veranderd : taak ‘Eerste gesprek’ (intake) naam: 'Intake doen' → 'Eerste gesprek'" in body
    assert "data-anders='[\"intake\"]'" in page.text


def test_the_modeler_page_loads_the_current_version(as_user):
    page = as_user("pim").get("/modellen/aanvraag/bewerken")
    assert page.status_code == 200 and "Aanvraag (test) bewerken" in text(page)
    assert 'data-file="aanvraag.bpmn"' in page.text
    # The bundle with bpmn-js-properties-panel (make assets), else bpmn-js's own modeler.
    assert "vendor/regie-modeler/modeler.js" in page.text or "bpmn-modeler.production.min.js" in page.text


def test_dry_run_then_migrate_one_case_from_the_web(as_user, engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    pim = as_user("pim")
    _upload(pim, BPMN.replace('name="Intake doen"', 'name="Eerste gesprek"'))
    page = pim.get("/modellen/aanvraag/overzetten?naar=2")
    body = text(page)
    assert "1 zaak kan over naar versie 2." in body and "Kan over; staat dan bij intake" in body
    assert "Demo Ouder" not in body                       # no personal data on this page
    assert engine.state(case_id).version_id != engine.current_version("aanvraag").id
    response = pim.post("/modellen/aanvraag/overzetten", {"naar": "2", "zaak": case_id})
    assert response.status_code == 302
    assert "Verplaatst: 1." in " ".join(flashes(pim.get(response.headers["Location"])))
    assert engine.state(case_id).version_id == engine.current_version("aanvraag").id
    assert engine.history(case_id)[-1].type == "case_migrated" and engine.verify(case_id)
    assert "Zaak overgezet naar een nieuwe versie van het proces" in text(as_user("cas").get(f"/zaken/{case_id}"))


def test_a_model_with_an_unsafe_expression_is_refused_and_shows_why(as_user, engine):
    unsafe = BPMN.replace("akkoord == True and bedrag &lt; 1000", "__import__('os').system('x')")
    response = _upload(as_user("pim"), unsafe)
    assert response.status_code == 422
    assert "aanvraag.bpmn , element f_ja : '__import__('os').system('x')':" in text(response)
    assert len(engine.cases()) == 0 and [p["version_id"] for p in engine.processes()] == [engine.current_version("aanvraag").id]


def test_form_editor_previews_with_the_caseworker_widgets_and_keeps_the_draft(as_user):
    pim = as_user("pim")
    page = pim.get("/modellen/aanvraag/formulieren/intake")
    assert page.status_code == 200 and "Wil de bewoner hulp?" in text(page)
    changed = (MODELS / "intake.yaml").read_text(encoding="utf-8").replace("Wil de bewoner hulp?", "Wil de ouder hulp?")
    preview = _json(pim, "POST", "/modellen/aanvraag/formulieren/intake/voorbeeld", {"yaml": changed}).get_json()
    assert preview["problems"] == [] and "Wil de ouder hulp?" in preview["html"] and 'name="akkoord"' in preview["html"]
    bomb = _json(pim, "POST", "/modellen/aanvraag/formulieren/intake/voorbeeld", {"yaml": "a: &x 1\nb: *x\n"}).get_json()
    assert bomb["html"] is None and "verwijzingen (&anker en *alias)" in bomb["problems"][0]
    _json(pim, "PUT", "/modellen/aanvraag/concept", {"files": {"aanvraag.bpmn": BPMN}})
    _json(pim, "PUT", "/modellen/aanvraag/concept", {"files": {"intake.yaml": changed}})
    assert sorted(pim.get("/modellen/aanvraag/concept").get_json()["files"]) == ["aanvraag.bpmn", "intake.yaml"]
    assert "Wil de ouder hulp?" in text(pim.get("/modellen/aanvraag/formulieren/intake"))
    assert pim.get("/modellen/aanvraag/formulieren/bestaatniet").status_code == 404


def test_the_web_dry_run_looks_at_a_page_of_cases(as_user, engine, monkeypatch):
    import web.modellen

    monkeypatch.setattr(web.modellen, "DRY_RUN_PAGE", 1)
    for i in range(2):
        engine.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas")
    pim = as_user("pim")
    _upload(pim, BPMN.replace('name="Intake doen"', 'name="Eerste gesprek"'))
    body = text(pim.get("/modellen/aanvraag/overzetten?naar=2"))
    assert "1 zaak kan over naar versie 2." in body and "Dit zijn de oudste 1 van 2 lopende zaken" in body
