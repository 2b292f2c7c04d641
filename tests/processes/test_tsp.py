"""Every path of the TSP model (handreiking TSP 000) and every region of the relatiebeheerder DMN."""

from __future__ import annotations

import pytest

from .conftest import Flow

START = {"naam_inwoner": "Fictieve Inwoner G", "contact_vorm": "balie"}
KLAAR = {"nog_een_vraag": False, "tevredenheid": "5", "feedback_soort": "geen"}


def vraag(soort):
    return {"vraag_soort": soort, "vraag_omschrijving": "Mijn huurtoeslag is gestopt"}


def test_help_in_mijn_toeslagen_without_feedback(flow):
    flow.start("tsp", START)
    flow.do("Task_VraagVerhelderen", vraag("mijn_toeslagen"))
    flow.do("Task_MijnToeslagen", {"toegang": "digid_machtigen", "handelingen": ["wijziging"],
                                   "toeslagen": ["huurtoeslag"], "mijn_toeslagen_geholpen": True})
    flow.do("Task_BezoekAfronden", KLAAR)
    assert flow.done()
    assert flow.verified()


def test_dossier_question_by_phone_then_feedback_to_the_coordinator(flow):
    flow.start("tsp", START)
    flow.do("Task_VraagVerhelderen", vraag("dossiervraag"))
    flow.do("Task_DienstToeslagenBellen", {"dossier_onderwerp": "Terugvordering 2024", "dossier_beantwoord": True})
    flow.do("Task_BezoekAfronden", {"nog_een_vraag": False, "feedback_soort": "suggestie",
                                    "feedback": "Graag ook een avondopenstelling"})
    task = flow.task("Task_FeedbackVerwerken")
    assert task.role == "coordinator"
    flow.do("Task_FeedbackVerwerken", {"verbeterpunt": "Openingstijden", "verbeteractie": "anders"}, actor="coco")
    assert flow.done()
    assert flow.verified()


def test_general_question_goes_to_the_regions_relatiebeheerder(flow):
    flow.start("tsp", START)
    flow.do("Task_VraagVerhelderen", vraag("algemene_vraag"))
    flow.do("Task_AlgemeneVraag", {"provincie": "Friesland", "vraag_relatiebeheer": "Hoe werkt de nieuwe regeling?"})
    assert flow.data["relatiebeheerder"] == "Cees bij de Leij"
    assert flow.data["relatiebeheerder_email"] == "cd.bij.de.leij@toeslagen.nl"
    flow.do("Task_RelatiebeheerderVragen", {"vraag_verstuurd": True})
    flow.do("Task_BezoekAfronden", KLAAR)
    assert flow.done()


def test_another_question_in_the_same_visit(flow):
    flow.start("tsp", START)
    flow.do("Task_VraagVerhelderen", vraag("mijn_toeslagen"))
    flow.do("Task_MijnToeslagen", {"toegang": "eherkenning", "handelingen": ["aanvragen"],
                                   "mijn_toeslagen_geholpen": True})
    flow.do("Task_BezoekAfronden", {"nog_een_vraag": True})
    assert flow.open() == ["Task_VraagVerhelderen"]
    flow.do("Task_VraagVerhelderen", vraag("dossiervraag"))
    flow.do("Task_DienstToeslagenBellen", {"dossier_onderwerp": "Status bezwaar", "dossier_beantwoord": False})
    flow.do("Task_BezoekAfronden", {"nog_een_vraag": False, "feedback_soort": "klacht", "feedback": "Lange wachttijd"})
    assert flow.open() == ["Task_FeedbackVerwerken"]


REGIONS = [
    ("Noord-Brabant", None, "Noord-Brabant & Limburg", "Femke Debeij", "f.debeij@toeslagen.nl"),
    ("Limburg", None, "Noord-Brabant & Limburg", "Femke Debeij", "f.debeij@toeslagen.nl"),
    ("Noord-Holland", None, "Noord-Holland", "Diko Sunarto", "ms.sunarto@toeslagen.nl"),
    ("Zuid-Holland", False, "Zuid-Holland (kleine gemeenten) & Zeeland", "Jan van Houwelingen",
     "ja.van.houwelingen@toeslagen.nl"),
    ("Zeeland", None, "Zuid-Holland (kleine gemeenten) & Zeeland", "Jan van Houwelingen",
     "ja.van.houwelingen@toeslagen.nl"),
    ("Zuid-Holland", True, "Zuid-Holland (gemeenten > 100.000 inwoners)", "Yves Salters", "ym.salters@toeslagen.nl"),
    ("Utrecht", None, "Utrecht", "Sanne Stevens", "s.stevens@toeslagen.nl"),
    ("Gelderland", None, "Gelderland", "Ben Valstar", "b.valstar@toeslagen.nl"),
    ("Overijssel", None, "Overijssel & Flevoland", "Inge Gouw", "itm.gouw@toeslagen.nl"),
    ("Flevoland", None, "Overijssel & Flevoland", "Inge Gouw", "itm.gouw@toeslagen.nl"),
    ("Groningen", None, "Groningen, Friesland & Drenthe", "Cees bij de Leij", "cd.bij.de.leij@toeslagen.nl"),
    ("Friesland", None, "Groningen, Friesland & Drenthe", "Cees bij de Leij", "cd.bij.de.leij@toeslagen.nl"),
    ("Drenthe", None, "Groningen, Friesland & Drenthe", "Cees bij de Leij", "cd.bij.de.leij@toeslagen.nl"),
]


@pytest.mark.parametrize("provincie,groot,regio,naam,email", REGIONS,
                         ids=[f"{r[0]}{'' if r[1] is None else ('-groot' if r[1] else '-klein')}" for r in REGIONS])
def test_every_region_has_its_relatiebeheerder(engine, provincie, groot, regio, naam, email):
    flow = Flow(engine, restore=False)
    flow.start("tsp", START)
    flow.do("Task_VraagVerhelderen", vraag("algemene_vraag"))
    data = {"provincie": provincie, "vraag_relatiebeheer": "Vraag over wet- en regelgeving"}
    if groot is not None:
        data["grote_gemeente"] = groot
    flow.do("Task_AlgemeneVraag", data)
    assert (flow.data["regio"], flow.data["relatiebeheerder"], flow.data["relatiebeheerder_email"]) == (
        regio, naam, email)
    assert flow.open() == ["Task_RelatiebeheerderVragen"]


# --- ronde 2 (issue 15): balie, warme doorverwijzing ----------------------------------------------


def test_question_answered_at_the_desk(flow):
    flow.start("tsp", START)
    flow.do("Task_VraagVerhelderen", vraag("balie"))
    assert flow.open() == ["Task_AanDeBalie"]
    flow.do("Task_AanDeBalie", {"balie_onderwerp": "onbegrepen_brief", "balie_antwoord": "Brief uitgelegd",
                                "balie_beantwoord": True})
    flow.do("Task_BezoekAfronden", KLAAR)
    assert flow.done()
    assert "relatiebeheerder" not in flow.data
    assert flow.verified()


def _linked(flow):
    number = flow.state.number
    return [c for c in flow.eng.cases(limit=50) if c.data.get("verwezen_vanuit") == number]


@pytest.mark.parametrize("target,first_task", [("loket", "Task_InwonerBenaderen"),
                                                ("hersteloperatie", "Task_OuderTerugbellen")])
def test_warm_referral_starts_a_linked_case(flow, target, first_task):
    flow.start("tsp", START)
    flow.do("Task_VraagVerhelderen", vraag("doorverwijzen"))
    flow.do("Task_WarmDoorverwijzen", {"doorverwijzen_naar": target, "toestemming_inwoner": True,
                                       "doorverwijzing_reden": "Schulden bij de energieleverancier",
                                       "telefoon_inwoner": "06 1234 5678"})
    [linked] = _linked(flow)
    assert linked.process_id == target and linked.subject == "Fictieve Inwoner G"
    assert [t.name for t in flow.eng.tasks(case_id=linked.id)] == [first_task]
    assert linked.data.get("telefoon") == "06 1234 5678"
    assert flow.open() == ["Task_BezoekAfronden"]
    from engine import referrals

    [to] = referrals.links(flow.eng, flow.case_id)              # the referring case lists its linked case
    assert (to.case_id, to.number, to.process_id, to.direction) == (linked.id, linked.number, target, "naar")
    [back] = referrals.links(flow.eng, linked.id)                # and the linked case its origin
    assert (back.case_id, back.number, back.direction) == (flow.case_id, flow.state.number, "vanuit")
    flow.do("Task_BezoekAfronden", KLAAR)
    assert flow.done() and flow.verified()
    assert flow.eng.verify(linked.id)
    assert [link.status for link in referrals.links(flow.eng, linked.id)] == ["completed"]


def test_no_linked_case_without_the_residents_consent(flow):
    flow.start("tsp", START)
    flow.do("Task_VraagVerhelderen", vraag("doorverwijzen"))
    flow.do("Task_WarmDoorverwijzen", {"doorverwijzen_naar": "loket", "toestemming_inwoner": False,
                                       "doorverwijzing_reden": "Geldzorgen"})
    assert _linked(flow) == []
    from engine import referrals

    assert referrals.links(flow.eng, flow.case_id) == []
    assert flow.open() == ["Task_BezoekAfronden"]


def test_other_questions_no_longer_default_to_the_relatiebeheerder(engine):
    from .test_models import FORMS
    choices = {c["value"] for f in FORMS["tsp-vraag"]["fields"] if f["name"] == "vraag_soort" for c in f["choices"]}
    assert {"balie", "doorverwijzen", "algemene_vraag"} <= choices
    flow = Flow(engine, restore=False)
    flow.start("tsp", START)
    flow.do("Task_VraagVerhelderen", vraag("algemene_vraag"))
    assert flow.open() == ["Task_AlgemeneVraag"]


def test_tsp_conditions_say_all_conditions_as_in_the_handreiking():
    from .test_models import FORMS
    intro = FORMS["tsp-voorwaarden"]["intro"]
    assert "voldoen aan alle voorwaarden" in intro and "meestal" not in intro
