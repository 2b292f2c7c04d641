"""Data-subject requests (issue #14): the export of one resident holds every case of theirs and nothing of
anyone else; a rectification is an event (correction, who, why) that replay and verify follow."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.errors import InvalidData, PrivacyError
from engine.privacy import subjects
from tests.conftest import MODELS

NAME = "Zwaantje Quispel"


def _case(engine, name, amount=100, reason="Geen tijd", birth=None):
    case_id = engine.start("aanvraag", {"naam": name}, actor="anna")
    task = engine.tasks(case_id=case_id)[0]
    engine.complete(task.id, {"akkoord": False, "bedrag": amount, "reden": reason}, actor="anna")
    return case_id


def test_export_has_every_case_of_the_resident_and_nothing_of_others(engine):
    engine.deploy([MODELS])
    mine = [_case(engine, NAME, 111.5, "Eerste reden"), _case(engine, " zwaantje  quispel ", 222.5, "Tweede reden")]
    other = _case(engine, "Berend Botje", 999.5, "Andermans reden")
    namesake = _case(engine, "Zwaantje Quispelaar", 333.5, "Bijna dezelfde naam")
    data = subjects.export(engine, "coby", NAME)
    assert [c["id"] for c in data["zaken"]] == mine
    text = json.dumps(data, ensure_ascii=False)
    for foreign in ("Berend", "999.5", "Andermans", "Quispelaar", "333.5", other, namesake):
        assert foreign not in text
    first = data["zaken"][0]
    assert {"veld": "naam", "label": "Naam van de bewoner", "soort": "free_text", "waarde": NAME,
            "tekst": NAME} in first["gegevens"]
    assert any(s.get("gegevens") and {"veld": "reden", "label": "Waarom niet?", "soort": "free_text",
                                      "waarde": "Eerste reden", "tekst": "Eerste reden"} in s["gegevens"]
               for s in first["verloop"])
    # The stored value stays in 'waarde'; 'tekst' is how the form shows it (Dutch number, ja/nee, option label).
    amount = next(v for v in first["gegevens"] if v["veld"] == "bedrag")
    assert (amount["waarde"], amount["tekst"]) == (111.5, "111,50")
    page = subjects.to_html(data)
    assert "<td>111,50</td>" in page and "111.5" not in page
    assert "Wat de gemeente over Zwaantje Quispel bewaart" in page and "Eerste reden" in page and "Tweede reden" in page
    assert "Berend" not in page
    logged = engine.access_log(actor="coby", limit=None)
    assert sorted(a.case_id for a in logged) == sorted(mine) and {a.page for a in logged} == {"privacy-inzage"}


def test_a_birth_date_leaves_out_a_namesake_with_another_one(sqlite_engine, tmp_path):
    sqlite_engine.deploy([MODELS])
    mine = _case(sqlite_engine, NAME)
    assert subjects.find(sqlite_engine, NAME, "1984-03-31") == [mine]     # the case records no birth date
    with pytest.raises(PrivacyError, match="jaar-maand-dag"):
        subjects.find(sqlite_engine, NAME, "31-03-1984")
    with pytest.raises(PrivacyError, match="naam van de inwoner"):
        subjects.export(sqlite_engine, "coby", "  ")


def test_rectification_is_an_event_that_verify_and_replay_follow(engine):
    engine.deploy([MODELS])
    case_id = _case(engine, "Zwaantje Quisple", 100, "Verkeerd gespeld")
    subjects.rectify(engine, case_id, "naam", NAME, "Naam verkeerd gespeld bij de aanmelding", "coby")
    state = engine.state(case_id)
    assert state.data["naam"] == NAME and state.subject == NAME and state.status == "completed"
    last = engine.history(case_id)[-1]
    assert (last.type, last.actor) == ("data_rectified", "coby")
    assert last.payload == {"field": "naam", "correction": {"naam": NAME},
                            "reason": "Naam verkeerd gespeld bij de aanmelding"}
    assert [e.type for e in engine.history(case_id)].count("case_completed") == 1
    assert engine.verify(case_id), str(engine.verify(case_id))
    assert engine.replay(case_id).workflow.data["naam"] == NAME
    subjects.rectify(engine, case_id, "bedrag", "150,25", "Bedrag van de schuldeiser klopte niet", "coby")
    assert engine.state(case_id).data["bedrag"] == 150.25
    assert engine.verify(case_id)
    exported = subjects.export(engine, "coby", NAME)["zaken"][0]["verloop"]
    assert exported[-1]["correctie"][0]["waarde"] == 150.25 and "klopte niet" in exported[-1]["reden"]


def test_a_bad_rectification_says_what_to_do_and_writes_nothing(sqlite_engine):
    sqlite_engine.deploy([MODELS])
    case_id = _case(sqlite_engine, NAME)
    events = len(sqlite_engine.history(case_id))
    with pytest.raises(PrivacyError, match="minstens 5 tekens"):
        subjects.rectify(sqlite_engine, case_id, "naam", "X", "", "coby")
    with pytest.raises(PrivacyError, match="Kies uit: akkoord, bedrag, naam, reden"):
        subjects.rectify(sqlite_engine, case_id, "adres", "X", "Verhuisd naar elders", "coby")
    with pytest.raises(InvalidData) as err:
        subjects.rectify(sqlite_engine, case_id, "bedrag", "veel", "Bedrag klopte niet", "coby")
    assert err.value.by_field() == {"bedrag": "Vul een getal in, bijvoorbeeld 12 of 12,50."}
    assert len(sqlite_engine.history(case_id)) == events


def test_cli_export_and_rectify(sqlite_engine, monkeypatch, tmp_path):
    from engine.cli import main

    sqlite_engine.deploy([MODELS])
    case_id = _case(sqlite_engine, NAME)
    number = sqlite_engine.state(case_id).number
    monkeypatch.setenv("REGIE_DATABASE_URL", str(sqlite_engine.store.url))
    runner = CliRunner()
    out = runner.invoke(main, ["privacy", "export", NAME, "--as", "coby"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["zaken"][0]["zaak"] == number
    page = tmp_path / "inzage.html"
    out = runner.invoke(main, ["privacy", "export", NAME, "--as", "coby", "--html", str(page)])
    assert out.exit_code == 0, out.output
    assert NAME in page.read_text(encoding="utf-8")
    out = runner.invoke(main, ["privacy", "correct", number, "naam", "Zwaantje Q.", "--reden", "Zo wil zij heten",
                               "--as", "coby"])
    assert out.exit_code == 0, out.output
    assert sqlite_engine.state(case_id).subject == "Zwaantje Q."
    out = runner.invoke(main, ["privacy", "correct", number, "naam", "X", "--reden", "", "--as", "coby"])
    assert out.exit_code == 1 and "minstens 5 tekens" in out.output
