"""Regression tests for the security review (issue 13): each finding fails on the code before the fix."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from engine.accounts import load_demo_users
from engine.store.accounts import throttle_rows
from engine.store.drafts import draft
from engine.store.models import LoginThrottleRow
from web import create_app

from .conftest import PASSWORD, Browser, flashes, text


@pytest.fixture
def session_clock(app, clock):
    """Sessions and throttling run on real time; these tests move it with the test clock."""
    app.config["SESSION_CLOCK"] = clock
    return clock


@pytest.fixture
def task(engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    return engine.tasks(case_id=case_id)[0]


# 1. Demo passwords work outside demo mode ------------------------------------------------------------

def test_demo_accounts_are_refused_outside_demo_mode(tmp_path, clock, monkeypatch):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("REGIE_DEMO", "1")
    demo = create_app({"TESTING": True, "DATABASE_URL": url, "CLOCK": clock, "SECRET_KEY": "x", "DEMO": True})
    load_demo_users(demo.extensions["regie.engine"].store)
    client = Browser(demo.test_client())
    assert client.post("/login", {"gebruikersnaam": "coordinator", "wachtwoord": "coordinator-demo"}).status_code == 302
    assert client.get("/overzicht").status_code == 200
    demo.extensions["regie.engine"].store.dispose()

    monkeypatch.delenv("REGIE_DEMO")          # the restart without demo mode
    real = create_app({"TESTING": True, "DATABASE_URL": url, "CLOCK": clock, "SECRET_KEY": "x", "DEMO": False})
    browser = Browser(real.test_client())
    page = browser.post("/login", {"gebruikersnaam": "coordinator", "wachtwoord": "coordinator-demo"})
    assert page.status_code == 401 and "Gebruikersnaam of wachtwoord klopt niet." in text(page)
    # a session opened in demo mode does not survive the restart either
    real_client = real.test_client()
    real_client.set_cookie(*_session_cookie(client.client))
    assert real_client.get("/overzicht").status_code == 302
    real.extensions["regie.engine"].store.dispose()


def _session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.key, cookie.value


# 2. Claiming a colleague's task; a team member's draft over the assignee's -------------------------------

def test_a_caseworker_cannot_claim_a_colleagues_task(as_user, engine, task):
    engine.claim(task.id, "carla")
    carla_draft = as_user("carla")
    carla_draft.get(f"/taken/{task.id}")
    carla_draft.post(f"/taken/{task.id}", {"actie": "concept", "toelichting": "van Carla"})
    cas = as_user("cas")
    cas.get("/taken?weergave=team")
    page = cas.post(f"/taken/{task.id}/oppakken", follow_redirects=True)
    assert page.status_code == 403
    assert "Deze taak is al in behandeling bij carla. Alleen de coördinator kan hem aan iemand anders geven." in text(page)
    assert engine.task(task.id).assignee == "carla"
    cas.get(f"/taken/{task.id}")
    page = cas.post(f"/taken/{task.id}", {"actie": "concept", "toelichting": "van Cas"})
    assert page.status_code == 403
    with engine.store.read() as tx:
        assert draft(tx, task.id)[1].saved_by == "carla"


def test_the_engine_refuses_a_claim_of_an_assigned_task(engine, task):
    from engine.accounts import TaskTaken

    engine.claim(task.id, "carla")
    with pytest.raises(TaskTaken, match="is al in behandeling bij carla"):
        engine.claim(task.id, "cas")
    assert engine.claim(task.id, "carla").assignee == "carla"        # claiming your own again is fine


def test_only_the_coordinator_reassigns(as_user, engine, task):
    engine.claim(task.id, "carla")
    coby = as_user("coby")
    coby.get("/taken?weergave=alle")
    coby.post("/taken/toewijzen", {"taak": task.id, "collega": "cas", "reden": "Carla is met verlof"})
    assert engine.task(task.id).assignee == "cas"


# 3. Assigning to an account without the task's role ------------------------------------------------------

def test_a_task_goes_only_to_an_account_with_its_role(as_user, engine, task):
    coby = as_user("coby")
    coby.get("/taken?weergave=alle")
    page = coby.post("/taken/toewijzen", {"taak": task.id, "collega": "pim", "reden": "test", "bevestigd": "pim"},
                     follow_redirects=True)
    assert ("Pim Beleid (pim) heeft niet de rol die de taak 'Intake doen' vraagt (Casemanager). Kies een collega "
            "met die rol.") in flashes(page)
    assert engine.task(task.id).assignee is None
    assert as_user("pim").get(f"/taken/{task.id}").status_code == 403


def test_claiming_needs_the_tasks_role_even_through_the_engine(engine, task):
    from engine.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="Sam Specialist \\(sam\\) heeft niet de rol"):
        engine.claim(task.id, "sam")
    assert engine.assign(task.id, "sam", "coby", "uitzondering").assignee == "sam"    # the coordinator may


def test_a_task_does_not_go_to_a_deactivated_account(engine, task):
    from engine.errors import PermissionDenied

    with engine.store.write() as tx:
        tx.user("carla").active = False
    with pytest.raises(PermissionDenied, match="dit account staat uit"):
        engine.assign(task.id, "carla", "coby", "test")


# 4. Brute force ------------------------------------------------------------------------------------------

def _try(browser, username, password):
    return browser.post("/login", {"gebruikersnaam": username, "wachtwoord": password})


def test_wrong_passwords_block_the_account_with_a_growing_wait(browser, session_clock, monkeypatch):
    clock = session_clock
    checks = []
    import web.auth

    real = web.auth.check_password
    monkeypatch.setattr(web.auth, "check_password", lambda *a, **k: checks.append(1) or real(*a, **k))
    for _ in range(5):
        assert _try(browser, "cas", "fout-wachtwoord").status_code == 401
    page = _try(browser, "cas", "fout-wachtwoord")         # the 6th failure starts the wait
    assert page.status_code == 401
    checked = len(checks)
    page = _try(browser, "cas", PASSWORD)                   # even the right password waits
    assert page.status_code == 429
    assert "Er is te vaak een verkeerd wachtwoord ingevuld. Wacht 1 minuut en probeer het dan opnieuw." in text(page)
    assert len(checks) == checked                           # refused before the argon2 check
    clock.advance(seconds=31)
    assert _try(browser, "cas", "nog-steeds-fout").status_code == 401
    assert _try(browser, "cas", PASSWORD).status_code == 429       # twice as long now: 60 s
    clock.advance(seconds=61)
    assert _try(browser, "cas", PASSWORD).status_code == 302
    engine = browser.client.application.extensions["regie.engine"]
    with engine.store.read() as tx:
        assert [r.key for r in throttle_rows(tx, ["account:cas"])] == []      # a good login clears the count
    clock.advance(hours=2)
    browser.token = ""                         # the login started a new session (and CSRF token)
    _try(browser, "niemand", "fout-wachtwoord")
    browser.login("cas")
    with engine.store.read() as tx:                                          # quiet keys are forgotten
        assert len(tx.session.scalars(select(LoginThrottleRow)).all()) == 2  # niemand's and the address's


def test_one_address_trying_many_accounts_is_blocked(browser):
    for i in range(20):
        assert _try(browser, f"gebruiker{i}", "fout-wachtwoord").status_code == 401
    assert _try(browser, "gebruiker99", "fout-wachtwoord").status_code == 401
    assert _try(browser, "cas", PASSWORD).status_code == 429
    other = Browser(browser.client.application.test_client())
    response = other.client.post("/login", data={"gebruikersnaam": "cas", "wachtwoord": PASSWORD},
                                 environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert response.status_code in (302, 400)       # another address is not blocked (400: no CSRF token)


def test_logins_are_logged_without_the_password(browser, caplog):
    with caplog.at_level(logging.INFO, logger="regie.auth"):
        _try(browser, "cas", "fout-wachtwoord")
        _try(browser, "Geheim-Wachtwoord-1", "fout-wachtwoord")     # a password typed in the wrong field
        browser.login("cas")
    lines = [r.getMessage() for r in caplog.records if r.name == "regie.auth"]
    assert lines[0].startswith("login_failed account=cas address=") and lines[2].startswith("login account=cas")
    assert lines[1].startswith("login_failed account=(unknown) address=")
    assert not any("Geheim-Wachtwoord-1" in line for line in lines)
    assert not any("fout-wachtwoord" in line or PASSWORD in line or "127.0.0.1" in line for line in lines)


# 5. Sessions ---------------------------------------------------------------------------------------------

def test_a_cookie_saved_before_logout_no_longer_works(app, as_user):
    cas = as_user("cas")
    saved = _session_cookie(cas.client)
    cas.post("/uitloggen")
    thief = app.test_client()
    thief.set_cookie(*saved)
    assert thief.get("/taken").status_code == 302


def test_a_session_ends_after_30_minutes_idle(as_user, session_clock):
    clock = session_clock
    cas = as_user("cas")
    clock.advance(minutes=29)
    assert cas.get("/taken").status_code == 200
    clock.advance(minutes=29)                 # active in between: still fine
    assert cas.get("/taken").status_code == 200
    clock.advance(minutes=31)
    assert cas.get("/taken").status_code == 302


def test_the_session_cookie_is_sent_again_only_when_the_idle_clock_moves_at_most_once_a_minute(as_user, session_clock):
    """Pages do not re-sign the cookie on every request (SESSION_REFRESH_EACH_REQUEST off); the idle clock in
    it moves at most once a minute, and that keeps an active session alive past the idle timeout."""
    cas = as_user("cas")
    cas.get("/taken")
    session_clock.advance(seconds=30)
    assert cas.get("/taken").headers.getlist("Set-Cookie") == []          # within the minute: nothing new
    session_clock.advance(seconds=31)
    assert cas.get("/taken").headers.getlist("Set-Cookie") != []          # the idle clock moved
    assert cas.get("/taken").headers.getlist("Set-Cookie") == []
    session_clock.advance(minutes=29)
    assert cas.get("/taken").status_code == 200                           # 30 min after login, 29 after the move
    session_clock.advance(minutes=31)
    assert cas.get("/taken").status_code == 302


def test_moving_case_time_forward_does_not_log_anyone_out(as_user, clock):
    cas = as_user("cas")
    clock.advance(days=3)                     # the engine's clock: tasks become overdue, sessions live on
    assert cas.get("/taken").status_code == 200


def test_a_session_ends_after_its_absolute_lifetime(as_user, session_clock):
    clock = session_clock
    cas = as_user("cas")
    for _ in range(20):                       # busy all day, never idle
        clock.advance(minutes=29)
        cas.get("/taken")
    assert cas.get("/taken").status_code == 302


def test_deactivating_an_account_ends_its_sessions(as_user, engine):
    from engine.accounts import set_active

    carla = as_user("carla")
    set_active(engine.store, "carla", False, actor="admin")
    assert carla.get("/taken").status_code == 302


# 6. Headers ----------------------------------------------------------------------------------------------

def test_security_headers(as_user, browser, task):
    page = browser.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp.split(
        "script-src")[1].split(";")[0]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    cas = as_user("cas")
    for url in ("/taken", f"/taken/{task.id}", f"/zaken/{task.case_id}"):
        assert cas.get(url).headers["Cache-Control"] == "no-store", url


def test_no_inline_script_in_any_template():
    import re
    from pathlib import Path

    for path in Path("web/templates").rglob("*.html"):
        source = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), f"inline script in {path}"
        assert not re.search(r"\son[a-z]+\s*=", source), f"inline event handler in {path}"


def test_cookies_are_secure_by_default_outside_demo_mode(tmp_path, clock):
    real = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", "SECRET_KEY": "x", "CLOCK": clock})
    demo = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "SECRET_KEY": "x", "CLOCK": clock,
                       "DEMO": True})
    assert real.config["SESSION_COOKIE_SECURE"] is True and demo.config["SESSION_COOKIE_SECURE"] is False
    for app in (real, demo):
        app.extensions["regie.engine"].store.dispose()


# 7. Odd input --------------------------------------------------------------------------------------------

def test_a_huge_page_number_is_the_last_page_not_a_server_error(as_user):
    page = as_user("cas").get("/taken?weergave=team&pagina=922337203685477580")
    assert page.status_code == 200


@pytest.mark.parametrize("target", ["/taken\r\nSet-Cookie: x=1", "/taken%0d%0a", "/taken\n"])
def test_cr_lf_in_volgende_is_ignored_and_the_claim_is_reported(as_user, engine, task, target):
    cas = as_user("cas")
    cas.get("/taken?weergave=team")
    response = cas.post(f"/taken/{task.id}/oppakken", {"volgende": target})
    assert response.status_code == 302 and "\n" not in response.location and "\r" not in response.location
    assert engine.task(task.id).assignee == "cas"
    assert "Set-Cookie: x=1" not in str(response.headers)
