"""The auditor's workspace: search, timeline, time travel, verify, masking with a reason, access log."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from engine.store import UserRow
from engine.store.models import CaseRow

from .conftest import flashes, text


@pytest.fixture
def auditors(engine, password_hash):
    with engine.store.write() as tx:
        tx.save_user(UserRow(username="aud", name="Aud Auditor", password_hash=password_hash, roles="auditor",
                             active=True))
        tx.save_user(UserRow(username="acc", name="Acc Accountant", password_hash=password_hash, roles="auditor",
                             active=True))


@pytest.fixture
def case_id(engine, auditors):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    intake = engine.tasks(case_id=case_id)[0]
    engine.complete(intake.id, {"akkoord": True, "bedrag": 250.5}, actor="cas")
    plan = engine.tasks(case_id=case_id)[0]
    engine.assign(plan.id, "sam", actor="coby", reason="Sam kent de ouder")
    return case_id


def test_an_auditor_lands_on_the_case_search(as_user, auditors):
    response = as_user("aud").client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/controle/")


def test_search_finds_cases_by_number_and_masks_the_resident(as_user, engine, case_id):
    closed = engine.start("aanvraag", {"naam": "Ander Persoon"}, actor="cas")
    engine.complete(engine.tasks(case_id=closed)[0].id, {"akkoord": False, "bedrag": 1, "reden": "Geen hulp nodig"}, actor="cas")
    number = engine.state(case_id).number
    aud = as_user("aud")
    page = text(aud.get("/controle/"))
    assert "2 zaken" in page and "D. O. 1." in page and "A. P." in page and "Demo Ouder" not in page
    assert "Afgerond" in page                                               # closed cases are included
    found = text(aud.get(f"/controle/?zoek={number}"))
    assert "1 zaak" in found and number in found
    assert "1 zaak" in text(aud.get("/controle/?status=completed"))
    assert "2 zaken" in text(aud.get("/controle/?door=cas&van=05-01-2026&tot=05-01-2026"))
    assert "0 zaken" in text(aud.get("/controle/?door=niemand"))
    assert "0 zaken" in text(aud.get("/controle/?van=06-01-2026"))
    assert 'value="aanvraag" selected' in aud.get("/controle/?proces=aanvraag").text     # the filter is kept


def test_a_coordinator_may_search_but_not_open_the_audit_pages(as_user, case_id):
    coby = as_user("coby")
    assert coby.get("/controle/").status_code == 200
    assert coby.get(f"/controle/zaken/{case_id}").status_code == 403


def test_the_timeline_has_diffs_decisions_in_words_and_assignments_with_reasons(as_user, engine, case_id):
    page = text(as_user("aud").get(f"/controle/zaken/{case_id}"))
    assert "Zaak gestart" in page and "5 januari 2026, 10:00:00 · Cas Casemanager (cas)" in page
    assert "Wil de bewoner hulp? akkoord (nieuw) ja" in page
    assert "Bedrag van de schuld (euro) bedrag (nieuw) 250,50" in page
    assert "Akkoord? → Plan maken — Wil de bewoner hulp: ja, Bedrag van de schuld (euro): 250,50" in page
    assert "Voorwaarde in het model akkoord == True and bedrag < 1000 → waar" in page
    assert "Taak 'Plan maken' gegeven aan Sam Specialist (sam) " in page and "Reden Sam kent de ouder" in page
    assert "Demo Ouder 1" not in page and "•••• (afgeschermd)" in page     # the name is masked


def test_showing_personal_data_needs_a_reason_and_is_logged(as_user, engine, case_id):
    aud = as_user("aud")
    aud.get(f"/controle/zaken/{case_id}")
    refused = aud.post(f"/controle/zaken/{case_id}/tonen", {"reden": ""}, follow_redirects=True)
    assert "Geef een reden (minstens 5 tekens)" in " ".join(flashes(refused))
    assert "Demo Ouder 1" not in text(refused)
    shown = aud.post(f"/controle/zaken/{case_id}/tonen", {"reden": "Klacht 2026-17"}, follow_redirects=True)
    assert "Demo Ouder 1" in text(shown)
    row = [r for r in engine.access_log(case_id=case_id) if r.page == "controle-tonen"]
    assert [(r.actor, r.reason) for r in row] == [("aud", "Klacht 2026-17")]
    assert "Demo Ouder 1" not in text(as_user("acc").get(f"/controle/zaken/{case_id}"))   # per user, per case


def test_showing_can_be_limited_to_granted_accounts(app, as_user, case_id):
    app.config["AUDIT_UNMASK_USERS"] = "acc"
    aud = as_user("aud")
    assert "U heeft geen toestemming om ze te tonen" in text(aud.get(f"/controle/zaken/{case_id}"))
    assert aud.post(f"/controle/zaken/{case_id}/tonen", {"reden": "Klacht 2026-17"}).status_code == 403
    acc = as_user("acc")
    acc.get(f"/controle/zaken/{case_id}")
    assert "Demo Ouder 1" in text(acc.post(f"/controle/zaken/{case_id}/tonen", {"reden": "Klacht 2026-17"},
                                           follow_redirects=True))


def test_time_travel_shows_the_case_after_an_event_with_steps(app, as_user, case_id):
    app.jinja_env.globals["HAS_VIEWER"] = True      # as after `make install`
    aud = as_user("aud")
    page = aud.get(f"/controle/zaken/{case_id}/moment/1")
    body = text(page)
    assert "na event 1" in body and "Event 1 van 4" in body and "Volgend event" in body and "Vorig event" not in body
    assert "Staat bij Intake doen" in body and "Open taken na event 1 Taak Team Behandelaar Uiterlijk klaar Intake doen Casemanager" in body
    assert """data-active='["intake"]'""" in page.text and """data-taken='["f1"]'""" in page.text
    later = aud.get(f"/controle/zaken/{case_id}/moment/2")
    assert """data-finished='["start", "intake", "gw"]'""" in later.text
    assert "Bedrag van de schuld (euro) 250,50" in text(later)
    assert aud.get(f"/controle/zaken/{case_id}/moment?event=3").headers["Location"].endswith("/moment/3")
    missing = aud.get(f"/controle/zaken/{case_id}/moment/9")
    assert missing.status_code in (400, 404, 422) and "Kies een event van 1 tot en met 4" in text(missing)


def test_verify_button_names_an_altered_column(as_user, engine, case_id):
    aud = as_user("aud")
    aud.get(f"/controle/zaken/{case_id}")
    ok = text(aud.post(f"/controle/zaken/{case_id}/controleren"))
    assert "Alles klopt." in ok
    with engine.store.write() as tx:
        tx.session.execute(update(CaseRow).where(CaseRow.id == case_id).values(status="completed"))
    bad = text(aud.post(f"/controle/zaken/{case_id}/controleren"))
    assert "Er klopt iets niet." in bad and "cases status #2 opgeslagen 'completed', volgens de events 'running'" in bad


def test_every_audit_page_view_is_in_the_access_log(as_user, engine, case_id):
    aud = as_user("aud")
    aud.get(f"/controle/zaken/{case_id}")
    aud.get(f"/controle/zaken/{case_id}/moment/2")
    aud.post(f"/controle/zaken/{case_id}/controleren")
    pages = [r.page for r in engine.access_log(case_id=case_id, actor="aud")]
    assert pages == ["controle-controle", "controle-tijdreis", "controle-zaak"]
    log = text(aud.get("/controle/inzage?gebruiker=aud"))
    assert "Controle: zaak op een moment" in log or "Controle: tijdreis" in log or "Controle: tijdlijn" in log


def test_the_timeline_is_paged(app, as_user, case_id):
    app.config["AUDIT_TIMELINE_PAGE_SIZE"] = 2
    aud = as_user("aud")
    first = text(aud.get(f"/controle/zaken/{case_id}"))
    assert "events 1–2 van 4" in first and "Pagina 1 van 2" in first and "Zaak gestart" in first
    second = text(aud.get(f"/controle/zaken/{case_id}?pagina=2"))
    assert "events 3–4 van 4" in second and "Zaak gestart" not in second
    # the diff on page 2 still knows what was entered on page 1
    assert "gegeven aan Sam Specialist" in second


def test_caseworkers_cannot_open_the_auditor_pages(as_user, case_id):
    cas = as_user("cas")
    for url in ("/controle/", f"/controle/zaken/{case_id}", f"/controle/zaken/{case_id}/moment/1", "/controle/inzage"):
        assert cas.get(url).status_code == 403


def test_the_bundle_download_checks_offline_and_is_logged(as_user, engine, case_id):
    from engine.audit import bundle

    response = as_user("aud").client.get(f"/controle/zaken/{case_id}/bundel.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    number = engine.state(case_id).number
    assert f'filename="auditbundel-{number}.zip"' in response.headers["Content-Disposition"]
    assert bundle.check(response.data)
    assert engine.access_log(case_id=case_id)[0].page == "controle-export"


def test_export_of_a_period_as_csv(as_user, engine, case_id):
    aud = as_user("aud")
    assert "Events van een periode exporteren" in text(aud.get("/controle/export"))
    wrong = aud.get("/controle/export?van=31-12-2026&tot=01-01-2026")
    assert wrong.status_code == 422 and "Vul twee datums in" in text(wrong)
    csv_file = aud.get("/controle/export?van=05-01-2026&tot=05-01-2026")
    assert csv_file.mimetype == "text/csv"
    lines = csv_file.text.splitlines()
    assert lines[0].startswith("zaaknummer,zaak_id,proces") and len(lines) == 1 + 4 + 1
    assert lines[-1] == '"Geëxporteerd door Aud Auditor (aud) op 5 januari 2026, 10:00. Vertrouwelijk: bevat persoonsgegevens."'
    assert [r.page for r in engine.access_log(actor="aud")][0] == "export"


def test_every_event_the_engine_writes_is_told_in_words_on_both_timelines():
    """A new kind of event gets a Dutch description for the caseworker and the auditor, not its code."""
    import re
    from pathlib import Path

    from engine.privacy.subjects import RECTIFIED
    from web import timeline
    from web.controle import story

    source = "\n".join(p.read_text(encoding="utf-8") for p in Path("engine").rglob("*.py"))
    kinds = set(re.findall(r'Event\("([a-z_]+)"', source)) | {RECTIFIED}
    assert {"case_started", "external_task_locked", "case_handed_over", "data_rectified"} <= kinds
    assert kinds - set(story.DESCRIBE) == {"timers_due"} - set(story.DESCRIBE)
    assert kinds - set(timeline.DESCRIBE) - timeline.HIDDEN == set()
