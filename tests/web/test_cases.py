"""The case page (status, tasks, diagram, timeline, data per leefgebied) and starting a case."""

from __future__ import annotations

import pytest

from .conftest import field_error, flashes, text


@pytest.fixture
def case_id(engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    intake = engine.tasks(case_id=case_id)[0]
    engine.complete(intake.id, {"akkoord": True, "bedrag": 250.5}, actor="cas")
    return case_id


def test_the_case_page_shows_status_tasks_diagram_timeline_and_data(as_user, case_id):
    page = as_user("cas").get(f"/zaken/{case_id}")
    assert page.status_code == 200
    body = text(page)
    assert "Zaak AA-2026-000001 Demo Ouder 1" in body                          # the human case number
    assert "Proces Aanvraag (test)" in body and "Status Lopend" in body
    assert "Plan maken Specialist" in body                                      # the open task and its team
    assert "Nu bij: Plan maken" in body
    assert f'data-bpmn="/zaken/{case_id}/diagram.bpmn" data-active=\'["plan"]\'' in page.text
    # timeline: newest first, who and what, with the decision that followed the step
    assert body.index("Taak 'Intake doen' afgerond") < body.index("Zaak gestart")
    assert ("Keuze bij 'Akkoord?' ‘Wil de bewoner hulp?’ is ja en ‘Bedrag van de schuld (euro)’ is kleiner "
            "dan 1000: ja") in body                                           # the condition in words
    assert "akkoord ==" not in body
    assert "5 januari 2026, 10:00 · Cas Casemanager" in body
    # data, labelled by the forms that asked for it
    assert "Wil de bewoner hulp? ja" in body and "Bedrag van de schuld (euro) 250,50" in body


def test_the_diagram_is_the_bpmn_of_the_cases_version(as_user, case_id):
    response = as_user("cas").get(f"/zaken/{case_id}/diagram.bpmn")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert 'id="aanvraag"' in response.text


def test_without_the_viewer_the_page_says_where_the_case_is_in_words(app, as_user, case_id):
    app.jinja_env.globals["HAS_VIEWER"] = False
    page = as_user("cas").get(f"/zaken/{case_id}")
    assert "Het diagram kan hier niet worden getoond" in text(page) and "Nu bij: Plan maken" in text(page)
    assert "bpmn-navigated-viewer" not in page.text


def test_every_read_of_a_case_is_logged(as_user, engine, case_id):
    sam = as_user("sam")
    sam.get(f"/zaken/{case_id}")
    sam.get(f"/zaken/{case_id}/diagram.bpmn")
    task = engine.tasks(case_id=case_id)[0]
    sam.get(f"/taken/{task.id}")
    rows = engine.access_log(case_id=case_id)
    assert [(r.actor, r.page) for r in rows] == [("sam", "taak"), ("sam", "diagram"), ("sam", "zaak")]


def test_an_unknown_case_gives_the_engine_message(as_user):
    page = as_user("cas").get("/zaken/onbekend")
    assert page.status_code == 404
    assert "De zaak 'onbekend' bestaat niet. Controleer het zaaknummer." in text(page)


def test_roles_without_casework_do_not_see_cases(as_user, case_id):
    assert as_user("pim").get(f"/zaken/{case_id}").status_code == 403
    assert as_user("pim").get(f"/zaken/{case_id}/diagram.bpmn").status_code == 403


def test_a_completed_case(as_user, case_id, engine):
    plan = engine.tasks(case_id=case_id)[0]
    engine.complete(plan.id, {}, actor="sam")
    body = text(as_user("cas").get(f"/zaken/{case_id}"))
    assert "Status Afgerond" in body and "Er staan geen taken open: de zaak is afgerond." in body
    assert "Zaak afgesloten (Klaar)" in body


def test_start_a_case_with_its_start_form(as_user, engine):
    cas = as_user("cas")
    page = cas.get("/zaken/nieuw")
    assert "Aanvraag (test)" in text(page)
    form = cas.get("/zaken/nieuw/aanvraag")
    assert '<label for="veld-naam" class="veld-label">Naam van de bewoner</label>' in form.text
    bad = cas.post("/zaken/nieuw/aanvraag", {"naam": "   "})
    assert bad.status_code == 422 and field_error(bad, "naam") == "Vul dit veld in."
    assert engine.cases() == []
    response = cas.post("/zaken/nieuw/aanvraag", {"naam": "Demo Ouder 9"})
    case_id = response.location.rsplit("/", 1)[-1]
    page = cas.get(response.location)
    assert flashes(page) == ["De zaak is gestart."]
    assert engine.state(case_id).subject == "Demo Ouder 9"
    assert engine.history(case_id)[0].actor == "cas"


def test_only_casemanagers_and_coordinators_start_cases(as_user):
    assert as_user("sam").get("/zaken/nieuw").status_code == 403
    assert as_user("coby").get("/zaken/nieuw").status_code == 200


def test_an_unknown_process_cannot_be_started(as_user):
    page = as_user("cas").get("/zaken/nieuw/bestaat-niet")
    assert page.status_code == 404
    assert "Het proces 'bestaat-niet' bestaat niet." in text(page)


def test_case_data_is_grouped_by_leefgebied_with_labels(as_user, engine):
    from tests.conftest import ROOT
    from web.timeline import data_by_domain, leefgebied

    assert leefgebied("wonen_resultaat") == "Wonen" and leefgebied("hulpvraag_financien") == "Financiën"
    assert leefgebied("schuldhulptraject") == "Financiën" and leefgebied("x", "Gezinssituatie") == "Gezinssituatie"
    assert leefgebied("contact_uitkomst") is None
    engine.deploy([ROOT / "processes", ROOT / "forms"])
    version = engine.current_version("hersteloperatie")
    groups = dict(data_by_domain({"naam_ouder": "Demo", "bron": "melding_ouder", "gezin_resultaat": "ok",
                                  "wonen_toelichting": "huur", "dreigende_huisuitzetting": True,
                                  "lijst_datum": "2026-03-31", "berekend": 3}, version))
    assert list(groups)[:2] == ["Wonen", "Gezinssituatie"] and list(groups)[-1] == "Vastgesteld door het proces"
    assert ("Hoe kwam de ouder in beeld?", "De ouder meldde zich zelf") in groups["Nieuwe zaak gedupeerde ouder"]
    assert ("Datum van de lijst", "31-03-2026") in groups["Nieuwe zaak gedupeerde ouder"]
    assert len(groups["Wonen"]) == 2
