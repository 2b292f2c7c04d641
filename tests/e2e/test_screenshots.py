"""The main pages with the real catalogue (processes/, forms/) and demo cases, in a real browser.

Checks that every main page renders the catalogue without an error, and saves a screenshot of each:
into test-results/screenshots, or into docs/screenshots (for the README) with REGIE_SCREENSHOTS=1.
"""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from engine.accounts import DEMO_USERS
from engine.cli.demo import claim_some, walk_process
from engine.errors import ModelError
from engine.store import UserRow
from tests.conftest import ROOT

from .conftest import PASSWORD, LiveServer, shot, start_server

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(tmp_path, password_hash):
    try:
        live = start_server(tmp_path, password_hash, models=(ROOT / "processes", ROOT / "forms"), DEMO=True)
    except ModelError as err:
        pytest.skip(f"De modellen in processes/ kunnen nu niet worden uitgerold: {err}")
    eng, clock = live.engine, live.clock
    with eng.store.write() as tx:
        for username, name, roles in DEMO_USERS:
            tx.save_user(UserRow(username=username, name=name, password_hash=tx.user("cas").password_hash,
                                 roles=",".join(roles), active=True))
    now, rng = clock.now(), random.Random(7)
    for process in eng.processes():
        walk_process(eng, clock, process["id"], 12, rng, now)
    clock.set(now)
    eng.fire_due_timers(now)
    claim_some(eng, rng)
    yield live
    live.stop()


def test_main_pages_with_the_catalogue(chromium, demo_server: LiveServer):
    eng, url = demo_server.engine, demo_server.url
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="nl-NL")
    page = context.new_page()
    page.goto(url + "/login")
    expect(page.get_by_role("heading", name="Demo-accounts")).to_be_visible()
    shot(page, "inloggen")
    page.get_by_label("Gebruikersnaam").fill("coordinator")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/taken")
    page.goto(url + "/taken?weergave=alle")
    expect(page.locator("tbody tr").first).to_be_visible()
    shot(page, "taken")

    running = eng.cases(status="running", limit=500)
    herstel = [c for c in running if c.process_id == "hersteloperatie"] or running
    busiest = max(herstel, key=lambda c: len(eng.history(c.id)))
    page.goto(f"{url}/zaken/{busiest.id}")
    expect(page.get_by_role("heading", name="Tijdlijn")).to_be_visible()
    if demo_server.app.jinja_env.globals["HAS_VIEWER"]:
        expect(page.locator("#diagram.geladen")).to_be_visible()
    shot(page, "zaak")

    task = max(eng.tasks(), key=lambda t: len(eng.form(t.id).fields) if t.form else 0)
    page.goto(f"{url}/taken/{task.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(task.title)
    page.get_by_role("button", name="Taak afronden").click()
    expect(page.locator("#foutoverzicht")).to_be_visible()
    shot(page, "taak")

    page.goto(url + "/overzicht")
    expect(page.get_by_role("heading", name="Werkvoorraad per collega")).to_be_visible()
    shot(page, "overzicht")

    page.goto(url + "/zaken/nieuw")
    page.locator(".kaart a").first.click()
    expect(page.locator("form#startformulier")).to_be_visible()
    shot(page, "zaak-starten")

    page.goto(url + "/zaken?weergave=alle")
    expect(page.get_by_role("heading", name="Zaken")).to_be_visible()
    shot(page, "zaken")

    page.set_viewport_size({"width": 390, "height": 844})          # a phone: everything reflows
    page.goto(url + "/taken?weergave=alle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "taken-klein-scherm", max_height=1400)
    page.goto(f"{url}/zaken/{busiest.id}")
    if demo_server.app.jinja_env.globals["HAS_VIEWER"]:
        expect(page.locator("#diagram.geladen")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "zaak-klein-scherm", max_height=2400)
    context.close()
