"""A warm referral on the case pages: the referring case lists its linked case, the linked case its origin."""

from __future__ import annotations

from pathlib import Path

from .conftest import text

ROOT = Path(__file__).resolve().parents[2]


def test_both_case_pages_name_the_other_side_of_a_warm_referral(engine, as_user):
    engine.deploy([ROOT / "processes", ROOT / "forms"])
    tsp = engine.start("tsp", {"naam_inwoner": "Demo Inwoner", "contact_vorm": "balie"}, actor="coby")
    [ask] = engine.tasks(case_id=tsp)
    engine.complete(ask.id, {"vraag_soort": "doorverwijzen", "vraag_omschrijving": "Schulden"}, actor="coby")
    [refer] = engine.tasks(case_id=tsp)
    engine.complete(refer.id, {"doorverwijzen_naar": "loket", "toestemming_inwoner": True,
                               "doorverwijzing_reden": "Schulden bij de energieleverancier"}, actor="coby")
    [loket] = [c for c in engine.cases(process_id="loket")]
    coby = as_user("coby")
    page = coby.get(f"/zaken/{tsp}")
    assert "Doorverwijzingen" in text(page) and f"Doorverwezen naar zaak {loket.number}" in text(page)
    assert f'href="/zaken/{loket.id}"' in page.text
    origin = text(coby.get(f"/zaken/{loket.id}"))
    assert f"Doorverwezen vanuit zaak {engine.state(tsp).number}" in origin
    assert "Doorverwijzingen" not in text(coby.get(f"/zaken/{engine.start('loket', {'naam_inwoner': 'Ander', 'in_beeld_via': 'eigen_bezoek'}, actor='coby')}"))
