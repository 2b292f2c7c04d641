"""A caseworker's day in a real browser: log in, pick up a task, make a mistake, fix it, complete,
see the next task and the timeline; conditional fields; keyboard use."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, shot

pytestmark = pytest.mark.browser


def test_log_in_fix_a_mistake_complete_and_see_what_follows(server, login):
    case_id = server.engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    page = login("cas")
    expect(page.get_by_text("U heeft geen open taken.")).to_be_visible()
    page.get_by_role("navigation", name="Welke taken").get_by_role("link", name="Taken van mijn team").click()
    row = page.locator("tbody tr", has_text="Demo Ouder 1")
    expect(row).to_contain_text("Intake doen")
    row.get_by_role("button", name=re.compile("Oppakken")).click()
    expect(page.locator(".melding")).to_have_text("U heeft de taak 'Intake doen' opgepakt. Hij staat nu bij Mijn taken.")

    page.get_by_role("navigation", name="Welke taken").get_by_role("link", name="Mijn taken").click()
    page.get_by_role("link", name="Intake doen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Intake doen")
    page.get_by_role("radio", name="Ja").check()
    page.get_by_label("Bedrag van de schuld (euro)").fill("veel")
    page.get_by_role("button", name="Taak afronden").click()

    summary = page.locator("#foutoverzicht")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Bedrag van de schuld (euro): Vul een getal in, bijvoorbeeld 12 of 12,50.")
    expect(page.locator("#veld-bedrag-fout")).to_have_text("Fout: Vul een getal in, bijvoorbeeld 12 of 12,50.")
    expect(page.get_by_label("Bedrag van de schuld (euro)")).to_have_value("veel")
    expect(page.get_by_role("radio", name="Ja")).to_be_checked()
    shot(page, "taak-met-fout")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Bedrag van de schuld (euro)")).to_be_focused()

    page.get_by_label("Bedrag van de schuld (euro)").fill("450,75")
    page.get_by_role("button", name="Taak afronden").click()
    page.wait_for_url(f"**/zaken/{case_id}")
    expect(page.locator(".melding")).to_have_text("De taak 'Intake doen' is afgerond.")
    expect(page.locator("#kop-taken + div table")).to_contain_text("Plan maken")
    timeline = page.locator(".tijdlijn li").first
    expect(timeline).to_contain_text("Taak 'Intake doen' afgerond")
    expect(timeline).to_contain_text("Cas Casemanager")
    timeline.get_by_text("Details").click()
    expect(timeline).to_contain_text("450,75")
    if server.app.jinja_env.globals["HAS_VIEWER"]:
        expect(page.locator("#diagram.geladen")).to_be_visible()
        expect(page.locator('#diagram [data-element-id="plan"].regie-actief')).to_have_count(1)
    shot(page, "zaak-na-afronden")


def test_conditional_field_appears_only_when_it_applies(server, login):
    case_id = server.engine.start("aanvraag", {"naam": "Demo Ouder 2"}, actor="cas")
    task = server.engine.tasks(case_id=case_id)[0]
    page = login("cas")
    page.goto(f"{server.url}/taken/{task.id}")
    reden = page.get_by_label("Waarom niet?")
    expect(reden).to_be_hidden()
    page.get_by_role("radio", name="Nee").check()
    expect(reden).to_be_visible()
    page.get_by_role("radio", name="Ja").check()
    expect(reden).to_be_hidden()


def test_keyboard_only(server, login, chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(server.url + "/login")
    expect(page.get_by_label("Gebruikersnaam")).to_be_focused()          # autofocus: type at once
    page.keyboard.type("cas")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/taken")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Naar de inhoud")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    context.close()


def test_start_a_case_by_hand(server, login):
    page = login("cas")
    page.get_by_role("link", name="Zaak starten").click()
    page.get_by_role("link", name="Aanvraag (test)").click()
    page.get_by_role("button", name="Zaak starten").click()
    expect(page.locator("#veld-naam-fout")).to_have_text("Fout: Vul dit veld in.")
    page.get_by_label("Naam van de bewoner").fill("Demo Ouder 3")
    page.get_by_role("button", name="Zaak starten").click()
    expect(page.locator(".melding")).to_have_text("De zaak is gestart.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Demo Ouder 3")
