"""Audit bundles: built from the store, checked without it; a one-byte change is located."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from engine.audit import anchors, bundle
from tests.conftest import MODELS


@pytest.fixture
def made(sqlite_engine, tmp_path):
    eng = sqlite_engine
    eng.deploy([MODELS])
    case_id = eng.start("aanvraag", {"naam": "Fictieve Bewoner"}, actor="anna")
    eng.complete(eng.tasks(case_id=case_id)[0].id, {"akkoord": True, "bedrag": 5}, actor="anna")
    eng.claim(eng.tasks(case_id=case_id)[0].id, "sam")
    key_path = tmp_path / "k.pem"
    anchors.generate_key(key_path)
    key = anchors.load_private(key_path)
    eng.anchor(key, tmp_path / "anchors.jsonl")
    data = bundle.build(eng, case_id, tmp_path / "anchors.jsonl")
    return case_id, data, key.public_key()


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
    return out.getvalue()


def test_a_bundle_has_events_models_state_verification_and_anchor(made):
    case_id, data, public = made
    files = _files(data)
    assert {"events.jsonl", "case.json", "verification.json", "anchor.json", "SHA256SUMS", "README.txt"} <= set(files)
    assert any(p.endswith("/bpmn/aanvraag.bpmn") for p in files) and any(p.endswith("/bundle.json") for p in files)
    assert len(files["events.jsonl"].splitlines()) == 4
    assert json.loads(files["verification.json"])["ok"] is True
    report = bundle.check(data, public)
    assert report, str(report)
    assert str(report) == f"Bundel van zaak {case_id} klopt: 4 events, model, toestand en het ondertekende anker."


def test_a_one_byte_change_in_an_event_is_located(made):
    _, data, public = made
    files = _files(data)
    files["events.jsonl"] = files["events.jsonl"].replace(b'\\"title\\":\\"Intake doen', b'\\"title\\":\\"Intake Doen')
    problems = bundle.check(_zip(files), public).problems
    assert "bestand events.jsonl: de SHA-256 wijkt af van SHA256SUMS (gewijzigd na het maken)" in problems
    assert "bestand events.jsonl, regel 2: de inhoud is gewijzigd na het opslaan (hash klopt niet)" in problems


def test_a_changed_sealed_value_is_located(made):
    """The personal values are sealed with the case key (in case.json); a changed byte of the ciphertext
    breaks the hash, and the key no longer opens it."""
    import re

    _, data, public = made
    files = _files(data)
    line = files["events.jsonl"].splitlines()[1]
    sealed = re.search(rb'sealed\\":\\"v1:([A-Za-z0-9+/]{8})', line).group(1)
    files["events.jsonl"] = files["events.jsonl"].replace(sealed, sealed[::-1], 1)
    problems = bundle.check(_zip(files), public).problems
    assert "bestand events.jsonl, regel 2: de inhoud is gewijzigd na het opslaan (hash klopt niet)" in problems
    assert any("regel 2: Event 2" in p and "niet te ontsleutelen" in p for p in problems), problems


def test_a_one_byte_change_in_the_stored_state_is_located(made):
    case_id, data, public = made
    files = _files(data)
    files["case.json"] = files["case.json"].replace(b'"assignee": "sam"', b'"assignee": "sal"')
    problems = bundle.check(_zip(files), public).problems
    assert any(p.startswith(f"bestand case.json: zaak {case_id}, tabel tasks, kolom assignee, event 4:") for p in problems)


def test_a_one_byte_change_in_the_model_is_located(made):
    _, data, public = made
    files = _files(data)
    path = next(p for p in files if p.endswith("/bundle.json"))
    files[path] = files[path].replace(b"bedrag &lt; 1000", b"bedrag &lt; 9000")
    problems = bundle.check(_zip(files), public).problems
    assert any("de modelbestanden van versie" in p for p in problems)


def test_a_damaged_zip_member_is_named(made):
    _, data, public = made
    raw = bytearray(data)
    start = raw.index(b"events.jsonl") + len("events.jsonl")    # inside the first local header's data
    raw[start + 20] ^= 0x01
    report = bundle.check(bytes(raw), public)
    assert not report and any("events.jsonl" in p for p in report.problems)


def test_a_rewritten_history_is_caught_by_the_anchor_in_the_bundle(made):
    _, data, public = made
    files = _files(data)
    anchor = json.loads(files["anchor.json"])
    anchor["head"] = anchor["head"]
    line = json.loads(anchor["line"])
    line["heads"] = {k: [v[0], "f" * 64] for k, v in line["heads"].items()}
    anchor["line"] = json.dumps(line, sort_keys=True, separators=(",", ":"))
    files["anchor.json"] = json.dumps(anchor).encode()
    problems = bundle.check(_zip(files), public).problems
    assert "bestand anchor.json: de handtekening klopt niet met de publieke sleutel" in problems
    assert any("de hash wijkt af van het anker" in p for p in problems)
