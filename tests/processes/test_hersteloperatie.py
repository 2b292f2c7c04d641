"""Every path of the hersteloperatie model (handreiking 004 stappen 2-7, memo Heerenveen 002)."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest
import yaml

from engine import InvalidData

from .conftest import Flow

START_LIJST = {"naam_ouder": "Fictieve Ouder A", "bron": "lijst_belastingdienst", "lijst_datum": "2026-01-02"}
START_OUTREACH = {"naam_ouder": "Fictieve Ouder B", "bron": "eigen_initiatief", "outreach_bron": "keukentafelgesprek"}
START_MELDING = {"naam_ouder": "Fictieve Ouder C", "bron": "melding_ouder", "melding_kanaal": "whatsapp",
                 "telefoon": "06 1234 5678"}

HULP = {"contact_uitkomst": "hulp_gewenst", "contact_kanaal": "telefoon"}
NIET_BEREIKT = {"contact_uitkomst": "niet_bereikt", "contact_kanaal": "telefoon"}
VOORBEREIDING = {"afspraak_datum": "2026-01-08", "afspraak_vorm": "thuis", "maatschappelijk_werker": True,
                 "afspraakbevestiging_verstuurd": True, "afspraakbevestiging_kanaal": "post"}


def kennismaking(**over):
    data = {"dreigende_huisuitzetting": False, "ernstige_gezondheidsproblemen": False, "ernstige_zorg_jeugd": False,
            "andere_crisis": False, "al_hulp_gemeente": False, "relatie_toeslagen": "nee", "gemeld_bij_uht": True,
            "passend_aanbod": True}
    data.update(over)
    return data


def intake(compleet=True, **over):
    data = {"leefgebieden_met_hulpvraag": ["wonen", "financien"], "hulpvraag_wonen": "Huurachterstand",
            "aanbod_wonen": ["contact_verhuurder_nuts"], "schulden": True, "gegevens_verzameld": True,
            "relatie_toeslagen": "nee", "intake_compleet": compleet}
    data.update(over)
    return data


def intakes(flow, **over):
    """The two intake conversations 002 asks for at least ("twee tot drie"), the second one completes the picture."""
    flow.do("Task_Intakegesprek", intake(compleet=False, **over))
    flow.do("Task_Intakegesprek", intake(**over))


def plan(leefgebieden=("wonen",), schuldhulp=False):
    return {"doelen": "Rust en een stabiel inkomen", "gekozen_leefgebieden": list(leefgebieden),
            "schuldhulptraject": schuldhulp, "afspraken_ouder": "Post openen met de casemanager"}


GETEKEND = {"getekend_gemeente": True, "getekend_ouder": True, "datum_ondertekening": "2026-02-01"}
GEEN_DRIEGESPREK = {"informatie_gedeeld": False, "driegesprek_gewenst": False}
HULP_OPGELOST = {"wonen_ingezette_hulp": ["anders"], "wonen_resultaat": "opgelost"}


def to_intake(flow, start=START_LIJST, **kennis):
    flow.start("hersteloperatie", start)
    flow.do("Task_ContactOpnemen" if start["bron"] == "lijst_belastingdienst" else "Task_ContactOpnemenGemeente", HULP)
    flow.do("Task_KennismakingVoorbereiden", VOORBEREIDING)
    flow.do("Task_Kennismakingsgesprek", kennismaking(**kennis))


def to_uitvoering(flow, leefgebieden=("wonen",), schuldhulp=False):
    to_intake(flow)
    intakes(flow)
    flow.do("Task_PlanOpstellen", plan(leefgebieden, schuldhulp))
    if schuldhulp:
        flow.do("Task_SchuldhulpPlannen", {"schuldhulp_fasen": ["informatie_advies", "stabilisatie"],
                                           "samenwerking_belastingdienst": True})
    flow.do("Task_PlanOndertekenen", GETEKEND)


def to_evaluatie(flow, leefgebieden=("wonen",)):
    to_uitvoering(flow, leefgebieden)
    for element in {"wonen": "Task_HulpWonen", "gezin": "Task_HulpGezin"}.values():
        if element in flow.open():
            flow.do(element, HULP_OPGELOST)
    flow.do("Task_DriegesprekBespreken", GEEN_DRIEGESPREK)


def test_happy_path(flow):
    to_evaluatie(flow)
    assert flow.open() == ["Task_Evaluatie"]
    flow.do("Task_Evaluatie", {"doelen_bereikt": "ja", "evaluatie_vervolg": "nazorg"})
    assert flow.open() == []
    assert "Timer_NazorgDrieMaanden" in flow.state.active
    assert flow.later(days=93) >= 1
    assert flow.open() == ["Task_NazorgCheckIn"]
    flow.do("Task_NazorgCheckIn", {"nazorg_verslag": "Gaat goed", "nazorg_uitkomst": "stoppen"})
    assert flow.done()
    assert flow.data["afsluitreden"] == "nazorg_gestopt"
    assert flow.verified()


# --- Bijlage D: de afspraakkaart gaat digitaal naar de ouder ------------------------------------------

KAART = {"afspraak_datum": "2026-01-08", "afspraak_vorm": "op_kantoor", "maatschappelijk_werker": True,
         "afspraak_waar": "Stadskantoor, kamer 2.14", "naam_maatwerker": "Demo Maatwerker",
         "naam_zaakbehandelaar_belastingdienst": "Demo Zaakbehandelaar", "afspraak_onderwerpen": ["schulden", "zorg_kinderen"],
         "afspraakbevestiging_verstuurd": True, "afspraakbevestiging_kanaal": "email", "email": "ouder@example.test"}


def _mailed(flow, smtp, start):
    from engine import external

    flow.start("hersteloperatie", start)
    first = "Task_ContactOpnemen" if start["bron"] == "lijst_belastingdienst" else "Task_ContactOpnemenGemeente"
    flow.do(first, HULP)
    flow.do("Task_KennismakingVoorbereiden", KAART)
    # the conversation does not wait for the mail; the mail waits for the scheduler's connector round
    assert flow.open() == ["Task_Kennismakingsgesprek"]
    assert "Send_AfspraakkaartMailen" in flow.state.active and smtp.messages == []
    assert external.run_connectors(flow.eng, "planner", smtp.settings) == 1
    flow._record()
    [mail] = smtp.messages
    assert mail.rcpt_tos == ["ouder@example.test"]
    message = email.message_from_bytes(mail.content, policy=email.policy.default)
    return f"Subject: {message['Subject']}\n{message.get_content()}"


def test_the_appointment_card_is_mailed_to_the_parent(flow, smtp):
    text = _mailed(flow, smtp, {**START_LIJST, "email": "oud@example.test"})
    assert "Subject: Afspraakbevestiging: uw gesprek op 8 januari 2026" in text
    for line in ("Beste Fictieve Ouder A,", "Datum: 8 januari 2026", "Vorm: Op kantoor", "Waar: Stadskantoor, kamer 2.14",
                 "Maatwerker: Demo Maatwerker", "Wijkwerker: -",
                 "Persoonlijk zaakbehandelaar Belastingdienst: Demo Zaakbehandelaar",
                 "- Geldzaken: schulden", "- Zorg voor/over: kinderen"):
        assert line in text, line
    assert "Geldzaken: inkomen" not in text and "Tijdsbesteding" not in text
    assert "Belastingdienst/Herstelorganisatie toeslagen" in text       # a parent from the list
    assert "Send_AfspraakkaartMailen" not in flow.state.active
    sent = [e for e in flow.eng.history(flow.case_id) if e.type == "task_completed"
            and e.payload.get("element") == "Send_AfspraakkaartMailen"]
    assert len(sent) == 1 and sent[0].actor == "regie-connector"       # the case log records that it was sent
    flow.do("Task_Kennismakingsgesprek", kennismaking())
    assert flow.verified()


def test_the_mailed_card_speaks_for_the_belastingdienst_only_for_list_parents(flow, smtp):
    text = _mailed(flow, smtp, START_OUTREACH)
    assert "Beste Fictieve Ouder B," in text and "U heeft met ons contact gehad over extra hulp van de gemeente." in text
    assert "Belastingdienst/Herstelorganisatie" not in text
    assert flow.verified()


@pytest.mark.parametrize("over", [{"afspraakbevestiging_kanaal": "post"}, {"afspraakbevestiging_verstuurd": False}],
                         ids=["post", "niet-verstuurd"])
def test_without_email_the_caseworker_sends_the_card_as_before(flow, over):
    flow.start("hersteloperatie", {**START_LIJST, "email": "ouder@example.test"})
    flow.do("Task_ContactOpnemen", HULP)
    data = {k: v for k, v in KAART.items() if k not in ("email", "afspraakbevestiging_kanaal")}
    flow.do("Task_KennismakingVoorbereiden", {**data, **over})
    assert flow.state.active == ["Task_Kennismakingsgesprek"]
    assert flow.verified()


def test_email_as_channel_needs_the_parents_address(flow):
    flow.start("hersteloperatie", START_LIJST)
    flow.do("Task_ContactOpnemen", HULP)
    with pytest.raises(InvalidData, match="email"):
        flow.do("Task_KennismakingVoorbereiden", {k: v for k, v in KAART.items() if k != "email"})
    assert flow.open() == ["Task_KennismakingVoorbereiden"]


# --- de drie manieren waarop een zaak start (004 stap 2 A/B, whatsapp binnen 24 uur) ------------------


def test_list_from_belastingdienst_starts_with_a_neutral_offer(flow):
    flow.start("hersteloperatie", START_LIJST)
    task = flow.task("Task_ContactOpnemen")
    assert task.role == "casemanager" and task.form == "contactpoging"
    assert flow.state.subject == "Fictieve Ouder A"
    assert flow.data["contactpogingen"] == 0


def test_own_outreach_records_its_source(flow):
    flow.start("hersteloperatie", START_OUTREACH)
    assert flow.open() == ["Task_ContactOpnemenGemeente"]
    assert flow.data["outreach_bron"] == "keukentafelgesprek"


def test_parents_own_message_is_called_back_within_24_hours(flow):
    flow.start("hersteloperatie", START_MELDING)
    task = flow.task("Task_OuderTerugbellen")
    assert task.due == flow.clock.now() + timedelta(hours=24)
    flow.later(hours=23)
    assert flow.open() == ["Task_OuderTerugbellen"]
    flow.do("Task_OuderTerugbellen", HULP)
    assert flow.later(hours=2) == 0
    assert flow.open() == ["Task_KennismakingVoorbereiden"]
    assert flow.verified()


def test_no_call_back_in_24_hours_escalates_to_the_coordinator(flow):
    flow.start("hersteloperatie", START_MELDING)
    assert flow.later(hours=24, minutes=1) == 1
    assert flow.open() == ["Task_OuderTerugbellen", "Task_TerugbellenEscaleren"]
    assert flow.task("Task_TerugbellenEscaleren").role == "coordinator"
    flow.do("Task_TerugbellenEscaleren", {"escalatie_actie": "collega_ingezet"}, actor="coco")
    flow.do("Task_OuderTerugbellen", HULP)
    assert flow.open() == ["Task_KennismakingVoorbereiden"]
    assert flow.verified()


def test_start_form_is_validated(engine):
    with pytest.raises(InvalidData) as err:
        engine.start("hersteloperatie", {"naam_ouder": "X", "bron": "melding_ouder"})
    assert "melding_kanaal" in err.value.by_field()


# --- eerste contact: vrijblijvend aanbod, pogingen, afsluiten met reden ----------------------------


def test_parent_declines_closes_the_case_with_reason(flow):
    flow.start("hersteloperatie", START_LIJST)
    flow.do("Task_ContactOpnemen", {"contact_uitkomst": "geen_hulp", "contact_kanaal": "telefoon",
                                    "reden_geen_hulp": "Heeft al hulp via familie"})
    assert flow.done()
    assert flow.data["afsluitreden"] == "geen_hulp_gewenst"
    assert flow.data["reden_geen_hulp"] == "Heeft al hulp via familie"
    assert flow.verified()


def test_not_reached_after_three_attempts_closes_the_case(flow):
    flow.start("hersteloperatie", START_OUTREACH)
    for attempt in (1, 2):
        flow.do("Task_ContactOpnemenGemeente", NIET_BEREIKT)
        assert flow.open() == [] and "Timer_VolgendePoging" in flow.state.active
        assert flow.later(days=1) == 0
        assert flow.later(days=1, minutes=1) == 1
        assert flow.data["contactpogingen"] == attempt
    flow.do("Task_ContactOpnemenGemeente", NIET_BEREIKT)
    assert flow.done()
    assert flow.data["afsluitreden"] == "niet_bereikt"
    assert flow.data["contactpogingen"] == 3
    attempts = [e for e in flow.eng.history(flow.case_id)
                if e.type == "task_completed" and e.payload["element"] == "Task_ContactOpnemenGemeente"]
    assert len(attempts) == 3
    assert flow.verified()


def test_call_back_not_reached_continues_with_attempts(flow):
    flow.start("hersteloperatie", START_MELDING)
    flow.do("Task_OuderTerugbellen", NIET_BEREIKT)
    flow.later(days=2, minutes=1)
    flow.do("Task_ContactOpnemenGemeente", HULP)
    assert flow.open() == ["Task_KennismakingVoorbereiden"]
    assert flow.data["contactpogingen"] == 1


# --- kennismaking, crisis, UHT (004 stap 3) -------------------------------------------------------


def test_no_crisis_goes_straight_to_intake(flow):
    to_intake(flow)
    assert flow.open() == ["Task_Intakegesprek"]
    assert flow.data["crisis_signalen"] == []


def test_crisis_is_handled_at_once_and_in_parallel(flow):
    to_intake(flow, dreigende_huisuitzetting=True)
    assert flow.open() == ["Task_CrisisAanpakken", "Task_Intakegesprek"]
    crisis = flow.task("Task_CrisisAanpakken")
    assert crisis.due == flow.clock.now() + timedelta(hours=4)
    assert flow.data["crisis_signalen"] == ["dreigende_huisuitzetting"]
    intakes(flow)
    assert flow.open() == ["Task_CrisisAanpakken", "Task_PlanOpstellen"]
    flow.do("Task_CrisisAanpakken", {"crisis_acties_genomen": ["verhuurder_gebeld"], "crisis_afgewend": True})
    assert flow.open() == ["Task_PlanOpstellen"]
    assert flow.verified()


def test_no_suitable_offer_closes_after_kennismaking(flow):
    to_intake(flow, passend_aanbod=False, reden_geen_vervolg="Ouder wil eerst zelf verder")
    assert flow.done()
    assert flow.data["afsluitreden"] == "geen_vervolg_na_kennismaking"


def test_crisis_is_handled_even_without_further_support(flow):
    to_intake(flow, passend_aanbod=False, reden_geen_vervolg="Geen vervolg", ernstige_zorg_jeugd=True)
    assert flow.open() == ["Task_CrisisAanpakken"]
    flow.do("Task_CrisisAanpakken", {"crisis_acties_genomen": ["wijkteam_jeugd"], "crisis_afgewend": True})
    assert flow.done()


@pytest.mark.parametrize("relatie", ["direct", "vermoeden"])
def test_uht_registration_advice_when_problems_relate_to_toeslagen(flow, relatie):
    to_intake(flow, relatie_toeslagen=relatie, gemeld_bij_uht=False)
    assert flow.open() == ["Task_UHTAdvies"]
    flow.do("Task_UHTAdvies", {"uht_advies_gegeven": True, "uht_melding": "samen_gemeld",
                               "uht_datum_melding": "2026-01-06"})
    assert flow.open() == ["Task_Intakegesprek"]


def test_no_uht_advice_when_already_registered_or_unrelated(flow):
    to_intake(flow, relatie_toeslagen="direct", gemeld_bij_uht=True)
    assert flow.open() == ["Task_Intakegesprek"]


# --- intake, plan van aanpak, schuldhulp (004 stap 4-5) -------------------------------------------


def test_intake_takes_at_most_three_conversations(flow):
    to_intake(flow)
    flow.do("Task_Intakegesprek", intake(compleet=False))
    flow.do("Task_Intakegesprek", intake(compleet=False))
    assert flow.data["intakegesprekken"] == 2
    flow.do("Task_Intakegesprek", intake(compleet=False))
    assert flow.open() == ["Task_PlanOpstellen"]
    assert flow.data["intakegesprekken"] == 3


def test_plan_not_signed_by_both_goes_back(flow):
    to_intake(flow)
    intakes(flow)
    flow.do("Task_PlanOpstellen", plan())
    flow.do("Task_PlanOndertekenen", {"getekend_gemeente": True, "getekend_ouder": False})
    assert flow.open() == ["Task_PlanOpstellen"]
    flow.do("Task_PlanOpstellen", plan())
    flow.do("Task_PlanOndertekenen", GETEKEND)
    assert flow.open() == ["Task_DriegesprekBespreken", "Task_HulpWonen"]


def test_debts_add_the_schuldhulp_phases(flow):
    to_uitvoering(flow, leefgebieden=("financien",), schuldhulp=True)
    assert flow.open() == ["Task_DriegesprekBespreken", "Task_SchuldhulpInformatieAdvies"]
    assert flow.task("Task_SchuldhulpInformatieAdvies").role == "specialist"
    flow.do("Task_SchuldhulpInformatieAdvies", {"schuldenoverzicht_gemaakt": True, "aantal_schuldeisers": 4},
            actor="sam")
    flow.do("Task_SchuldhulpStabilisatie", {"situatie_stabiel": True, "budgetbeheer_nodig": True,
                                            "schuldbemiddeling_nodig": True}, actor="sam")
    flow.do("Task_SchuldhulpBudgetbeheer", {"budgetbeheer_vorm": "budgetbeheer"}, actor="sam")
    flow.do("Task_SchuldhulpSchuldbemiddeling", {"schuldregeling": "minnelijk"}, actor="sam")
    flow.do("Task_HulpFinancien", {"financien_ingezette_hulp": ["schuldhulpverlening"],
                                   "financien_resultaat": "deels"}, actor="sam")
    flow.do("Task_DriegesprekBespreken", GEEN_DRIEGESPREK)
    assert flow.open() == ["Task_Evaluatie"]
    assert flow.verified()


def test_stabilisation_alone_skips_budgetbeheer_and_schuldbemiddeling(flow):
    to_uitvoering(flow, leefgebieden=("financien",), schuldhulp=True)
    flow.do("Task_SchuldhulpInformatieAdvies", {"schuldenoverzicht_gemaakt": True})
    flow.do("Task_SchuldhulpStabilisatie", {"situatie_stabiel": True, "budgetbeheer_nodig": False,
                                            "schuldbemiddeling_nodig": False})
    assert flow.open() == ["Task_DriegesprekBespreken", "Task_HulpFinancien"]


def test_finances_without_debts_skip_schuldhulp(flow):
    to_uitvoering(flow, leefgebieden=("financien",))
    assert flow.open() == ["Task_DriegesprekBespreken", "Task_HulpFinancien"]


# --- uitvoering (004 stap 6) ----------------------------------------------------------------------

TRACKS = {"wonen": "Task_HulpWonen", "financien": "Task_HulpFinancien", "gezondheid": "Task_HulpGezondheid",
          "werk": "Task_HulpWerk", "gezin": "Task_HulpGezin"}


def test_two_leefgebieden_run_in_parallel_for_specialists(flow):
    to_uitvoering(flow, leefgebieden=("wonen", "gezin"))
    assert flow.open() == ["Task_DriegesprekBespreken", "Task_HulpGezin", "Task_HulpWonen"]
    assert {flow.task(t).role for t in ("Task_HulpGezin", "Task_HulpWonen")} == {"specialist"}
    flow.do("Task_HulpGezin", {"gezin_ingezette_hulp": ["opvoedondersteuning"], "gezin_resultaat": "opgelost"})
    flow.do("Task_DriegesprekBespreken", GEEN_DRIEGESPREK)
    assert flow.open() == ["Task_HulpWonen"]
    flow.do("Task_HulpWonen", HULP_OPGELOST)
    assert flow.open() == ["Task_Evaluatie"]
    assert flow.data["gezin_resultaat"] == "opgelost" and flow.data["wonen_resultaat"] == "opgelost"
    assert flow.verified()


def test_all_five_leefgebieden(flow):
    to_uitvoering(flow, leefgebieden=tuple(TRACKS))
    assert flow.open() == sorted(["Task_DriegesprekBespreken", *TRACKS.values()])
    for key, element in TRACKS.items():
        flow.do(element, {f"{key}_ingezette_hulp": ["anders"], f"{key}_resultaat": "deels"})
    flow.do("Task_DriegesprekBespreken", GEEN_DRIEGESPREK)
    assert flow.open() == ["Task_Evaluatie"]


def test_driegesprek_only_with_the_parents_consent(flow):
    to_uitvoering(flow)
    flow.do("Task_DriegesprekBespreken", {"informatie_gedeeld": True, "driegesprek_gewenst": True,
                                          "toestemming_ouder": True})
    assert flow.open() == ["Task_Driegesprek", "Task_HulpWonen"]
    flow.do("Task_Driegesprek", {"driegesprek_datum": "2026-02-10", "driegesprek_afspraken": "Overzicht sturen"})
    flow.do("Task_HulpWonen", HULP_OPGELOST)
    assert flow.open() == ["Task_Evaluatie"]


def test_driegesprek_wanted_but_no_consent(flow):
    to_uitvoering(flow)
    flow.do("Task_DriegesprekBespreken", {"informatie_gedeeld": False, "driegesprek_gewenst": True,
                                          "toestemming_ouder": False})
    assert flow.open() == ["Task_HulpWonen"]


def test_regular_contact_moments_during_plan_and_uitvoering(flow):
    to_intake(flow)
    intakes(flow)
    assert flow.later(days=15) == 1
    assert flow.open() == ["Task_ContactmomentPlan", "Task_PlanOpstellen"]
    flow.do("Task_ContactmomentPlan", {"contact_datum": "2026-01-20", "contact_vorm": "telefonisch"})
    flow.do("Task_PlanOpstellen", plan())
    flow.do("Task_PlanOndertekenen", GETEKEND)
    assert flow.later(days=15) == 1
    assert flow.later(days=14) == 1
    assert flow.open().count("Task_ContactmomentUitvoering") == 2
    flow.do("Task_HulpWonen", HULP_OPGELOST)
    flow.do("Task_DriegesprekBespreken", GEEN_DRIEGESPREK)
    assert flow.later(days=15) == 0   # the uitvoering is over: no more contact moments from it
    assert "Task_Evaluatie" in flow.open()
    assert flow.verified()


# --- evaluatie en nazorg (004 stap 6-7) -----------------------------------------------------------


def test_evaluation_goes_back_to_the_plan(flow):
    to_evaluatie(flow)
    flow.do("Task_Evaluatie", {"doelen_bereikt": "deels", "evaluatie_vervolg": "plan_bijstellen"})
    assert flow.open() == ["Task_PlanOpstellen"]
    flow.do("Task_PlanOpstellen", plan(("gezin",)))
    flow.do("Task_PlanOndertekenen", GETEKEND)
    assert flow.open() == ["Task_DriegesprekBespreken", "Task_HulpGezin"]
    flow.do("Task_HulpGezin", {"gezin_ingezette_hulp": ["jeugdhulp"], "gezin_resultaat": "opgelost"})
    flow.do("Task_DriegesprekBespreken", GEEN_DRIEGESPREK)
    flow.do("Task_Evaluatie", {"doelen_bereikt": "ja", "evaluatie_vervolg": "afsluiten"})
    assert flow.done()
    assert flow.data["afsluitreden"] == "afgesloten_zonder_nazorg"
    assert flow.verified()


def test_relapse_in_nazorg_reopens_support(flow):
    to_evaluatie(flow)
    flow.do("Task_Evaluatie", {"doelen_bereikt": "ja", "evaluatie_vervolg": "nazorg"})
    flow.later(days=92)
    flow.do("Task_NazorgCheckIn", {"nazorg_verslag": "Gaat goed", "nazorg_uitkomst": "doorgaan"})
    flow.later(days=92)
    flow.do("Task_NazorgCheckIn", {"nazorg_verslag": "Nieuwe schulden", "nazorg_uitkomst": "terugval"})
    assert flow.open() == ["Task_Intakegesprek"]
    assert flow.data["intakegesprekken"] == 0
    assert flow.verified()


def test_nazorg_ends_the_case_after_24_months(flow):
    to_evaluatie(flow)
    flow.do("Task_Evaluatie", {"doelen_bereikt": "ja", "evaluatie_vervolg": "nazorg"})
    started = flow.clock.now()
    check_ins = 0
    while not flow.done():
        flow.later(days=31)
        if "Task_NazorgCheckIn" in flow.open():
            flow.do("Task_NazorgCheckIn", {"nazorg_verslag": "Gaat goed", "nazorg_uitkomst": "doorgaan",
                                           "nazorg_vormen": ["periodiek_gesprek"]})
            check_ins += 1
        assert flow.clock.now() - started < timedelta(days=24 * 31 + 31)
    assert 7 <= check_ins <= 8
    assert flow.clock.now() - started >= timedelta(days=730)
    assert flow.data["afsluitreden"] == "nazorg_afgerond"
    assert flow.verified()


# --- crisischeck DMN, regel voor regel ------------------------------------------------------------

CRISIS_ROWS = [
    ("dreigende_huisuitzetting", "dreigende_huisuitzetting"),
    ("ernstige_gezondheidsproblemen", "ernstige_gezondheidsproblemen"),
    ("ernstige_zorg_jeugd", "ernstige_zorg_jeugd"),
    ("andere_crisis", "andere_crisis"),
]


@pytest.mark.parametrize("field,signal", CRISIS_ROWS)
def test_crisischeck_rows(engine, field, signal):
    flow = Flow(engine, restore=False)
    extra = {"andere_crisis_omschrijving": "Stroom wordt afgesloten"} if field == "andere_crisis" else {}
    to_intake(flow, **{field: True}, **extra)
    assert flow.data["crisis_signalen"] == [signal]
    assert len(flow.data["crisis_acties"]) == 1 and "vandaag" in flow.data["crisis_acties"][0]


def test_crisischeck_collects_every_signal(engine):
    flow = Flow(engine, restore=False)
    to_intake(flow, dreigende_huisuitzetting=True, ernstige_zorg_jeugd=True)
    assert flow.data["crisis_signalen"] == ["dreigende_huisuitzetting", "ernstige_zorg_jeugd"]
    assert len(flow.data["crisis_acties"]) == 2


# --- ronde 2 van de review (issue 15) -------------------------------------------------------------

def _form_text(key: str) -> str:
    from .conftest import ROOT
    return (ROOT / "forms" / f"{key}.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("start,element,form", [
    (START_LIJST, "Task_ContactOpnemen", "contactpoging"),
    (START_OUTREACH, "Task_ContactOpnemenGemeente", "contactpoging-gemeente"),
])
def test_first_contact_speaks_for_the_belastingdienst_only_for_list_cases(flow, start, element, form):
    flow.start("hersteloperatie", start)
    assert flow.open() == [element]
    task = flow.task(element)
    assert task.form == form and task.role == "casemanager"
    speaks_for_toeslagen = "namens de Belastingdienst/Toeslagen, en doe een aanbod" in _form_text(form)
    assert speaks_for_toeslagen == (start["bron"] == "lijst_belastingdienst")
    flow.do(element, HULP)
    assert flow.open() == ["Task_KennismakingVoorbereiden"]
    assert flow.verified()


def test_a_parent_who_reported_herself_is_called_again_on_behalf_of_the_municipality(flow):
    flow.start("hersteloperatie", START_MELDING)
    flow.do("Task_OuderTerugbellen", NIET_BEREIKT)
    flow.later(days=2, minutes=1)
    assert flow.open() == ["Task_ContactOpnemenGemeente"]
    assert "namens de Belastingdienst/Toeslagen, en doe" not in _form_text(flow.task("Task_ContactOpnemenGemeente").form)


def test_uht_advice_also_when_there_is_no_further_support(flow):
    to_intake(flow, passend_aanbod=False, reden_geen_vervolg="Ouder wil eerst zelf verder",
              relatie_toeslagen="direct", gemeld_bij_uht=False)
    assert flow.open() == ["Task_UHTAdvies"]
    flow.do("Task_UHTAdvies", {"uht_advies_gegeven": True, "uht_melding": "ouder_meldt_zelf"})
    assert flow.done()
    assert flow.data["afsluitreden"] == "geen_vervolg_na_kennismaking"
    assert flow.data["uht_melding"] == "ouder_meldt_zelf"
    assert flow.verified()


def test_uht_advice_when_an_intake_conversation_shows_it(flow):
    to_intake(flow)
    flow.do("Task_Intakegesprek", intake(compleet=False, relatie_toeslagen="vermoeden", gemeld_bij_uht=False))
    assert flow.open() == ["Task_UHTAdviesIntake"]
    assert flow.task("Task_UHTAdviesIntake").form == "uht-aanmelden"
    flow.do("Task_UHTAdviesIntake", {"uht_advies_gegeven": True, "uht_melding": "samen_gemeld",
                                     "uht_datum_melding": "2026-01-09"})
    assert flow.open() == ["Task_Intakegesprek"]
    # advised once: the next conversation with the same finding does not ask again
    flow.do("Task_Intakegesprek", intake(relatie_toeslagen="vermoeden", gemeld_bij_uht=False))
    assert flow.open() == ["Task_PlanOpstellen"]
    assert flow.verified()


def test_uht_advice_after_a_relapse_in_nazorg(flow):
    to_evaluatie(flow)
    flow.do("Task_Evaluatie", {"doelen_bereikt": "ja", "evaluatie_vervolg": "nazorg"})
    flow.later(days=92)
    flow.do("Task_NazorgCheckIn", {"nazorg_verslag": "Nieuwe brief van Toeslagen", "nazorg_uitkomst": "terugval"})
    assert flow.open() == ["Task_Intakegesprek"]
    flow.do("Task_Intakegesprek", intake(compleet=False, relatie_toeslagen="direct", gemeld_bij_uht=False))
    assert flow.open() == ["Task_UHTAdviesIntake"]
    assert flow.verified()


def test_intake_needs_at_least_two_conversations(flow):
    to_intake(flow)
    flow.do("Task_Intakegesprek", intake(compleet=True))
    assert flow.open() == ["Task_Intakegesprek"]
    assert flow.data["intakegesprekken"] == 1
    flow.do("Task_Intakegesprek", intake(compleet=True))
    assert flow.open() == ["Task_PlanOpstellen"]


def test_debt_trajectory_brings_the_financien_track_with_it(flow):
    to_uitvoering(flow, leefgebieden=("wonen",), schuldhulp=True)
    assert flow.data["gekozen_leefgebieden"] == ["wonen", "financien"]
    assert flow.open() == ["Task_DriegesprekBespreken", "Task_HulpWonen", "Task_SchuldhulpInformatieAdvies"]
    flow.do("Task_SchuldhulpInformatieAdvies", {"schuldenoverzicht_gemaakt": True})
    flow.do("Task_SchuldhulpStabilisatie", {"situatie_stabiel": True, "budgetbeheer_nodig": False,
                                            "schuldbemiddeling_nodig": False})
    flow.do("Task_HulpFinancien", {"financien_ingezette_hulp": ["schuldhulpverlening"],
                                   "financien_resultaat": "deels"})
    flow.do("Task_HulpWonen", HULP_OPGELOST)
    flow.do("Task_DriegesprekBespreken", GEEN_DRIEGESPREK)
    assert flow.open() == ["Task_Evaluatie"]
    assert flow.verified()


def test_specialist_offers_carry_the_full_bijlage_a_wording(flow):
    to_uitvoering(flow, leefgebieden=("wonen", "financien", "gezondheid"))
    labels = {}
    for key in ("wonen", "financien", "gezondheid"):
        form = yaml.safe_load(_form_text(flow.task(TRACKS[key]).form))
        labels.update({c["value"]: c["label"] for f in form["fields"] for c in f.get("choices", [])})
    assert labels["contact_schuldeisers"] == "Contact met schuldeisers (vaste lasten, rijksuitvoeringsorganisaties)"
    assert labels["schuldhulpverlening"].endswith("laaggeletterden en niet digitaal vaardige inwoners)")
    assert labels["medische_zorg"] == "Achterstallige of nieuwe medische zorg (tandarts, therapie)"
    assert labels["bewind_budgetbeheer"] == "Beschermingsbewind, budgetbeheer of budgetcoaching"
    flow.do("Task_HulpFinancien", {"financien_ingezette_hulp": ["contact_schuldeisers", "bewind_budgetbeheer"],
                                   "financien_resultaat": "deels"})
    [done] = [e for e in flow.eng.history(flow.case_id)
              if e.type == "task_completed" and e.payload["element"] == "Task_HulpFinancien"]
    assert "bewind_budgetbeheer" in str(done.payload)


def test_bijvangst_with_money_worries_is_referred_to_the_loket(flow):
    to_intake(flow, start=START_OUTREACH, passend_aanbod=False, reden_geen_vervolg="Geen gedupeerde",
              geldzorgen_zonder_toeslagen=True)
    assert flow.open() == ["Task_NaarLoket"]
    flow.do("Task_NaarLoket", {"doorverwijzen_naar": "loket", "toestemming_inwoner": True,
                               "doorverwijzing_reden": "Huurachterstand, geen relatie met toeslagen"})
    assert flow.done()
    assert flow.data["afsluitreden"] == "doorverwezen_loket"
    [linked] = [c for c in flow.eng.cases(limit=50) if c.data.get("verwezen_vanuit") == flow.state.number]
    assert linked.process_id == "loket" and linked.data["signaal_collega"] == "hersteloperatie"
    assert [t.name for t in flow.eng.tasks(case_id=linked.id)] == ["Task_InwonerBenaderen"]
    assert flow.verified()


def test_no_money_worries_closes_without_referral(flow):
    to_intake(flow, passend_aanbod=False, reden_geen_vervolg="Geen vervolg", geldzorgen_zonder_toeslagen=False)
    assert flow.done()
    assert flow.data["afsluitreden"] == "geen_vervolg_na_kennismaking"
