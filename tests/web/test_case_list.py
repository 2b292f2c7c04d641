"""The case list (/zaken): my cases, my team's, all (coordinators), closed ones, search; who may see it."""

from __future__ import annotations

import re

import pytest

from .conftest import text


@pytest.fixture
def cases(engine):
    """Three cases: one cas started, one carla started (cas completed its intake), one closed."""
    mine = engine.start("aanvraag", {"naam": "Demo Ouder Een"}, actor="cas")
    theirs = engine.start("aanvraag", {"naam": "Demo Ouder Twee"}, actor="carla")
    closed = engine.start("aanvraag", {"naam": "Demo Ouder Drie"}, actor="carla")
    engine.complete(engine.tasks(case_id=closed)[0].id, {"akkoord": False, "bedrag": 5, "reden": "nee"}, actor="carla")
    return mine, theirs, closed


def test_my_cases_are_the_ones_i_started_or_worked_on(as_user, cases, engine):
    mine, theirs, closed = cases
    page = as_user("cas").get("/zaken")
    assert page.status_code == 200
    body = text(page)
    assert "Demo Ouder Een" in body and "Demo Ouder Twee" not in body and "1 zaak." in body
    engine.claim(engine.tasks(case_id=theirs)[0].id, "cas")
    assert "Demo Ouder Twee" in text(as_user("cas").get("/zaken"))


def test_my_teams_cases_and_closed_ones(as_user, cases, engine):
    body = text(as_user("cas").get("/zaken?weergave=team"))
    assert "Demo Ouder Een" in body and "Demo Ouder Twee" in body and "Demo Ouder Drie" not in body
    closed = text(as_user("carla").get("/zaken?weergave=team&status=afgerond"))
    assert "Demo Ouder Drie" in closed and "Afgerond" in closed and "Demo Ouder Een" not in closed
    assert "Demo Ouder Drie" not in text(as_user("sam").get("/zaken?weergave=team&status=alle"))


def test_search_by_name_or_case_number(as_user, cases):
    mine, theirs, _ = cases
    coby = as_user("coby")
    body = text(coby.get("/zaken?weergave=alle&status=alle&zoek=twee"))
    assert "Demo Ouder Twee" in body and "Demo Ouder Een" not in body
    body = text(coby.get(f"/zaken?weergave=alle&zoek={mine[:8]}"))
    assert "Demo Ouder Een" in body and "Demo Ouder Twee" not in body


def test_only_coordinators_see_all_cases(as_user, cases):
    page = as_user("cas").get("/zaken?weergave=alle&status=alle")
    assert "Alle zaken" not in text(page) and "Demo Ouder Twee" not in text(page)      # falls back to mine
    assert "Demo Ouder Twee" in text(as_user("coby").get("/zaken?weergave=alle"))


@pytest.mark.parametrize("user, status", [("cas", 200), ("sam", 200), ("coby", 200), ("pim", 403)])
def test_who_may_open_the_case_list(as_user, user, status):
    assert as_user(user).get("/zaken").status_code == status


def test_the_case_list_is_in_the_navigation(as_user):
    assert '<a href="/zaken">Zaken</a>' in as_user("sam").get("/taken").text
    assert 'href="/zaken"' not in as_user("pim").get("/taken").text


def test_a_visitor_must_log_in(browser):
    response = browser.get("/zaken")
    assert response.status_code == 302 and "/login" in response.location


def test_the_human_case_number_is_shown_in_lists_and_pages(as_user, cases, engine):
    mine = cases[0]
    number = engine.state(mine).number
    assert number
    cas = as_user("cas")
    assert number in text(cas.get("/zaken"))
    assert number in text(cas.get("/taken?weergave=team"))
    task = engine.tasks(case_id=mine)[0]
    assert f"Zaak {number}" in text(cas.get(f"/taken/{task.id}"))
    assert f"Zaak {number}" in text(cas.get(f"/zaken/{mine}"))
    assert "Demo Ouder Een" in text(cas.get(f"/zaken?zoek={number.lower()}"))


def test_every_page_has_a_favicon(browser, as_user):
    page = browser.get("/login")
    found = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page.text)
    assert found
    icon = browser.client.get(found.group(1))
    try:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.get_data()
    finally:
        icon.close()
    assert '<link rel="icon"' in as_user("cas").get("/zaken").text
