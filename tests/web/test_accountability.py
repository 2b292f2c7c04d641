"""The coordinator's accountability page (/overzicht/verantwoording) and its CSV: coordinator only."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def herstel(engine):
    engine.deploy([ROOT / "processes", ROOT / "forms"])
    engine.start("hersteloperatie", {"naam_ouder": "Demo Ouder", "bron": "eigen_initiatief",
                                     "outreach_bron": "spreekuur"}, actor="coby")
    return engine


def test_coordinator_sees_sources_topics_and_costs(herstel, as_user):
    coby = as_user("coby")
    page = coby.get("/overzicht/verantwoording")
    assert page.status_code == 200
    shown = text(page)
    assert "Zaken per bron" in shown and "Eigen initiatief (outreach) 1 0" in shown
    assert "Tijd en kosten per leefgebied" in shown
    # Topics by the loket form's labels and percentages with a decimal comma (were 'digid 29% 0.0%').
    assert "Hulp bij DigiD 29% 0,0% 0" in shown and "digid" not in shown and "0.0%" not in shown
    csv = coby.get("/overzicht/verantwoording/kosten.csv?van=2026-01")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.text.splitlines()[0] == "periode;leefgebied;bron;zaken;uren;kosten_euro"
    assert "Verantwoording" in text(coby.get("/overzicht"))


@pytest.mark.parametrize("user", ["cas", "sam", "pim"])
def test_only_the_coordinator_sees_the_accountability_figures(herstel, as_user, user):
    browser = as_user(user)
    assert browser.get("/overzicht/verantwoording").status_code == 403
    assert browser.get("/overzicht/verantwoording/kosten.csv").status_code == 403


def test_the_overview_counts_cases_by_source_and_charts_costs_per_leefgebied(herstel, as_user):
    from io import BytesIO

    from openpyxl import load_workbook

    herstel.start("loket", {"naam_inwoner": "Demo Inwoner", "in_beeld_via": "eigen_bezoek"}, actor="coby")
    coby = as_user("coby")
    page = coby.get("/overzicht")
    shown = text(page)
    assert "Zaken per bron" in shown and "Eigen initiatief (outreach) 1 0" in shown and "Eigen bezoek 1 0" in shown
    assert "Kosten per leefgebied" in shown and "Wonen 0,00 0,0" in shown
    xlsx = coby.client.get("/overzicht/verantwoording/kosten.xlsx?van=2026-01")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert [c.value for c in load_workbook(BytesIO(xlsx.data)).active[1]][0] == "Periode"
    assert "Download als Excel" in text(coby.get("/overzicht/verantwoording"))
