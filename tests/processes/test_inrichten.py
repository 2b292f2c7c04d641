"""The two setup checklists: steunpunt-inrichten (004 stap 1, 002 stap 7) and tsp-inrichten (000)."""

from __future__ import annotations

from datetime import timedelta

D = "2026-01-20"

STEUNPUNT = {
    "Task_VormKiezen": ("coordinator", 14, {"factsheet_gelezen": True, "vorm_hulpverlening": "regulier",
                                            "wie_legt_contact": ["wijkteam"], "steunpunt_vorm_afgerond_op": D}),
    "Task_ContactpersoonOuders": ("coordinator", 7, {"contactpersoon_ouders": "Fictieve contactpersoon",
                                                     "profiel": ["empathisch", "crisis", "sociaal_domein"],
                                                     "contactpersoon_ouders_doorgegeven_op": D}),
    "Task_ContactpersoonBeleid": ("coordinator", 7, {"contactpersoon_beleid": "Fictieve beleidsmedewerker",
                                                     "contactpersoon_beleid_doorgegeven_op": D}),
    "Task_CommunicatieInrichten": ("policy", 30, {"middelen": ["webpagina", "whatsapp", "b1"],
                                                  "communicatie_inrichten_afgerond_op": D}),
    "Task_FinancieleVerantwoording": ("policy", 30, {"registratie": ["inzet_contact", "plan_getekend"],
                                                     "financiele_verantwoording_afgerond_op": D}),
    "Task_AanpakAfstemmen": ("coordinator", 30, {"besproken_met": "Wijkteams", "aanpak_afstemmen_afgerond_op": D}),
}
STEUNPUNT_NEXT = {
    "Task_HulpverlenersToerusten": ("coordinator", 42, {"training": ["motiverende_gespreksvoering"],
                                                        "steunpunt_toerusten_afgerond_op": D}),
    "Task_OutreachPlannen": ("policy", 30, {"outreach_acties": ["data_analyse", "scholen"],
                                            "outreach_plannen_afgerond_op": D}),
}
GETEKEND = {"machtiging_getekend": True, "verwerkersovereenkomst_getekend": True, "machtiging_tekenen_afgerond_op": D}
PORTAAL = {"gemandateerde": "Fictieve functionaris", "eerste_lijst_ontvangen": True, "invorderingsportaal_afgerond_op": D}


def check_owner_and_deadline(flow, element, role, days):
    task = flow.task(element)
    assert task.role == role, element
    assert task.due == flow.clock.now() + timedelta(days=days), element


def test_steunpunt_checklist_has_owners_and_deadlines(flow):
    flow.start("steunpunt-inrichten", {"gemeente": "Gemeente Voorbeeld (fictief)",
                                       "coordinator_hersteloperatie": "Fictieve coördinator"})
    assert flow.open() == sorted(STEUNPUNT)
    for element, (role, days, data) in STEUNPUNT.items():
        check_owner_and_deadline(flow, element, role, days)
        flow.do(element, data)
    for element, (role, days, data) in STEUNPUNT_NEXT.items():
        check_owner_and_deadline(flow, element, role, days)
        flow.do(element, data)
    check_owner_and_deadline(flow, "Task_MachtigingTekenen", "coordinator", 30)
    flow.do("Task_MachtigingTekenen", {"machtiging_getekend": False, "verwerkersovereenkomst_getekend": True,
                                       "machtiging_tekenen_afgerond_op": D})
    assert flow.open() == ["Task_MachtigingTekenen"]           # not signed: back to the college
    flow.do("Task_MachtigingTekenen", GETEKEND)
    check_owner_and_deadline(flow, "Task_Invorderingsportaal", "coordinator", 14)
    flow.do("Task_Invorderingsportaal", PORTAAL)
    assert flow.open() == ["Task_SteunpuntGereed"]
    flow.do("Task_SteunpuntGereed", {"start_ondersteuning": "2026-03-01"})
    assert flow.done()
    assert flow.verified()


TSP_START = {"gemeente": "Gemeente Voorbeeld (fictief)", "provincie": "Utrecht"}
VOORWAARDEN = {name: True for name in ("sociaal_maatschappelijke_functie", "laagdrempelig_gratis",
                                       "geen_commercieel_belang", "direct_contact_doelgroep",
                                       "permanente_informatiebalie", "ervaring_doelgroep", "expertise_toeslagen")}
TSP_TASKS = {
    "Task_EHerkenning": ("coordinator", 30, {"eherkenning_aangeschaft": True, "compensatie_aangevraagd": True,
                                             "eherkenning_aanschaffen_afgerond_op": D}),
    "Task_LocatieInrichten": ("coordinator", 60, {"locatie_checklist": ["bereikbaar", "privacy"],
                                                  "adres_tsp": "Stationsplein 1 (fictief)",
                                                  "tsp_locatie_afgerond_op": D}),
    "Task_InformatieInwoners": ("policy", 60, {"informatie_checklist": ["materialen"],
                                               "tsp_informatie_afgerond_op": D}),
    "Task_OrganisatieInrichten": ("coordinator", 60, {"organisatie_checklist": ["feedback"],
                                                      "tsp_organisatie_afgerond_op": D}),
    "Task_SamenwerkingRegelen": ("policy", 90, {"samenwerking_checklist": ["relatiebeheerder"],
                                                "tsp_samenwerking_afgerond_op": D}),
    "Task_PublicatieToestemming": ("coordinator", 14, {"toestemming_gegeven": True, "tsp_publicatie_afgerond_op": D}),
    "Task_OndersteuningAanmelden": ("policy", 30, {"ondersteuning_checklist": ["nieuwsbrief", "kennisnetwerk"],
                                                   "tsp_ondersteuning_afgerond_op": D}),
}


def test_tsp_checklist_with_conditions_met(flow):
    flow.start("tsp-inrichten", TSP_START)
    assert flow.data["relatiebeheerder"] == "Sanne Stevens"
    check_owner_and_deadline(flow, "Task_VoorwaardenToetsen", "policy", 14)
    flow.do("Task_VoorwaardenToetsen", VOORWAARDEN)
    check_owner_and_deadline(flow, "Task_Aanmelden", "coordinator", 7)
    flow.do("Task_Aanmelden", {"aangemeld_op": D, "bevestiging_ontvangen": True})
    assert flow.open() == sorted(TSP_TASKS)
    for element, (role, days, data) in TSP_TASKS.items():
        check_owner_and_deadline(flow, element, role, days)
        flow.do(element, data)
    flow.do("Task_TSPOpenen", {"openingsdatum": "2026-04-01"})
    assert flow.done()
    assert flow.verified()


def test_tsp_missing_condition_is_arranged_first(flow):
    flow.start("tsp-inrichten", {**TSP_START, "provincie": "Zuid-Holland", "grote_gemeente": True})
    assert flow.data["relatiebeheerder"] == "Yves Salters"
    flow.do("Task_VoorwaardenToetsen", {**VOORWAARDEN, "expertise_toeslagen": False})
    check_owner_and_deadline(flow, "Task_VoorwaardenRegelen", "coordinator", 60)
    flow.do("Task_VoorwaardenRegelen", {"geregeld": "Twee medewerkers volgen de kennismodules"})
    assert flow.open() == ["Task_VoorwaardenToetsen"]
    flow.do("Task_VoorwaardenToetsen", VOORWAARDEN)
    assert flow.open() == ["Task_Aanmelden"]


def test_overdue_checklist_items_are_visible(engine):
    from .conftest import Flow

    flow = Flow(engine, restore=False)
    flow.start("tsp-inrichten", TSP_START)
    flow.clock.advance(days=20)
    overdue = [t.name for t in engine.tasks(case_id=flow.case_id) if t.due and t.due < flow.clock.now()]
    assert overdue == ["Task_VoorwaardenToetsen"]
