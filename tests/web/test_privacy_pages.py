"""/privacy: the coordinator handles a resident's request to see their data (all their cases, nobody
else's; as a page, JSON and HTML) and to correct it (an event with who and why)."""

from __future__ import annotations

import json

from .conftest import text

NAME = "Zwaantje Quispel"


def _case(engine, name, reason):
    case_id = engine.start("aanvraag", {"naam": name}, actor="cas")
    task = engine.tasks(case_id=case_id)[0]
    engine.complete(task.id, {"akkoord": False, "bedrag": 10, "reden": reason}, actor="cas")
    return case_id


def test_coordinator_sees_every_case_of_the_resident_and_nothing_of_others(engine, as_user):
    mine = [_case(engine, NAME, "Eerste reden"), _case(engine, NAME.upper(), "Tweede reden")]
    _case(engine, "Berend Botje", "Andermans reden")
    coby = as_user("coby")
    coby.get("/privacy")
    page = coby.post("/privacy/inzage", {"naam": NAME})
    assert page.status_code == 200
    shown = text(page)
    assert "2 zaken gevonden" in shown and "Eerste reden" in shown and "Tweede reden" in shown
    # Times as everywhere else: Dutch and in Amsterdam time (the clock says 09:00 UTC), not '2026-01-05 09:00'.
    assert "Gestart: 5 januari 2026." in shown and "5 januari 2026, 10:00" in shown and "2026-01-05" not in shown
    assert "Berend" not in shown and "Andermans" not in shown
    assert {a.case_id for a in engine.access_log(actor="coby", limit=None)} == set(mine)

    download = coby.post("/privacy/inzage/bestand", {"naam": NAME, "soort": "json"})
    assert download.headers["Content-Disposition"] == 'attachment; filename="inzage-zwaantje-quispel.json"'
    assert [c["id"] for c in json.loads(download.text)["zaken"]] == mine
    html = coby.post("/privacy/inzage/bestand", {"naam": NAME, "soort": "html"})
    assert html.mimetype == "text/html" and "Wat de gemeente over Zwaantje Quispel bewaart" in html.text
    assert "2 zaken gevonden" in html.text and "05-01-2026 10:00" in html.text and "(UTC)" not in html.text


def test_a_correction_is_recorded_with_who_and_why(engine, as_user):
    case_id = _case(engine, "Zwaantje Quisple", "Reden")
    coby = as_user("coby")
    coby.get("/privacy")
    page = coby.post("/privacy/correctie", {"naam": "Zwaantje Quisple", "zaak": case_id, "veld": "naam",
                                             "waarde": NAME, "reden": "Verkeerd gespeld bij de aanmelding"})
    assert page.status_code == 200, text(page)
    assert "is verbeterd" in text(page) and NAME in text(page)
    last = engine.history(case_id)[-1]
    assert (last.type, last.actor, last.payload["reason"]) == ("data_rectified", "coby",
                                                               "Verkeerd gespeld bij de aanmelding")
    assert engine.verify(case_id)


def test_a_bad_request_says_what_to_do_and_writes_nothing(engine, as_user):
    case_id = _case(engine, NAME, "Reden")
    coby = as_user("coby")
    coby.get("/privacy")
    empty = coby.post("/privacy/inzage", {"naam": " "})
    assert empty.status_code == 400 and "Vul de naam van de inwoner in" in text(empty)
    events = len(engine.history(case_id))
    bad = coby.post("/privacy/correctie", {"naam": NAME, "zaak": case_id, "veld": "bedrag", "waarde": "veel",
                                            "reden": "Bedrag klopte niet"})
    assert bad.status_code == 400 and "Vul een getal in" in text(bad)
    assert len(engine.history(case_id)) == events


def test_who_is_shown_as_name_and_username(engine, as_user):
    _case(engine, NAME, "Reden")
    coby = as_user("coby")
    coby.get("/privacy")
    shown = text(coby.post("/privacy/inzage", {"naam": NAME}))
    # The history (cas started and completed) and the access log (coby looked) show people, not bare usernames.
    assert "Cas Casemanager (cas)" in shown and "Coby Coördinator (coby)" in shown
