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


def upload(browser, content=CSV, name="lijst.csv", headers=None, **extra):
    browser.get("/overzicht/lijst")
    return browser.post("/overzicht/lijst", {"bestand": (io.BytesIO(content), name), "datum": "2026-01-02", **extra},
                        content_type="multipart/form-data", headers=headers or {})


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


def progress_lines(response) -> list[dict]:
    import json

    assert response.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines() if line.strip()]


def test_with_javascript_the_page_streams_progress_then_the_report(herstel, as_user):
    """The progress bar's source: JSON lines with how far the import is, then the report's HTML."""
    from tests.processes.test_list_import import list_file

    coby = as_user("coby")
    page = coby.get("/overzicht/lijst").text
    assert 'id="lijst-voortgang-balk"' in page and 'role="status"' in page and "list-import.js" in page
    response = upload(coby, content=list_file(120), headers={"X-Regie-Voortgang": "1"})
    assert response.status_code == 200
    lines = progress_lines(response)
    steps = [line for line in lines if "klaar" in line]
    assert len(steps) > 10 and steps[-1]["klaar"] == steps[-1]["totaal"] == 118      # 120 rows, 2 rejected
    assert [s["klaar"] for s in steps] == sorted(s["klaar"] for s in steps)
    assert '<h2 id="kop-verslag" tabindex="-1">Verslag' in lines[-1]["html"]
    assert "118</span> nieuwe ouders" in lines[-1]["html"]
    assert len(herstel.cases(process_id="hersteloperatie", limit=500)) == 118
    again = progress_lines(upload(coby, content=list_file(120), headers={"X-Regie-Voortgang": "1"}))
    assert "118</span> al bekend" in again[-1]["html"]


def test_a_streamed_import_that_fails_says_nothing_was_imported(herstel, as_user, monkeypatch):
    from engine.errors import ConflictError
    from tests.processes.test_list_import import list_file

    real = type(herstel)._start
    calls = []

    def failing(self, *args):
        calls.append(1)
        if len(calls) == 50:
            raise ConflictError("De database is even bezet.")
        return real(self, *args)

    monkeypatch.setattr(type(herstel), "_start", failing)
    lines = progress_lines(upload(as_user("coby"), content=list_file(120), headers={"X-Regie-Voortgang": "1"}))
    assert "er is geen enkele zaak gestart" in lines[-1]["fout"]
    assert herstel.cases(process_id="hersteloperatie", limit=500) == []
    refused = upload(as_user("coby"), content=b"%PDF", name="lijst.pdf", headers={"X-Regie-Voortgang": "1"})
    assert refused.status_code == 400 and "CSV-bestand" in progress_lines(refused)[0]["fout"]
