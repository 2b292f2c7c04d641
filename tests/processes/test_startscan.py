"""The Startscan model (003 paragraaf 3): two respondents in parallel, stap 2 and 3, and the report."""

from __future__ import annotations

import html

import pytest

from engine.reports import startscan_report

from .conftest import Flow

START = {"gemeente": "Gemeente Voorbeeld (fictief)", "gemeente_type": "klein"}
STAP1_TEXT = ("a1_ingangen_gemeente", "a2_ingangen_maatschappelijk", "a3_lichtere_dienstverlening",
              "a4_vroegsignalering", "b1_eerste_gesprek", "c1_vervolggesprekken", "c2_telefonisch_contact")


def stap1(role: str) -> dict:
    data = {f"{role}_{name}": f"{role} antwoord {name} <b>&</b>" for name in STAP1_TEXT}
    data[f"{role}_respondent"] = f"Fictieve {role}"
    data[f"{role}_b2_organisaties"] = ["uwv", "svb"]
    data[f"{role}_b3_wijze"] = ["telefoon_met_inwoner"]
    data[f"{role}_c3_wijze"] = ["telefoon_zonder_inwoner", "medewerker_aanwezig"]
    return data


STAP2 = {"ambities": "Armoede halveren", "doelgroepen_aandacht": ["jongeren", "schulden"],
         "lopende_ontwikkelingen": "Integraal loket in 2027", "knelpunten": ["wachttijden", "bezetting"],
         "knelpunten_toelichting": "Drie vacatures", "wens_eerste_contact": "Direct de UWV-lijn bij WW-vragen",
         "wens_eerste_contact_organisaties": ["uwv"], "wens_vervolggesprekken": "CJIB bij boetes",
         "wens_vervolggesprekken_organisaties": ["cjib"]}
STAP3 = {"meerwaarde": "Minder doorverwijzen", "spreidingsbeleid": "Loket in elke wijk",
         "contacten_uitvoeringsorganisaties": "Toeslagen bij het eerste contact", "waar_beleggen": "Sociaal wijkteam",
         "groeimodel": True, "pilots": "Pilot met de professionallijn Toeslagen", "starten_wanneer": "2026-09-01",
         "starten_nodig": "Training van de frontoffice"}


def run_scan(flow, roles=("teamleider", "frontoffice")):
    flow.start("startscan", START)
    flow.do("Task_StartscanVoorbereiden", {"respondenten": list(roles)})
    return {f"Task_Stap1{'Frontoffice' if r == 'frontoffice' else r.capitalize()}": r for r in roles}


def test_two_respondents_answer_stap1_in_parallel_and_the_report_has_every_answer(flow):
    tasks = run_scan(flow)
    assert flow.open() == sorted(tasks)
    assert {flow.task(t).role for t in tasks} == {"policy"}
    for element, role in tasks.items():
        flow.do(element, stap1(role), actor="piet")
    assert flow.open() == ["Task_Stap2"]
    flow.do("Task_Stap2", STAP2, actor="piet")
    flow.do("Task_Stap3", STAP3, actor="piet")
    flow.do("Task_RapportVaststellen", {"rapport_besproken_met": "MT Sociaal Domein", "rapport_vastgesteld": True})
    assert flow.done()
    assert flow.verified()

    forms = flow.eng.version(flow.state.version_id).forms
    report = startscan_report(flow.data, forms)
    text = html.unescape(report)
    for role in ("teamleider", "frontoffice"):
        for name in STAP1_TEXT:
            assert f"{role} antwoord {name} <b>&</b>" in text
        assert f"Fictieve {role}" in text
    assert "<b>&</b>" not in report          # answers are escaped
    assert "UWV, SVB" in text and "Via een telefoonlijn, met de inwoner ernaast" in text
    for value in ("Armoede halveren", "Jongeren, Schulden", "Wachttijden, Beperkte bezetting", "Drie vacatures",
                  "Direct de UWV-lijn bij WW-vragen", "CJIB bij boetes", "Minder doorverwijzen", "Loket in elke wijk",
                  "Toeslagen bij het eerste contact", "Sociaal wijkteam", "Pilot met de professionallijn Toeslagen",
                  "2026-09-01", "Training van de frontoffice"):
        assert value in text
    for heading in ("Stap 1. Huidige situatie", "A. Signaleren van inwoners bij de bestaande ingangen",
                    "B. Eerste contact", "C. Meerdere gesprekken", "Stap 2. Gewenste situatie", "Ambities",
                    "Knelpunten", "Wensen", "Stap 3. Conclusies"):
        assert heading in text
    assert "Consulent" not in text             # no task, no section
    assert "@media print" in report


def test_every_respondent_role_gets_a_task(flow):
    roles = ("teamleider", "beleidsmedewerker", "consulent", "kwaliteitsmedewerker", "frontoffice")
    tasks = run_scan(flow, roles)
    assert flow.open() == sorted(tasks)
    for element in tasks:
        flow.do(element, {})
    assert flow.open() == ["Task_Stap2"]


def test_report_not_adopted_goes_back_to_stap2(flow):
    tasks = run_scan(flow, ("consulent",))
    flow.do(next(iter(tasks)), stap1("consulent"))
    flow.do("Task_Stap2", STAP2)
    flow.do("Task_Stap3", STAP3)
    flow.do("Task_RapportVaststellen", {"rapport_vastgesteld": False})
    assert flow.open() == ["Task_Stap2"]
    flow.do("Task_Stap2", {**STAP2, "ambities": "Aangevuld"})
    flow.do("Task_Stap3", STAP3)
    flow.do("Task_RapportVaststellen", {"rapport_vastgesteld": True})
    assert flow.done() and flow.data["ambities"] == "Aangevuld"


def test_report_marks_unanswered_questions(engine):
    flow = Flow(engine, restore=False)
    tasks = run_scan(flow, ("teamleider",))
    flow.do(next(iter(tasks)), {"teamleider_a1_ingangen_gemeente": "Alleen het KCC"})
    report = startscan_report(flow.data, engine.version(flow.state.version_id).forms)
    assert "Alleen het KCC" in report
    assert report.count("Niet beantwoord") >= 9


@pytest.mark.parametrize("data", [{}, {"gemeente": "<script>"}])
def test_report_without_answers_is_still_a_page(engine, data):
    forms = engine.current_version("startscan").forms
    report = startscan_report(data, forms)
    assert report.startswith("<!DOCTYPE html>") and "<script>" not in report
