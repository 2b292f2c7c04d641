"""The task page: the form from YAML, server-side checks with messages next to fields, drafts,
completing, and a task someone else completed meanwhile."""

from __future__ import annotations

import pytest

from .conftest import field_error, flashes, text


@pytest.fixture
def intake(engine):
    """The open 'Intake doen' task of a new case."""
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    return engine.tasks(case_id=case_id)[0]


def test_the_form_shows_every_field_with_its_label(as_user, intake):
    page = as_user("cas").get(f"/taken/{intake.id}")
    assert page.status_code == 200
    assert "Intake doen" in text(page) and "Demo Ouder 1" in text(page)
    assert "Bespreek de situatie met de bewoner." in text(page)              # the form's intro
    assert '<legend>Wil de bewoner hulp?' in page.text                        # yes/no as a fieldset
    assert '<label for="veld-bedrag" class="veld-label">Bedrag van de schuld (euro)</label>' in page.text
    assert 'inputmode="decimal"' in page.text
    assert 'data-veld="reden" data-type="textarea" data-when=\'{"equals": false, "field": "akkoord"}\' hidden' in page.text


@pytest.mark.parametrize("post, field, message", [
    ({"akkoord": "ja", "bedrag": "veel"}, "bedrag", "Vul een getal in, bijvoorbeeld 12 of 12,50."),
    ({"akkoord": "ja", "bedrag": ""}, "bedrag", "Vul dit veld in."),
    ({"akkoord": "ja", "bedrag": "-5"}, "bedrag", "Vul een waarde in van minimaal 0."),
    ({"bedrag": "10"}, "akkoord", "Vul dit veld in."),
    ({"akkoord": "misschien", "bedrag": "10"}, "akkoord", "Kies ja of nee."),
    ({"akkoord": "nee", "bedrag": "10"}, "reden", "Vul dit veld in."),
])
def test_a_bad_value_gets_a_message_next_to_the_field_and_keeps_what_was_typed(as_user, intake, engine, post, field, message):
    cas = as_user("cas")
    cas.get(f"/taken/{intake.id}")
    page = cas.post(f"/taken/{intake.id}", {"actie": "afronden", **post})
    assert page.status_code == 422
    assert field_error(page, field) == message
    assert f'<a href="#veld-{field}">' in page.text                            # the summary links to the field
    assert 'id="foutoverzicht" role="alert"' in page.text
    if post.get("bedrag"):
        assert f'value="{post["bedrag"]}"' in page.text
    assert engine.task(intake.id).state == "open"                              # nothing was written
    assert [e.type for e in engine.history(intake.case_id)] == ["case_started"]


def test_a_dutch_decimal_comma_is_read_as_a_number_and_hidden_fields_are_dropped(as_user, intake, engine):
    cas = as_user("cas")
    cas.get(f"/taken/{intake.id}")
    page = cas.post(f"/taken/{intake.id}", {"actie": "afronden", "akkoord": "ja", "bedrag": "1.234,50",
                                            "reden": "hoort hier niet"})
    assert page.status_code == 302
    completed = [e for e in engine.history(intake.case_id) if e.type == "task_completed"][0]
    assert completed.payload["data"] == {"akkoord": True, "bedrag": 1234.5}
    assert completed.actor == "cas"


def test_completing_shows_the_case_with_the_next_task_and_the_timeline_entry(as_user, intake, engine):
    cas = as_user("cas")
    cas.get(f"/taken/{intake.id}")
    response = cas.post(f"/taken/{intake.id}", {"actie": "afronden", "akkoord": "ja", "bedrag": "500"})
    assert response.location == f"/zaken/{intake.case_id}"
    page = cas.get(response.location)
    assert flashes(page) == ["De taak 'Intake doen' is afgerond."]
    assert "Plan maken" in text(page)                                         # the next task
    assert "Taak 'Intake doen' afgerond" in text(page) and "Cas Casemanager" in text(page)


def test_a_draft_is_kept_without_changing_the_case_and_comes_back(as_user, intake, engine):
    cas = as_user("cas")
    cas.get(f"/taken/{intake.id}")
    response = cas.post(f"/taken/{intake.id}", {"actie": "concept", "akkoord": "nee", "bedrag": "12,5x",
                                                "reden": "Nog navragen"})
    assert response.status_code == 302
    page = cas.get(response.location)
    assert flashes(page)[0] == "Uw concept is opgeslagen. U kunt later verder gaan waar u was."
    assert "U ziet het concept van Cas Casemanager, opgeslagen op 5 januari 2026, 10:00." in text(page)
    assert 'value="12,5x"' in page.text and ">Nog navragen</textarea>" in page.text
    assert 'value="nee" id="veld-akkoord-2" checked' in page.text
    assert 'data-veld="reden" data-type="textarea" data-when=\'{"equals": false, "field": "akkoord"}\'>' in page.text
    assert [e.type for e in engine.history(intake.case_id)] == ["case_started"]   # a draft is no event
    other = as_user("carla").get(f"/taken/{intake.id}")                          # a colleague sees it too
    assert "U ziet het concept van Cas Casemanager" in text(other)
    cas.post(f"/taken/{intake.id}", {"actie": "afronden", "akkoord": "ja", "bedrag": "12"})
    with engine.store.read() as tx:
        from engine.store.drafts import draft

        assert draft(tx, intake.id) is None


def test_a_task_someone_else_completed_meanwhile_says_so_and_keeps_the_typed_values(as_user, intake, engine):
    cas, carla = as_user("cas"), as_user("carla")
    cas.get(f"/taken/{intake.id}")
    carla.get(f"/taken/{intake.id}")
    assert carla.post(f"/taken/{intake.id}", {"actie": "afronden", "akkoord": "ja", "bedrag": "10"}).status_code == 302
    page = cas.post(f"/taken/{intake.id}", {"actie": "afronden", "akkoord": "ja", "bedrag": "777"})
    assert page.status_code == 409
    assert ("De taak 'Intake doen' staat niet meer open: afgerond door Carla Casemanager. Iemand anders heeft de "
            "zaak net gewijzigd. Ververs de zaak; wat u heeft ingevuld is niet opgeslagen in de zaak.") in text(page)
    assert 'value="777"' in page.text
    assert "Naar de zaak" in text(page) and "Taak afronden" not in text(page)
    completed = [e for e in engine.history(intake.case_id) if e.type == "task_completed"]
    assert len(completed) == 1 and completed[0].actor == "carla"


def test_the_engine_conflict_message_is_shown_when_the_race_is_lost_inside_the_engine(as_user, intake, engine, monkeypatch):
    from engine.errors import TaskNotReady

    def lost(*args, **kwargs):
        raise TaskNotReady(intake.id, "Intake doen", "afgerond door carla")

    monkeypatch.setattr(engine, "complete", lost)
    cas = as_user("cas")
    cas.get(f"/taken/{intake.id}")
    page = cas.post(f"/taken/{intake.id}", {"actie": "afronden", "akkoord": "ja", "bedrag": "31"})
    assert page.status_code == 409
    assert "De taak 'Intake doen' staat niet meer open: afgerond door carla." in text(page)
    assert 'value="31"' in page.text


def test_a_task_in_someone_elses_hands_cannot_be_completed(as_user, intake, engine):
    engine.claim(intake.id, "carla")
    cas = as_user("cas")
    page = cas.get(f"/taken/{intake.id}")
    message = ("Deze taak is in behandeling bij Carla Casemanager. Vraag de coördinator om de taak aan u te geven als u hem "
               "wilt afronden.")
    assert message in text(page)
    page = cas.post(f"/taken/{intake.id}", {"actie": "afronden", "akkoord": "ja", "bedrag": "1"})
    assert page.status_code == 403 and message in text(page)
    assert engine.task(intake.id).state == "open"


def test_another_team_cannot_open_the_task(as_user, intake):
    page = as_user("sam").get(f"/taken/{intake.id}")
    assert page.status_code == 403
    assert "Deze taak hoort bij een ander team." in text(page)


def test_an_unknown_task_gives_the_engine_message(as_user):
    page = as_user("cas").get("/taken/bestaat-niet")
    assert page.status_code == 404
    assert "De taak 'bestaat-niet' bestaat niet (meer). Ververs uw takenlijst en kies een open taak." in text(page)


def test_a_task_without_form_is_completed_with_one_button(as_user, intake, engine):
    engine.complete(intake.id, {"akkoord": True, "bedrag": 10}, actor="cas")
    plan = engine.tasks(case_id=intake.case_id)[0]
    sam = as_user("sam")
    page = sam.get(f"/taken/{plan.id}")
    assert "Deze taak heeft geen formulier." in text(page)
    assert sam.post(f"/taken/{plan.id}", {"actie": "afronden"}).status_code == 302
    assert engine.state(intake.case_id).status == "completed"
