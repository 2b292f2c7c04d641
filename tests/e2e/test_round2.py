"""Round 2 of the caseworker's experience in a real browser: the diagram (fits, zoom and pan, completed
steps and path, Dutch lanes), a mistyped date kept, the case list, small screens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shot

pytestmark = pytest.mark.browser


def _viewer(server):
    if not server.app.jinja_env.globals["HAS_VIEWER"]:
        pytest.skip("De diagramviewer is niet geïnstalleerd (make install).")


def test_the_diagram_fits_zooms_pans_and_shows_the_path_taken(server, login):
    _viewer(server)
    eng = server.engine
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    eng.complete(eng.tasks(case_id=case_id)[0].id, {"akkoord": True, "bedrag": 5}, actor="cas")
    page = login("cas")
    page.goto(f"{server.url}/zaken/{case_id}")
    expect(page.locator("#diagram.geladen")).to_be_visible()
    # fits its frame: the drawing's box lies inside the frame
    frame = page.locator("#diagram").bounding_box()
    drawing = page.locator("#diagram .djs-container svg .viewport").bounding_box()
    assert drawing["x"] >= frame["x"] - 1 and drawing["x"] + drawing["width"] <= frame["x"] + frame["width"] + 1
    assert drawing["y"] >= frame["y"] - 1 and drawing["y"] + drawing["height"] <= frame["y"] + frame["height"] + 1
    # completed steps and the path taken green, the current step orange
    expect(page.locator('[data-element-id="intake"]')).to_have_class(re.compile("regie-afgerond"))
    expect(page.locator('[data-element-id="gw"]')).to_have_class(re.compile("regie-afgerond"))
    expect(page.locator('[data-element-id="start"]')).to_have_class(re.compile("regie-afgerond"))
    expect(page.locator('[data-element-id="plan"]')).to_have_class(re.compile("regie-actief"))
    expect(page.locator('[data-element-id="end_afgewezen"]')).not_to_have_class(re.compile("regie-afgerond"))
    taken = page.locator(".djs-connection.regie-gevolgd")
    expect(taken).to_have_count(3)                                   # start→intake→gw→plan
    # zoom and pan buttons change the view
    transform = lambda: page.locator("#diagram .viewport").get_attribute("transform")  # noqa: E731
    before = transform()
    page.get_by_role("button", name="Inzoomen").click()
    zoomed = transform()
    assert zoomed != before
    page.get_by_role("button", name="Schuif naar links").click()
    assert transform() != zoomed
    page.get_by_role("button", name="Passend maken").click()
    assert transform() == before
    shot(page, "zaak-diagram")


DATE_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="https://regie.dev/tests">
  <bpmn:process id="geboorte" name="Geboortedatum (test)" isExecutable="true">
    <bpmn:startEvent id="start" camunda:formKey="geboorte"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="klaar"/>
    <bpmn:endEvent id="klaar"/>
  </bpmn:process>
</bpmn:definitions>
"""
DATE_FORM = """title: Nieuwe bewoner
fields:
  - {name: naam, label: Naam, type: text, required: true, subject: true}
  - {name: geboortedatum, label: Geboortedatum, type: date, required: true, latest: today}
"""


def test_a_mistyped_date_stays_and_every_error_shows_at_once(server, login, tmp_path):
    (tmp_path / "geboorte.bpmn").write_text(DATE_PROCESS)
    (tmp_path / "geboorte.yaml").write_text(DATE_FORM)
    server.engine.deploy([tmp_path / "geboorte.bpmn", tmp_path / "geboorte.yaml"])
    page = login("cas")
    page.goto(f"{server.url}/zaken/nieuw/geboorte")
    expect(page.get_by_text("Bijvoorbeeld 31-03-2026.")).to_be_visible()
    page.get_by_label("Geboortedatum").fill("31-02-1990")
    page.get_by_role("button", name="Zaak starten").click()
    summary = page.locator("#foutoverzicht")
    expect(summary).to_contain_text("Er zijn 2 fouten")
    expect(summary).to_contain_text("Naam: Vul dit veld in.")
    expect(summary).to_contain_text("Geboortedatum: Vul een datum in als dag-maand-jaar, bijvoorbeeld 31-03-2026.")
    expect(page.get_by_label("Geboortedatum")).to_have_value("31-02-1990")      # kept, not emptied
    page.get_by_label("Naam").fill("Demo Bewoner")
    page.get_by_label("Geboortedatum").fill("06-01-2026")                        # tomorrow on the test clock
    page.get_by_role("button", name="Zaak starten").click()
    expect(page.locator("#veld-geboortedatum-fout")).to_have_text(
        "Fout: Deze datum ligt in de toekomst. Vul een datum in tot en met vandaag.")
    page.get_by_label("Geboortedatum").fill("31-03-1990")
    page.get_by_role("button", name="Zaak starten").click()
    expect(page.locator(".melding-success")).to_have_text("De zaak is gestart.")
    expect(page.locator(".gegevens").first).to_contain_text("31-03-1990")        # shown the Dutch way


@pytest.mark.parametrize("path", ["/taken?weergave=team", "/zaken?weergave=team", "CASE", "TASK"])
def test_pages_fit_a_small_screen(server, login, path):
    eng = server.engine
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder met een heel lange naam 1"}, actor="cas")
    for i in range(3):
        eng.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas")
    task = eng.tasks(case_id=case_id)[0]
    page = login("cas", width=390)
    url = {"CASE": f"/zaken/{case_id}", "TASK": f"/taken/{task.id}"}.get(path, path)
    page.goto(server.url + url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{url} is {width} px breed op een scherm van 390 px"
