"""A coordinator reassigns work with a reason; two caseworkers race on one task."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import shot

pytestmark = pytest.mark.browser


def test_coordinator_reassigns_a_task_with_a_reason(server, login):
    eng = server.engine
    ids = [eng.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas") for i in (1, 2)]
    eng.claim(eng.tasks(case_id=ids[0])[0].id, "cas")
    page = login("coby")
    page.get_by_role("link", name="Alle taken").click()
    page.get_by_role("checkbox", name="Kies Intake doen van Demo Ouder 1").check()
    page.get_by_label("Collega").select_option("carla")
    page.get_by_label("Reden").fill("Cas is met verlof")
    shot(page, "alle-taken-toewijzen")
    page.get_by_role("button", name="Toewijzen", exact=True).click()
    expect(page.locator(".melding")).to_have_text("1 taak toegewezen aan Carla Casemanager.")
    expect(page.locator("tbody tr", has_text="Demo Ouder 1")).to_contain_text("Carla Casemanager")
    page.get_by_role("link", name=eng.state(ids[0]).number).click()
    first = page.locator(".tijdlijn li").first
    expect(first).to_contain_text("Taak 'Intake doen' gegeven aan Carla Casemanager")
    first.get_by_text("Details").click()
    expect(first).to_contain_text("Cas is met verlof")
    server.clock.advance(days=3)
    page.get_by_role("link", name="Overzicht").click()
    expect(page.locator(".cijfers")).to_contain_text("2 taken te laat")
    shot(page, "overzicht-te-laat")


def test_two_browsers_race_on_one_task(server, login):
    eng = server.engine
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    task = eng.tasks(case_id=case_id)[0]
    cas, carla = login("cas"), login("carla")
    for page, amount in ((cas, "100"), (carla, "200")):
        page.goto(f"{server.url}/taken/{task.id}")
        page.get_by_role("radio", name="Ja").check()
        page.get_by_label("Bedrag van de schuld (euro)").fill(amount)
    carla.get_by_role("button", name="Taak afronden").click()
    carla.wait_for_url(f"**/zaken/{case_id}")
    cas.get_by_role("button", name="Taak afronden").click()
    expect(cas.locator("#conflict")).to_have_text(
        "De taak 'Intake doen' staat niet meer open: afgerond door Carla Casemanager. Iemand anders heeft de zaak "
        "net gewijzigd. Ververs de zaak; wat u heeft ingevuld is niet opgeslagen in de zaak.")
    expect(cas.get_by_label("Bedrag van de schuld (euro)")).to_have_value("100")
    shot(cas, "taak-al-afgerond")
    done = [e for e in eng.history(case_id) if e.type == "task_completed"]
    assert [(e.actor, e.payload["data"]["bedrag"]) for e in done] == [("carla", 200)]
