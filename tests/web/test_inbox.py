"""The inbox: my tasks, my team's, all (coordinators); columns, overdue, filters, search, paging;
claim, give back, assign and bulk-assign with a reason."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from .conftest import flashes, text


@pytest.fixture
def cases(engine):
    """Three cases, each waiting at 'Intake doen' (due in 2 days)."""
    return [engine.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas") for i in (1, 2, 3)]


def rows(page) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip()
            for r in re.findall(r"<tr(?: class=\"rij-te-laat\")?>(.*?)</tr>", page.text.split("<tbody>", 1)[-1], flags=re.S)]


def test_my_tasks_is_empty_until_i_claim_one_from_my_team(as_user, cases, engine):
    cas = as_user("cas")
    page = cas.get("/taken")
    assert "U heeft geen open taken." in text(page)
    team = cas.get("/taken?weergave=team")
    assert len(rows(team)) == 3 and "Demo Ouder 1" in text(team)
    task = engine.tasks(case_id=cases[0])[0]
    response = cas.post(f"/taken/{task.id}/oppakken", {"volgende": "/taken?weergave=team"})
    assert response.location == "/taken?weergave=team"
    page = cas.get("/taken")
    assert flashes(page) == ["U heeft de taak 'Intake doen' opgepakt. Hij staat nu bij Mijn taken."]
    assert len(rows(page)) == 1 and "Demo Ouder 1" in rows(page)[0] and "Cas Casemanager" in rows(page)[0]
    assert [e.type for e in engine.history(cases[0])][-1] == "task_claimed"


def test_columns_and_overdue_highlight(as_user, cases, clock):
    clock.advance(days=3)
    page = as_user("cas").get("/taken?weergave=team")
    for column in ("Zaak", "Bewoner", "Taak", "Uiterlijk klaar", "Opvolgen", "Leeftijd", "Behandelaar"):
        assert f'<th scope="col">{column}</th>' in page.text
    assert page.text.count('class="rij-te-laat"') == 3
    assert "7 jan. 2026 te laat" in rows(page)[0] and "3 dagen" in rows(page)[0]


def test_team_means_my_roles_and_all_is_for_coordinators(as_user, cases):
    assert "Geen taken gevonden." in text(as_user("sam").get("/taken?weergave=team"))
    cas = as_user("cas")
    assert "weergave=alle" not in cas.get("/taken").text
    assert 'aria-current="page">Mijn taken' in cas.get("/taken?weergave=alle").text    # falls back
    coby = as_user("coby")
    assert len(rows(coby.get("/taken?weergave=alle"))) == 3


@pytest.mark.parametrize("query, expected", [
    ("zoek=ouder+2", ["Demo Ouder 2"]),
    ("zoek=OUDER", ["Demo Ouder 1", "Demo Ouder 2", "Demo Ouder 3"]),
    ("zoek=50%25", []),
    ("termijn=verlopen", []),
    ("termijn=week", ["Demo Ouder 1", "Demo Ouder 2", "Demo Ouder 3"]),
    ("termijn=geen", []),
    ("taak=plan", []),
    ("taak=intake&proces=aanvraag", ["Demo Ouder 1", "Demo Ouder 2", "Demo Ouder 3"]),
])
def test_filters_and_search(as_user, cases, query, expected):
    page = as_user("coby").get(f"/taken?weergave=alle&{query}")
    found = [name for name in ("Demo Ouder 1", "Demo Ouder 2", "Demo Ouder 3") if name in text(page)]
    assert found == expected


def test_search_by_case_number(as_user, cases):
    page = as_user("coby").get(f"/taken?weergave=alle&zoek={cases[1][:8]}")
    assert len(rows(page)) == 1 and "Demo Ouder 2" in rows(page)[0]


def test_paging(app, as_user, cases, engine, clock):
    app.config["PAGE_SIZE"] = 2
    coby = as_user("coby")
    first = coby.get("/taken?weergave=alle")
    assert len(rows(first)) == 2 and "3 taken" in text(first) and "Pagina 1 van 2" in text(first)
    second = coby.get("/taken?weergave=alle&pagina=2")
    assert len(rows(second)) == 1 and "Pagina 2 van 2" in text(second) and 'rel="prev"' in second.text


def test_give_back_and_who_may(as_user, cases, engine):
    task = engine.tasks(case_id=cases[0])[0]
    engine.claim(task.id, "carla")
    cas = as_user("cas")
    page = cas.post(f"/taken/{task.id}/teruggeven")
    assert page.status_code == 403
    assert "Alleen wie de taak heeft, of de coördinator, kan hem teruggeven." in text(page)
    carla = as_user("carla")
    carla.get("/taken")
    carla.post(f"/taken/{task.id}/teruggeven")
    assert flashes(carla.get("/taken")) == ["De taak 'Intake doen' staat weer bij het team."]
    assert engine.task(task.id).assignee is None


def test_another_team_cannot_claim(as_user, cases, engine):
    task = engine.tasks(case_id=cases[0])[0]
    page = as_user("sam").post(f"/taken/{task.id}/oppakken")
    assert page.status_code == 403 and "Deze taak hoort bij een ander team." in text(page)


@pytest.mark.parametrize("form, field, message", [
    ({"collega": "cas", "reden": "Vakantie"}, "toewijzen-taak", "Kies eerst een of meer taken met de vakjes in de lijst."),
    ({"taak": "X", "reden": "Vakantie"}, "collega", "Kies een collega aan wie u de taken geeft."),
    ({"taak": "X", "collega": "cas", "reden": "  "}, "reden", "Vul een reden in. De reden komt in de geschiedenis van de zaak."),
    ({"taak": "X", "collega": "nobody", "reden": "Vakantie"}, "collega", "De gebruiker 'nobody' bestaat niet. Controleer de naam."),
])
def test_assigning_needs_tasks_a_colleague_and_a_reason(as_user, cases, engine, form, field, message):
    task = engine.tasks(case_id=cases[0])[0]
    if form.get("taak") == "X":
        form = {**form, "taak": task.id}
    coby = as_user("coby")
    coby.get("/taken?weergave=alle")
    page = coby.post("/taken/toewijzen", form, follow_redirects=True)
    found = re.search(rf'id="{field}-fout"[^>]*>(.*?)</p>', page.text, flags=re.S)
    assert found and message in unescape(found.group(1))                       # the message sits at its field
    if form.get("reden", "").strip():
        assert f'value="{form["reden"]}"' in page.text                          # what was typed stays
    if form.get("taak"):
        assert re.search(rf'value="{task.id}" id="kies-\d+" checked', page.text)   # the selection stays
    assert engine.task(task.id).assignee is None


def test_bulk_assign_puts_the_reason_in_each_case_history(as_user, cases, engine):
    ids = [engine.tasks(case_id=c)[0].id for c in cases[:2]]
    coby = as_user("coby")
    coby.get("/taken?weergave=alle")
    response = coby.client.post("/taken/toewijzen", data={"csrf_token": coby.token, "taak": ids, "collega": "carla",
                                                         "reden": "Cas is met verlof"})
    page = coby.get(response.location)
    assert flashes(page) == ["2 taken toegewezen aan Carla Casemanager."]
    for case_id in cases[:2]:
        last = engine.history(case_id)[-1]
        assert (last.type, last.actor, last.payload["assignee"], last.payload["reason"]) == (
            "task_assigned", "coby", "carla", "Cas is met verlof")
    timeline = text(coby.get(f"/zaken/{cases[0]}"))
    assert "Taak 'Intake doen' gegeven aan Carla Casemanager" in timeline and "Cas is met verlof" in timeline
    assert engine.tasks(case_id=cases[2])[0].assignee is None


def test_only_coordinators_assign(as_user, cases, engine):
    task = engine.tasks(case_id=cases[0])[0]
    page = as_user("cas").post("/taken/toewijzen", {"taak": task.id, "collega": "cas", "reden": "x"})
    assert page.status_code == 403


def test_the_inbox_is_two_queries_however_many_tasks(app, as_user, engine, clock):
    for i in range(30):
        engine.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas")
    statements = []
    from sqlalchemy import event

    listener = lambda *args: statements.append(args[2])  # noqa: E731
    coby = as_user("coby")
    event.listen(engine.store.engine, "before_cursor_execute", listener)
    try:
        coby.get("/taken?weergave=alle")
    finally:
        event.remove(engine.store.engine, "before_cursor_execute", listener)
    task_queries = [s for s in statements if "FROM tasks" in s]
    assert len(task_queries) == 2, task_queries
    assert clock.now() - timedelta(0) == clock.now()
