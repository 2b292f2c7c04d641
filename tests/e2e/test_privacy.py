"""The coordinator's data-subject page in Chromium: search a resident, read the overview, correct a value;
axe-core finds no serious or critical problem on the result page."""

from __future__ import annotations

import pytest

from .conftest import PASSWORD
from .test_accessibility import AXE, violations

pytestmark = pytest.mark.browser


def test_coordinator_answers_a_request_to_see_and_correct(chromium, server):
    if not AXE.exists():
        pytest.skip("axe-core ontbreekt: draai 'make install' (npm).")
    eng = server.engine
    case_id = eng.start("aanvraag", {"naam": "Zwaantje Quisple"}, actor="cas")
    eng.complete(eng.tasks(case_id=case_id)[0].id, {"akkoord": False, "bedrag": 5, "reden": "Geen tijd"}, actor="cas")
    context = chromium.new_context(locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(server.url + "/login")
    page.get_by_label("Gebruikersnaam").fill("coby")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Privacy").click()
    page.get_by_label("Naam van de inwoner").fill("Zwaantje Quisple")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_load_state()
    assert "1 zaak gevonden" in page.content()
    assert violations(page) == []
    page.get_by_label("Gegeven").select_option("naam")
    page.get_by_label("Goede waarde").fill("Zwaantje Quispel")
    page.get_by_label("Waarom wordt dit verbeterd?").fill("Verkeerd gespeld bij de aanmelding")
    page.get_by_role("button", name="Verbeteren").click()
    page.wait_for_load_state()
    assert "is verbeterd" in page.content()
    assert violations(page) == []
    context.close()
    assert eng.state(case_id).subject == "Zwaantje Quispel"
