"""Accountability (004 Financiële verantwoording, 002 costs on the five leefgebieden, 003 §1.2 topics):
time and costs recorded per leefgebied in the specialists' forms, reported per month, leefgebied and source."""

from __future__ import annotations

import io

from engine import accountability

from .test_hersteloperatie import START_OUTREACH, to_uitvoering


def test_time_and_costs_per_leefgebied_and_source(flow):
    to_uitvoering(flow, leefgebieden=("wonen", "gezin"))
    flow.do("Task_HulpWonen", {"wonen_ingezette_hulp": ["afsluiting_uitzetting"], "wonen_resultaat": "opgelost",
                               "wonen_uren": 6.5, "wonen_kosten": 250})
    flow.do("Task_HulpGezin", {"gezin_ingezette_hulp": ["opvoedondersteuning"], "gezin_resultaat": "deels",
                               "gezin_uren": 3})
    lines = accountability.costs(flow.eng)
    assert [(x.leefgebied, x.source, x.cases, x.hours, x.costs) for x in lines] == [
        ("gezin", "lijst_belastingdienst", 1, 3.0, 0.0), ("wonen", "lijst_belastingdienst", 1, 6.5, 250.0)]
    assert {x.period for x in lines} == {flow.clock.now().strftime("%Y-%m")}
    csv = accountability.costs_csv(lines)
    assert csv.splitlines()[0] == "periode;leefgebied;bron;zaken;uren;kosten_euro"
    assert "Wonen;Lijst van de Belastingdienst;1;6,50;250,00" in csv
    assert accountability.costs(flow.eng, start="2099-01") == []
    assert flow.verified()


def test_the_report_reads_recorded_facts_that_the_histories_rebuild_the_same(flow):
    """The facts are written with the events (no history is read for a report); rebuilt from the case
    logs they are the same, and the report follows the facts, not the logs."""
    from openpyxl import load_workbook

    to_uitvoering(flow, leefgebieden=("wonen", "financien"))
    flow.do("Task_HulpWonen", {"wonen_ingezette_hulp": ["afsluiting_uitzetting"], "wonen_resultaat": "opgelost",
                               "wonen_uren": 2, "wonen_kosten": 99.5})
    before = accountability.costs(flow.eng)
    sources = accountability.cases_by_source(flow.eng)
    assert [(x.leefgebied, x.hours, x.costs) for x in before] == [("wonen", 2.0, 99.5)]
    assert accountability.rebuild(flow.eng) == 2          # the case started, one specialist's task
    assert accountability.costs(flow.eng) == before and accountability.cases_by_source(flow.eng) == sources
    calls = []
    real = type(flow.eng).history
    type(flow.eng).history = lambda self, *a, **k: calls.append(a) or real(self, *a, **k)
    try:
        accountability.costs(flow.eng), accountability.overview(flow.eng)
    finally:
        type(flow.eng).history = real
    assert calls == []                                    # no case history replayed for a report
    sheet = load_workbook(io.BytesIO(accountability.costs_xlsx(before))).active
    assert [c.value for c in sheet[1]] == ["Periode", "Leefgebied", "Bron", "Zaken", "Uren", "Kosten (euro)"]
    assert [c.value for c in sheet[2]][1:] == ["Wonen", "Lijst van de Belastingdienst", 1, 2.0, 99.5]
    overview = accountability.overview(flow.eng)
    assert overview.per_leefgebied["wonen"] == (2.0, 99.5) and overview.per_leefgebied["gezin"] == (0.0, 0.0)


def test_cases_are_counted_by_source(flow):
    flow.start("hersteloperatie", START_OUTREACH)
    flow.start("loket", {"naam_inwoner": "Fictieve Inwoner", "in_beeld_via": "eigen_bezoek"})
    rows = {(p, label): (running, done) for p, label, running, done in accountability.cases_by_source(flow.eng)}
    assert rows[("hersteloperatie", "Eigen initiatief (outreach)")] == (1, 0)
    assert rows[("hersteloperatie", "Lijst van de Belastingdienst")] == (0, 0)
    assert rows[("loket", "Eigen bezoek")] == (1, 0)


def test_loket_topics_next_to_the_startscan_figures(flow):
    flow.start("loket", {"naam_inwoner": "Fictieve Inwoner", "in_beeld_via": "eigen_bezoek"})
    flow.do("Task_Vraagverheldering", {"onderwerpen": ["digid", "toeslagen"], "levensgebeurtenissen": ["scheiden"],
                                       "vraag_omschrijving": "Inloggen lukt niet"})
    topics = {t: (scan, count, own) for t, scan, count, own in accountability.loket_topics(flow.eng)}
    assert topics["digid"] == (29, 1, 50.0) and topics["toeslagen"] == (4, 1, 50.0)
    assert sum(scan for scan, _, _ in topics.values()) == 100
