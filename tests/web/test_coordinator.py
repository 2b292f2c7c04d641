"""The coordinator's overview: open cases per process and stage, overdue, escalations, workload."""

from __future__ import annotations

from engine.store import IncidentRow

from .conftest import text


def test_overview_counts_open_work_overdue_and_workload(as_user, engine, clock):
    ids = [engine.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas") for i in range(3)]
    first = engine.tasks(case_id=ids[0])[0]
    engine.complete(first.id, {"akkoord": False, "bedrag": 1, "reden": "Geen zin"}, actor="cas")   # ends the case
    engine.claim(engine.tasks(case_id=ids[1])[0].id, "carla")
    clock.advance(days=3)
    body = text(as_user("coby").get("/overzicht"))
    assert "2 lopende zaken" in body and "2 taken te laat" in body
    assert "Aanvraag (test) 2 1" in body                                  # running, completed
    assert "Aanvraag (test) Intake doen 2 2" in body                      # stage: open, overdue
    assert "Carla Casemanager 1 1" in body and "Nog niet opgepakt 1 1" in body
    assert "Geen escalaties." in body


def test_incidents_are_escalations(as_user, engine, clock):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    with engine.store.write() as tx:
        tx.add_incident(IncidentRow(case_id=case_id, element="gw", kind="timer", message="Naam onbekend",
                                    created_at=clock.now()))
    body = text(as_user("coby").get("/overzicht"))
    assert "1 zaak met een probleem" in body
    # The case by the number people use, not by its id (QA pass: 'zaak b56b238e').
    assert "Probleem bij zaak AA-2026-000001 · Demo Ouder 1 · Naam onbekend" in body and case_id[:8] not in body

