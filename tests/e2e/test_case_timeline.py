"""The case page's timeline in a real browser: older moments load under the list with the keyboard,
the focus moves to the first new moment and a status message says how many came; without script the
same button is a link to the page with the older moments."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

from .conftest import E2E_MODELS, PASSWORD, shot, start_server

LONG = ROOT / "tests" / "engine" / "long_models"


@pytest.fixture
def long_case(tmp_path, password_hash):
    live = start_server(tmp_path, password_hash, models=(*E2E_MODELS, LONG), TIMELINE_PAGE_SIZE=6)
    case_id = live.engine.start("lange_lus", {"limit": 100}, actor="cas")
    for n in range(8):
        [task] = live.engine.tasks(case_id=case_id)
        live.engine.complete(task.id, {"verslag": f"ronde {n + 1}"}, actor="cas")
    yield live, case_id
    live.stop()


def open_case(chromium, live, case_id, javascript=True):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live.url + "/login")
    page.get_by_label("Gebruikersnaam").fill("cas")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/taken")
    page.goto(f"{live.url}/zaken/{case_id}")
    return context, page


def test_older_moments_load_under_the_list_with_the_keyboard(chromium, long_case):
    live, case_id = long_case
    context, page = open_case(chromium, live, case_id)
    moments = page.locator("#tijdlijn-lijst > li")
    first_count = moments.count()
    assert 0 < first_count <= 6
    page.get_by_role("link", name="Oudere gebeurtenissen tonen").focus()
    page.keyboard.press("Enter")
    # A locator wait, not wait_for_function: that evaluates its predicate with eval, which the page's CSP
    # (script-src 'self') refuses whenever the first check is not yet true.
    page.locator("#tijdlijn-lijst > li").nth(first_count).wait_for()
    assert page.locator("#tijdlijn-status").inner_text().endswith("oudere gebeurtenissen geladen.")
    assert page.evaluate("document.activeElement === document.querySelectorAll('#tijdlijn-lijst > li')"
                         f"[{first_count}]")
    assert page.url.endswith(f"/zaken/{case_id}")            # still the same page
    shot(page, "zaak-tijdlijn-ouder", max_height=2400)
    context.close()


def test_without_script_the_button_is_a_link_to_the_older_moments(chromium, long_case):
    live, case_id = long_case
    context, page = open_case(chromium, live, case_id, javascript=False)
    page.get_by_role("link", name="Oudere gebeurtenissen tonen").click()
    page.wait_for_url("**voor=*")
    assert page.get_by_role("link", name="Naar de nieuwste gebeurtenissen").is_visible()
    assert 0 < page.locator("#tijdlijn-lijst > li").count() <= 6
    context.close()
