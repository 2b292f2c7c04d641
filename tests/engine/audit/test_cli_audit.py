"""``regie replay``, ``regie audit keygen/anchor/verify-anchors/bundle/check/export`` and ``regie verify``."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import Engine
from engine.cli import main
from tests.conftest import MODELS


@pytest.fixture
def regie(tmp_path, monkeypatch):
    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args, code=0):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run


@pytest.fixture
def case(regie):
    regie("deploy", MODELS)
    case_id = regie("start", "aanvraag", "--data", '{"naam": "Fictieve Bewoner"}', "--as", "anna").strip()
    task = json.loads(regie("tasks", "--case", case_id, "--json"))[0]
    regie("complete", task["id"], "--data", '{"akkoord": true, "bedrag": 10}', "--as", "anna")
    return case_id


def test_replay_to_an_event(regie, case):
    out = regie("replay", case, "--to", 1, "--as", "anna")
    assert "na event 1 van 3 (case_started" in out and "staat bij: intake" in out and "genomen pijlen: f1" in out
    assert json.loads(regie("replay", case, "--json", "--as", "anna"))["active"] == ["plan"]


def test_replay_against_a_changed_model_names_the_first_divergence(regie, case, tmp_path):
    changed = tmp_path / "gewijzigd"
    changed.mkdir()
    text = (MODELS / "aanvraag.bpmn").read_text()
    # the completed task 'intake' is no longer in the model
    text = text.replace('<bpmn:userTask id="intake" name="Intake doen" camunda:formKey="intake" camunda:dueDate="P2D"/>',
                        '<bpmn:userTask id="intake_nieuw" name="Intake" camunda:formKey="intake"/>')
    text = text.replace('targetRef="intake"', 'targetRef="intake_nieuw"').replace('sourceRef="intake"', 'sourceRef="intake_nieuw"')
    text = text.replace("<bpmn:flowNodeRef>intake</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>intake_nieuw</bpmn:flowNodeRef>")
    (changed / "aanvraag.bpmn").write_text(text)
    out = regie("replay", case, "--model", changed / "aanvraag.bpmn", "--as", "anna", code=1)
    assert out.startswith("Eerste afwijking bij event 2 (task_completed, intake): De taak 'Intake doen' (intake) bestaat niet")
    same = regie("replay", case, "--model", MODELS / "aanvraag.bpmn", "--as", "anna")
    assert same.startswith("Geen afwijking: 2 stap(pen)")


def test_keygen_anchor_verify_and_bundle_check(regie, case, tmp_path):
    out = regie("audit", "keygen", tmp_path / "k.pem")
    public = out.split("accountant): ")[1].strip()
    assert "anchors.jsonl: 1 zaak/zaken" in regie("audit", "anchor", "--key", tmp_path / "k.pem")
    assert "kloppen met de database" in regie("audit", "verify-anchors", "--public-key", public)
    assert "alles klopt" in regie("verify", "--anchors", "instance/anchors.jsonl", "--public-key", public)
    out = regie("audit", "bundle", case, "--out", tmp_path / "b.zip", "--as", "anna")
    assert "Auditbundel geschreven" in out
    assert "klopt: 3 events" in regie("audit", "check", tmp_path / "b.zip", "--public-key", public)
    data = bytearray((tmp_path / "b.zip").read_bytes())
    data[-200] ^= 0x01
    (tmp_path / "kapot.zip").write_bytes(bytes(data))
    regie("audit", "check", tmp_path / "kapot.zip", code=1)


def test_verify_all_as_json(regie, case):
    report = json.loads(regie("verify", "--json"))
    assert report["ok"] is True and report["cases"] == 1 and report["findings"] == []


def test_export_a_period_as_csv(regie, case, tmp_path):
    out = regie("audit", "export", "--from", "2020-01-01", "--to", "2099-12-31", "--out", tmp_path / "e.csv",
                "--as", "ada")
    assert "3 events" in out
    with Path(tmp_path / "e.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    watermark = rows.pop()       # the last line names who exported and when, as the web's export does (AVG)
    assert watermark["zaaknummer"].startswith("Geëxporteerd door ada op ") and "Vertrouwelijk" in watermark["zaaknummer"]
    logged = Engine.from_url(os.environ["REGIE_DATABASE_URL"]).access_log(actor="ada")
    assert [(e.page, e.case_id) for e in logged] == [("export", None)]
    assert [r["type"] for r in rows] == ["case_started", "task_completed", "gateway_decision"]
    assert rows[0]["zaak_id"] == case and rows[1]["taak"] == "Intake doen"
