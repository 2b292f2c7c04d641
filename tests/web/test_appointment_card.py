"""The appointment card of 004 Bijlage D (/zaken/<id>/afspraakkaart): filled from the case, printable, logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import text

ROOT = Path(__file__).resolve().parents[2]
VOORBEREIDING = {"afspraak_datum": "2026-01-08", "afspraak_vorm": "op_kantoor", "maatschappelijk_werker": True,
                 "afspraak_waar": "Stadskantoor, kamer 2.14", "naam_maatwerker": "Demo Maatwerker",
                 "naam_wijkwerker": "Demo Wijkwerker", "naam_zaakbehandelaar_belastingdienst": "Demo Zaakbehandelaar",
                 "afspraak_onderwerpen": ["schulden", "zorg_kinderen"], "afspraakbevestiging_verstuurd": True,
                 "afspraakbevestiging_kanaal": "email", "email": "ouder@example.test"}


@pytest.fixture
def case(engine):
    engine.deploy([ROOT / "processes", ROOT / "forms"])
    case_id = engine.start("hersteloperatie", {"naam_ouder": "Demo Ouder", "bron": "lijst_belastingdienst",
                                               "lijst_datum": "2026-01-02"}, actor="coby")
    [contact] = engine.tasks(case_id=case_id)
    engine.complete(contact.id, {"contact_uitkomst": "hulp_gewenst", "contact_kanaal": "telefoon"}, actor="cas")
    [prepare] = engine.tasks(case_id=case_id)
    engine.complete(prepare.id, VOORBEREIDING, actor="cas")
    return case_id


def test_the_card_shows_date_place_attendees_and_topics(engine, case, as_user):
    cas = as_user("coby")
    page = cas.get(f"/zaken/{case}/afspraakkaart")
    assert page.status_code == 200
    shown = text(page)
    assert "Afspraakbevestiging" in shown and "Beste Demo Ouder" in shown
    assert "Belastingdienst/Herstelorganisatie toeslagen" in shown        # this parent came from the list
    assert "Regie stuurt deze kaart per e-mail naar de ouder" in shown     # e-mail was chosen: the connector sends it
    assert "Stadskantoor, kamer 2.14" in shown and "Op kantoor" in shown
    assert "Maatwerker Demo Maatwerker" in shown and "Persoonlijk zaakbehandelaar Belastingdienst Demo Zaakbehandelaar" in shown
    assert page.text.count('class="gekozen"') == 2
    assert ".niet-afdrukken" in (ROOT / "web" / "static" / "regie.css").read_text(encoding="utf-8")
    assert any(a.page == "afspraakkaart" for a in engine.access_log(case_id=case))
    assert "Afspraakkaart voor de ouder" in text(cas.get(f"/zaken/{case}"))


@pytest.mark.parametrize("user", ["pim"])
def test_the_card_is_not_for_policy_staff(case, as_user, user):
    assert as_user(user).get(f"/zaken/{case}/afspraakkaart").status_code == 403


def test_the_printed_card_names_who_printed_it_and_when(engine, case, as_user):
    page = text(as_user("coby").get(f"/zaken/{case}/afspraakkaart"))
    assert "Afgedrukt door Coby Coördinator (coby) op 5 januari 2026, 10:00." in page
