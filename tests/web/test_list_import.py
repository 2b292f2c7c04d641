"""The coordinator's page for the Belastingdienst list (/overzicht/lijst): upload, report, refused for others."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from .conftest import text

ROOT = Path(__file__).resolve().parents[2]
CSV = (b"Naam;Geboortedatum;Adres;Postcode;Woonplaats;Telefoon\n"
       b"Demo Ouder A;01-02-1980;Demoweg 1;1234 AB;Demodorp;06 1234 5678\n"
       b"Demo Ouder B;;Demoweg 2;1234 AB;Demodorp;\n"
       b"Demo Ouder C;03-04-1981;Demoweg 3;1234 AB;Demodorp;\n")


@pytest.fixture
def herstel(engine):
    engine.deploy([ROOT / "processes", ROOT / "forms"])
    return engine


def upload(browser, content=CSV, name="lijst.csv", **extra):
    browser.get("/overzicht/lijst")
    return browser.post("/overzicht/lijst", {"bestand": (io.BytesIO(content), name), "datum": "2026-01-02", **extra},
                        content_type="multipart/form-data")


def test_coordinator_imports_a_list_and_sees_the_report(herstel, as_user):
    coco = as_user("coby")
    page = coco.get("/overzicht/lijst")
    assert page.status_code == 200 and "Lijst van de Belastingdienst inlezen" in text(page)
    first = upload(coco)
    assert first.status_code == 200
    assert "2 nieuwe ouders" in text(first) and "1 afgewezen" in text(first)
    assert "3 geboortedatum" in text(first)       # line 3 of the file, and what is wrong with it
    again = upload(coco)
    assert "0 nieuwe ouders" in text(again) and "2 al bekend" in text(again)
    cases = herstel.cases(process_id="hersteloperatie")
    assert sorted(c.subject for c in cases) == ["Demo Ouder A", "Demo Ouder C"]
    assert {c.data["lijst_datum"] for c in cases} == {"2026-01-02"}


def test_a_dry_run_on_the_page_adds_nothing(herstel, as_user):
    response = upload(as_user("coby"), proef="1")
    assert "alleen gecontroleerd" in text(response) and "2 nieuwe ouders" in text(response)
    assert herstel.cases(process_id="hersteloperatie") == []


def test_a_file_regie_cannot_read_is_refused_with_a_message(herstel, as_user):
    response = upload(as_user("coby"), content=b"%PDF", name="lijst.pdf")
    assert response.status_code == 400
    assert "CSV-bestand of een Excel-bestand" in text(response)
    assert herstel.cases(process_id="hersteloperatie") == []


@pytest.mark.parametrize("user", ["cas", "sam", "pim"])
def test_only_the_coordinator_may_import_a_list(herstel, as_user, user):
    browser = as_user(user)
    assert browser.get("/overzicht/lijst").status_code == 403
    assert upload(browser).status_code == 403
    assert herstel.cases(process_id="hersteloperatie") == []
