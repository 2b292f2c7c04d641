"""Every path of the loket model (Startscan 003 paragraaf 1-2) and its DMN, row by row."""

from __future__ import annotations

import re

import pytest

from engine import InvalidData

ZELF = {"naam_inwoner": "Fictieve Inwoner D", "in_beeld_via": "eigen_bezoek"}
VROEG = {"naam_inwoner": "Fictieve Inwoner E", "in_beeld_via": "vroegsignalering", "signaal_bron": "woningcorporatie"}
COLLEGA = {"naam_inwoner": "Fictieve Inwoner F", "in_beeld_via": "signaal_collega", "signaal_collega": "wijkteam"}
VRAAG = {"onderwerpen": ["bijstandsuitkering", "toeslagen"], "levensgebeurtenissen": ["scheiden"],
         "vraag_omschrijving": "Ik kom niet rond sinds de scheiding"}
OPGELOST = {"regelingen_besproken": True, "eerste_contact_uitkomst": "opgelost"}


def bellen(aanwezig=True, geidentificeerd=True):
    return {"regelingen_besproken": True, "eerste_contact_uitkomst": "professionallijn",
            "uitvoeringsorganisatie": "toeslagen", "inwoner_aanwezig": aanwezig,
            "inwoner_geidentificeerd": geidentificeerd}


VERVOLG_KLAAR = {"specialisme": "schuldhulpverlener", "vervolg_verslag": "Betalingsregeling getroffen",
                 "vervolg_opgelost": True}


def at_the_desk(flow, start=ZELF, vraag=VRAAG):
    flow.start("loket", start)
    if start["in_beeld_via"] != "eigen_bezoek":
        flow.do("Task_InwonerBenaderen", {"benaderen_uitkomst": "afspraak", "afspraak_datum": "2026-01-07"})
    flow.do("Task_Vraagverheldering", vraag)


def aftercare_closes(flow):
    assert flow.open() == []
    assert flow.later(days=28, minutes=1) == 1
    flow.do("Task_NazorgLoket", {"nazorg_alles_geregeld": True})
    assert flow.done()
    assert flow.data["afsluitreden"] == "opgelost"
    assert flow.verified()


@pytest.mark.parametrize("start", [ZELF, VROEG, COLLEGA], ids=["eigen-bezoek", "vroegsignalering", "signaal-collega"])
def test_three_ways_into_view(flow, start):
    flow.start("loket", start)
    expected = "Task_Vraagverheldering" if start is ZELF else "Task_InwonerBenaderen"
    assert flow.open() == [expected]


@pytest.mark.parametrize("uitkomst", ["geen_hulp", "niet_bereikt"])
def test_signal_without_contact_closes(flow, uitkomst):
    flow.start("loket", VROEG)
    flow.do("Task_InwonerBenaderen", {"benaderen_uitkomst": uitkomst})
    assert flow.done() and flow.data["afsluitreden"] == "geen_contact"


def test_first_time_fix_then_aftercare(flow):
    at_the_desk(flow)
    assert flow.data["regelingen"] == [
        "Toeslagen: toeslagen en kindgebonden budget aanpassen aan de nieuwe situatie",
        "SVB: kinderbijslag, wie ontvangt deze na de scheiding",
    ]
    flow.do("Task_EersteContact", OPGELOST)
    aftercare_closes(flow)


def test_professional_line_with_resident_present_and_identified(flow):
    at_the_desk(flow, start=VROEG)
    flow.do("Task_EersteContact", bellen())
    task = flow.task("Task_Professionallijn")
    assert task.role == "casemanager"
    flow.do("Task_Professionallijn", {"uitvoeringsorganisatie": "toeslagen",
                                      "onderwerp_toeslagen": "kindgebonden_budget", "professionallijn_opgelost": True})
    aftercare_closes(flow)


@pytest.mark.parametrize("aanwezig,geidentificeerd", [(False, True), (True, False), (False, False)])
def test_professional_line_refused_without_resident_or_identification(flow, aanwezig, geidentificeerd):
    at_the_desk(flow)
    flow.do("Task_EersteContact", bellen(aanwezig, geidentificeerd))
    assert flow.open() == ["Task_Vervolggesprek"]
    assert flow.data["professionallijn_geweigerd"] is True


def test_professional_line_not_solved_goes_to_follow_up(flow):
    at_the_desk(flow)
    flow.do("Task_EersteContact", bellen())
    flow.do("Task_Professionallijn", {"uitvoeringsorganisatie": "toeslagen",
                                      "onderwerp_toeslagen": "terugvordering_of_bezwaar",
                                      "professionallijn_opgelost": False})
    assert flow.open() == ["Task_Vervolggesprek"]


def test_follow_up_conversations_until_solved(flow):
    at_the_desk(flow, start=COLLEGA)
    flow.do("Task_EersteContact", {"regelingen_besproken": True, "eerste_contact_uitkomst": "vervolg"})
    task = flow.task("Task_Vervolggesprek")
    assert task.role == "specialist"
    flow.do("Task_Vervolggesprek", {"specialisme": "maatwerkfunctionaris", "vervolg_verslag": "Eerste gesprek",
                                    "vervolg_opgelost": False}, actor="sam")
    flow.do("Task_Vervolggesprek", {"specialisme": "maatwerkfunctionaris", "vervolg_verslag": "Tweede gesprek",
                                    "vervolg_professionallijn": "gebeld", "vervolg_uitvoeringsorganisaties": ["uwv"],
                                    "vervolg_opgelost": True},
            actor="sam")
    aftercare_closes(flow)


def test_aftercare_finds_a_new_problem(flow):
    at_the_desk(flow)
    flow.do("Task_EersteContact", OPGELOST)
    flow.later(days=29)
    flow.do("Task_NazorgLoket", {"nazorg_alles_geregeld": False})
    assert flow.open() == ["Task_Vervolggesprek"]
    flow.do("Task_Vervolggesprek", VERVOLG_KLAAR)
    aftercare_closes(flow)


# --- DMN regelingen_levensgebeurtenis, regel voor regel ----------------------------------------------

RULES = {
    "verlies_inkomen": ["Toeslagen: toeslagen aanpassen aan het lagere inkomen (huurtoeslag, zorgtoeslag, "
                        "kindgebonden budget)",
                        "Gemeente: bijstandsuitkering, bijzondere bijstand en kwijtschelding gemeentelijke belastingen"],
    "werkloosheid": ["UWV: recht op WW-uitkering en digitale hulp bij de aanvraag",
                     "Toeslagen: toeslagen aanpassen aan het lagere inkomen"],
    "verhuizen": ["Toeslagen: huurtoeslag aanvragen of wijzigen bij het nieuwe adres",
                  "Gemeente: briefadres als er (nog) geen woonadres is"],
    "scheiden": ["Toeslagen: toeslagen en kindgebonden budget aanpassen aan de nieuwe situatie",
                 "SVB: kinderbijslag, wie ontvangt deze na de scheiding"],
    "overlijden": ["SVB: nabestaandenuitkering (Anw) en kinderbijslag",
                   "Toeslagen: toeslagen aanpassen na het overlijden van de partner"],
    "inburgering": ["DUO: inburgeringsexamen, ontheffing, vrijstelling of uitstel",
                    "IND: aanvraag of verlengen verblijfsvergunning"],
    "ziekte": ["UWV: uitkering bij ziekte of arbeidsongeschiktheid",
               "Gemeente en CAK: Wmo-ondersteuning en de eigen bijdrage"],
    "jongere_18_27": ["Toeslagen: zorgtoeslag vanaf 18 jaar", "DUO: recht op en aanvragen van studiefinanciering"],
    "pensioen": ["SVB: AOW of AIO aanvragen"],
    "geen": [],
}


@pytest.mark.parametrize("event", sorted(RULES))
def test_regelingen_rows(engine, event):
    from .conftest import Flow

    flow = Flow(engine, restore=False)
    at_the_desk(flow, vraag={**VRAAG, "levensgebeurtenissen": [event]})
    assert flow.data["regelingen"] == RULES[event]


def test_regelingen_collects_several_life_events(engine):
    from .conftest import Flow

    flow = Flow(engine, restore=False)
    at_the_desk(flow, vraag={**VRAAG, "levensgebeurtenissen": ["pensioen", "verhuizen"]})
    assert flow.data["regelingen"] == RULES["verhuizen"] + RULES["pensioen"]


@pytest.mark.parametrize("reden", ["niet_aanwezig", "niet_gelegitimeerd", None])
def test_follow_up_calls_a_professional_line_only_with_resident_present_and_identified(flow, reden):
    at_the_desk(flow, start=COLLEGA)
    flow.do("Task_EersteContact", {"regelingen_besproken": True, "eerste_contact_uitkomst": "vervolg"})
    data = {"specialisme": "schuldhulpverlener", "vervolg_verslag": "Gesprek", "vervolg_opgelost": False,
            "vervolg_uitvoeringsorganisaties": ["cjib"]}
    if reden:
        data["vervolg_professionallijn"] = reden
    with pytest.raises(InvalidData) as err:
        flow.do("Task_Vervolggesprek", data)
    assert "vervolg_uitvoeringsorganisaties" in err.value.by_field()
    assert flow.open() == ["Task_Vervolggesprek"]
    flow.do("Task_Vervolggesprek", {**data, "vervolg_professionallijn": "gebeld"})
    assert flow.open() == ["Task_Vervolggesprek"]
    assert flow.verified()


def test_every_regelingen_row_is_marked_as_the_projects_choice_with_a_public_source():
    from lxml import etree

    from .conftest import ROOT
    dmn = "https://www.omg.org/spec/DMN/20191111/MODEL/"
    root = etree.parse(str(ROOT / "processes" / "regelingen-levensgebeurtenis.dmn")).getroot()
    rules = list(root.iter(f"{{{dmn}}}rule"))
    assert len(rules) == 17
    for rule in rules:
        text = rule.find(f"{{{dmn}}}description").text
        assert "keuze van het project, bron: " in text and re.search(r"\b[a-z]+\.nl\b", text), rule.get("id")
