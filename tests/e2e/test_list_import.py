"""The coordinator imports the Belastingdienst list in a real browser: the progress bar moves, the status line
says how far it is, and at the end the focus is on the report (keyboard and screen-reader users land there)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.processes.test_list_import import list_file

from .conftest import PASSWORD, shot, start_server

pytestmark = pytest.mark.browser


@pytest.fixture
def herstel_server(tmp_path, password_hash):
    live = start_server(tmp_path, password_hash, models=(ROOT / "processes", ROOT / "forms"))
    yield live
    live.stop()


def test_the_list_import_shows_progress_and_then_the_report(chromium, herstel_server, tmp_path):
    path = tmp_path / "lijst.csv"
    path.write_bytes(list_file(60))
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(herstel_server.url + "/login")
    page.get_by_label("Gebruikersnaam").fill("coby")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/taken")
    page.goto(herstel_server.url + "/overzicht/lijst")
    page.get_by_label("Bestand (CSV of Excel)").set_input_files(str(path))
    page.get_by_role("button", name="Lijst inlezen").click()
    expect(page.get_by_label("Voortgang van het inlezen")).to_be_visible()
    heading = page.get_by_role("heading", name="Verslag")
    expect(heading).to_be_focused()
    expect(page.locator("#lijst-voortgang-tekst")).to_have_text("Klaar. Het verslag staat hieronder.")
    expect(page.locator("#lijst-voortgang-balk")).to_have_attribute("value", "58")
    expect(page.locator("#lijst-verslag")).to_contain_text("58 nieuwe ouders")
    shot(page, "lijst-inlezen-voortgang")
    assert page.url.endswith("/overzicht/lijst")       # no page load: the report came over the stream
    assert len(herstel_server.engine.cases(process_id="hersteloperatie", limit=500)) == 58
    context.close()
