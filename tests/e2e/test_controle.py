"""The auditor's walk in a real browser: search -> timeline -> time travel -> verify -> export.

Uses the real catalogue (processes/, forms/) with demo cases of the hersteloperatie, and saves a
screenshot of each page (docs/screenshots with REGIE_SCREENSHOTS=1).
"""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from engine.audit import bundle
from engine.cli.demo import walk_process
from engine.errors import ModelError
from engine.store import UserRow
from engine.store.audit import AuditQuery
from tests.conftest import ROOT

from .conftest import PASSWORD, shot, start_server

pytestmark = pytest.mark.browser


@pytest.fixture
def audit_server(tmp_path, password_hash):
    try:
        live = start_server(tmp_path, password_hash, models=(ROOT / "processes", ROOT / "forms"))
    except ModelError as err:
        pytest.skip(f"De modellen in processes/ kunnen nu niet worden uitgerold: {err}")
    eng, clock = live.engine, live.clock
    with eng.store.write() as tx:
        tx.save_user(UserRow(username="aud", name="Aud Auditor", password_hash=password_hash, roles="auditor",
                             active=True))
    now = clock.now()
    walk_process(eng, clock, "hersteloperatie", 6, random.Random(11), now)
    clock.set(now)
    yield live
    live.stop()


def test_the_auditors_walk(chromium, audit_server):
    eng, url = audit_server.engine, audit_server.url
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(url + "/login")
    page.get_by_label("Gebruikersnaam").fill("aud")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/controle/")                       # auditors land on the case search
    expect(page.get_by_role("heading", name="Zaken zoeken")).to_be_visible()
    longest = max(eng.audit_cases(AuditQuery(), 50)[0], key=lambda r: r.last_seq)
    page.get_by_label("Zaaknummer of naam bewoner").fill(longest.number)
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_text("1 zaak.")).to_be_visible()
    assert "Demo Ouder" not in page.content()               # residents are masked in the list
    shot(page, "controle-zoeken")

    page.get_by_role("link", name=longest.number).click()
    expect(page.get_by_role("heading", name="Tijdlijn")).to_be_visible()
    expect(page.locator(".controle-diff").first).to_be_visible()
    shot(page, "controle-tijdlijn")

    page.get_by_role("link", name="Zaak na dit event bekijken").nth(2).click()
    expect(page.locator("#diagram.geladen")).to_be_visible()
    expect(page.locator(".controle-klaar").first).to_be_attached()
    expect(page.locator(".controle-genomen").first).to_be_attached()
    shot(page, "controle-tijdreis")
    page.get_by_role("link", name="Volgend event").click()
    expect(page.get_by_text("Event 4 van")).to_be_visible()
    page.get_by_role("link", name="Vorig event").click()
    expect(page.get_by_text("Event 3 van")).to_be_visible()

    page.get_by_role("link", name=f"Zaak {longest.number}").click()
    page.get_by_role("button", name="Integriteit controleren").click()
    expect(page.get_by_text("Alles klopt.")).to_be_visible()
    shot(page, "controle-controle", max_height=900)

    page.get_by_text("Persoonsgegevens zijn afgeschermd. Tonen met een reden").click()
    page.get_by_label("Waarom heeft u de persoonsgegevens nodig?").fill("Steekproef jaarrekening 2026")
    page.get_by_role("button", name="Persoonsgegevens tonen").click()
    expect(page.get_by_text("Persoonsgegevens worden getoond")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Auditbundel downloaden (ZIP)").click()
    with open(download.value.path(), "rb") as handle:
        data = handle.read()
    assert bundle.check(data), str(bundle.check(data))
    pages = [r.page for r in eng.access_log(case_id=longest.id, actor="aud")]
    assert {"controle-zaak", "controle-tijdreis", "controle-controle", "controle-tonen", "controle-export"} <= set(pages)
    page.goto(url + f"/controle/inzage?zaak={longest.number}")
    expect(page.get_by_text("Steekproef jaarrekening 2026")).to_be_visible()
    shot(page, "controle-inzagelog", max_height=900)
    context.close()
