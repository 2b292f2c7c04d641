"""The Belastingdienst list over the REST API (POST /api/v1/lists, scope lists:import): the same report as
the CLI and the coordinator's page, line numbers for rejected rows, importing again adds nothing."""

from __future__ import annotations

import base64

import pytest

from .test_list_import import CSV, ROOT


@pytest.fixture
def call(app, engine):
    engine.deploy([ROOT / "processes", ROOT / "forms"])
    _, key = engine.api_clients.create("toeslagen", ["lists:import"], actor="admin")
    client = app.test_client()

    def do(body, key=key):
        return client.post("/api/v1/lists", json=body, headers={"Authorization": f"Bearer {key}"})

    return do


def body(content=CSV, **extra):
    return {"filename": "lijst.csv", "content_base64": base64.b64encode(content).decode(), "list_date": "2026-01-02",
            **extra}


def test_a_list_imports_once_with_a_report(call, engine):
    dry = call(body(dry_run=True))
    assert dry.status_code == 200 and dry.get_json()["proef"] is True and len(dry.get_json()["nieuw"]) == 2
    assert engine.cases(process_id="hersteloperatie") == []
    first = call(body()).get_json()
    assert first["regels"] == 3 and [r["regel"] for r in first["nieuw"]] == [2, 4]
    assert [r["regel"] for r in first["afgewezen"]] == [3] and "geboortedatum" in first["afgewezen"][0]["reden"]
    again = call(body()).get_json()
    assert again["nieuw"] == [] and [r["regel"] for r in again["bekend"]] == [2, 4]
    cases = engine.cases(process_id="hersteloperatie")
    assert sorted(c.subject for c in cases) == ["Demo Ouder A", "Demo Ouder C"]
    assert {engine.history(c.id)[0].actor for c in cases} == {"api:toeslagen"}


def test_bad_files_are_refused_with_a_message_and_start_nothing(call, engine):
    bad = call({**body(), "content_base64": "niet base64!"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "content_base64"
    pdf = call(body(b"%PDF-1.4", filename="lijst.pdf"))
    assert pdf.status_code == 422 and pdf.get_json()["errors"][0]["field"] == "filename"
    unreadable = call(body(b"iets;anders\n1;2\n"))
    assert unreadable.status_code == 400 and "'naam' en 'geboortedatum'" in unreadable.get_json()["detail"]
    assert engine.cases(process_id="hersteloperatie") == []


def test_the_scope_is_needed(call, engine):
    _, key = engine.api_clients.create("lezer", ["cases:read"], actor="admin")
    refused = call(body(), key=key)
    assert refused.status_code == 403 and "lists:import" in refused.get_json()["detail"]
