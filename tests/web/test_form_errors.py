"""Every form problem in one answer (task forms and start forms), and dates the Dutch way."""

from __future__ import annotations

from tests.conftest import ROOT

from .conftest import field_error, text


def test_an_empty_task_form_names_every_missing_field_at_once(as_user, engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    task = engine.tasks(case_id=case_id)[0]
    cas = as_user("cas")
    cas.get(f"/taken/{task.id}")
    page = cas.post(f"/taken/{task.id}", {"actie": "afronden"})
    assert page.status_code == 422
    assert "Er zijn 2 fouten in het formulier" in text(page)
    assert field_error(page, "akkoord") == "Vul dit veld in."
    assert field_error(page, "bedrag") == "Vul dit veld in."


def test_the_start_form_names_every_problem_and_keeps_a_bad_date(as_user, engine):
    engine.deploy([ROOT / "processes", ROOT / "forms"])
    cas = as_user("cas")
    form = cas.get("/zaken/nieuw/hersteloperatie")
    assert 'id="veld-geboortedatum" name="geboortedatum"' in form.text
    assert ' type="date"' not in form.text and ' type="text"' in form.text  # a text field keeps what was typed
    assert "Bijvoorbeeld 31-03-2026." in text(form)
    page = cas.post("/zaken/nieuw/hersteloperatie", {"geboortedatum": "31-02-1990"})
    assert page.status_code == 422
    assert field_error(page, "naam_ouder") == "Vul dit veld in."
    assert field_error(page, "bron") == "Vul dit veld in."
    assert field_error(page, "geboortedatum") == "Vul een datum in als dag-maand-jaar, bijvoorbeeld 31-03-2026."
    assert 'value="31-02-1990"' in page.text                       # the typed date stays in the field
    assert engine.cases() == []


def test_a_birth_date_in_the_future_is_refused(as_user, engine):
    engine.deploy([ROOT / "processes", ROOT / "forms"])
    cas = as_user("cas")
    cas.get("/zaken/nieuw/hersteloperatie")
    tomorrow = "06-01-2026"                                          # the clock says 5 January 2026
    page = cas.post("/zaken/nieuw/hersteloperatie", {"naam_ouder": "Demo Ouder", "bron": "melding_ouder",
                                                     "geboortedatum": tomorrow})
    assert page.status_code == 422
    assert field_error(page, "geboortedatum") == "Deze datum ligt in de toekomst. Vul een datum in tot en met vandaag."
    assert engine.cases() == []
