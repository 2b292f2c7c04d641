"""The ``file`` form field (issue #18): files sent with a task form, checked, stored with the completion."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.dialects.forms import form_from_camunda_form
from engine.errors import InvalidData
from engine.store.models import CaseFileRow
from engine.uploads import Upload, check, max_bytes, safe_name, sniff

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="https://regie.dev/tests">
<bpmn:process id="bijlage" isExecutable="true">
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>
<bpmn:userTask id="t1" name="Bewijs toevoegen" camunda:candidateGroups="casemanager">
<bpmn:extensionElements><camunda:formData>
<camunda:formField id="bewijs" label="Bewijsstuk" type="{kind}"><camunda:validation>
<camunda:constraint name="required"/></camunda:validation></camunda:formField>
<camunda:formField id="toelichting" label="Toelichting" type="string"/>
</camunda:formData></bpmn:extensionElements></bpmn:userTask>
<bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="t2"/>
<bpmn:userTask id="t2" name="Beoordelen" camunda:candidateGroups="casemanager"/>
<bpmn:sequenceFlow id="f3" sourceRef="t2" targetRef="e"/><bpmn:endEvent id="e"/>
</bpmn:process></bpmn:definitions>
"""


def deploy(engine, tmp_path: Path, kind: str = "file"):
    folder = tmp_path / "model"
    folder.mkdir(exist_ok=True)
    (folder / "bijlage.bpmn").write_text(MODEL.replace("{kind}", kind), encoding="utf-8")
    engine.deploy([folder])
    case_id = engine.start("bijlage", {})
    [task] = engine.tasks(case_id=case_id)
    return case_id, task


def files_in(engine) -> int:
    with engine.store.read() as tx:
        return tx.session.scalar(select(func.count()).select_from(CaseFileRow))


@pytest.mark.parametrize("kind", ["file", "FileUpload"])
def test_a_camunda_form_with_a_file_field_deploys_as_a_file_field(sqlite_engine, tmp_path, kind):
    _, task = deploy(sqlite_engine, tmp_path, kind)
    assert [(f.name, f.type) for f in sqlite_engine.form(task.id).fields] == [("bewijs", "file"), ("toelichting", "text")]


def test_a_zeebe_filepicker_is_a_file_field_and_several_files_are_refused():
    form, refused = form_from_camunda_form("f", {"components": [
        {"type": "filepicker", "key": "bewijs", "label": "Bewijs"},
        {"type": "filepicker", "key": "bijlagen", "label": "Bijlagen", "multiple": True}]}, "Taak")
    assert [(f.name, f.type) for f in form.fields] == [("bewijs", "file")]
    assert refused == ["het formulierveld 'bijlagen' vraagt om meerdere bestanden; Regie neemt één bestand per veld."]


def test_an_upload_is_stored_with_the_completion_and_the_case_holds_a_reference(engine, tmp_path):
    case_id, task = deploy(engine, tmp_path)
    engine.complete(task.id, {"toelichting": "loonstrook"}, actor="cas",
                    files={"bewijs": Upload("C:\\scans\\loon strook.PDF", PDF)})
    reference = engine.state(case_id).data["bewijs"]
    assert reference == {"id": reference["id"], "name": "loon strook.pdf", "size": len(PDF),
                         "type": "application/pdf", "sha256": hashlib.sha256(PDF).hexdigest()}
    completed = [e for e in engine.history(case_id) if e.type == "task_completed"][0]
    assert "%PDF" not in str(completed.payload)           # the log holds the reference, not the bytes
    _, access, found = engine.case_file(case_id, reference["id"], "cas", ["casemanager"])
    assert access is not None and found.content == PDF and found.media_type == "application/pdf"
    _, _, other = engine.case_file(case_id, "geen-bestand", "cas", ["casemanager"])
    assert other is None


@pytest.mark.parametrize(("content", "message"), [
    (b"<html><script>alert(1)</script></html>", "Dit soort bestand kan niet. Stuur een PDF, een PNG of een JPG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "Dit soort bestand kan niet."),
    (b"MZ\x90\x00" + b"\x00" * 60, "Dit soort bestand kan niet."),
    (b"%PDF-" + b"x" * 2048, "Dit bestand is te groot. Een bestand mag hoogstens 0,001 MB zijn."),
], ids=["html", "svg", "exe", "te-groot"])
def test_a_wrong_or_too_large_file_is_refused_and_nothing_is_written(engine, tmp_path, monkeypatch, content, message):
    monkeypatch.setenv("REGIE_UPLOAD_MAX_MB", "0.001")
    case_id, task = deploy(engine, tmp_path)
    with pytest.raises(InvalidData) as refused:
        engine.complete(task.id, {}, actor="cas", files={"bewijs": Upload("bewijs.pdf", content)})
    assert refused.value.by_field()["bewijs"].startswith(message)
    assert files_in(engine) == 0
    assert [t.id for t in engine.tasks(case_id=case_id)] == [task.id]
    assert "bewijs" not in engine.state(case_id).data


def test_a_reference_typed_into_the_data_is_refused(sqlite_engine, tmp_path):
    """Without the guard, data over the API could point a file field at another case's file."""
    case_id, task = deploy(sqlite_engine, tmp_path)
    forged = {"id": "elders", "name": "x.pdf", "size": 3, "type": "application/pdf", "sha256": "0" * 64}
    with pytest.raises(InvalidData) as refused:
        sqlite_engine.complete(task.id, {"bewijs": forged}, actor="cas")
    assert refused.value.by_field() == {"bewijs": "Stuur het bestand zelf mee met het formulier."}
    assert [t.id for t in sqlite_engine.tasks(case_id=case_id)] == [task.id]


def test_a_file_for_a_field_that_is_no_file_field_is_refused(sqlite_engine, tmp_path):
    _, task = deploy(sqlite_engine, tmp_path)
    with pytest.raises(InvalidData):
        sqlite_engine.complete(task.id, {}, actor="cas", files={"bewijs": Upload("a.pdf", PDF),
                                                                "toelichting": Upload("b.pdf", PDF)})
    assert files_in(sqlite_engine) == 0


def test_the_type_comes_from_the_content_and_the_name_is_made_safe():
    assert [sniff(PDF), sniff(PNG), sniff(JPEG), sniff(b"GIF89a")] == ["application/pdf", "image/png", "image/jpeg", None]
    assert safe_name('../../etc/"evil"\r\n.html', "image/png") == "evil.png"
    assert safe_name("", "application/pdf") == "bestand.pdf"
    ids = iter(["a"])
    [stored] = check({"f": Upload("foto.jpeg", JPEG)}, lambda: next(ids), limit=1000)
    assert (stored.name, stored.media_type) == ("foto.jpg", "image/jpeg")


def test_the_size_limit_is_ten_megabytes_unless_configured(monkeypatch):
    monkeypatch.delenv("REGIE_UPLOAD_MAX_MB", raising=False)
    assert max_bytes() == 10_000_000
    monkeypatch.setenv("REGIE_UPLOAD_MAX_MB", "2")
    assert max_bytes() == 2_000_000


def test_retention_deletes_the_files_of_an_expired_case(engine, tmp_path, clock, monkeypatch):
    """Without this, a resident's documents would outlive the retention period of their case."""
    from engine.privacy import retention

    settings = tmp_path / "privacy.yaml"
    settings.write_text("processes:\n  bijlage: {purpose: Hulp, legal_basis: Wettelijke taak, retention: {days: 30}}\n")
    monkeypatch.setenv("REGIE_PRIVACY_CONFIG", str(settings))
    case_id, task = deploy(engine, tmp_path)
    engine.complete(task.id, {}, actor="cas", files={"bewijs": Upload("scan.png", PNG)})
    engine.complete(engine.tasks(case_id=case_id)[0].id, {}, actor="cas")
    assert engine.state(case_id).status == "completed" and files_in(engine) == 1
    clock.advance(days=31)
    assert [c.case_id for c in retention.run(engine, "fg").removed] == [case_id]
    assert files_in(engine) == 0


def test_a_file_reference_reads_as_its_name_type_and_size():
    from engine.labels import readable

    assert readable({"id": "x", "name": "loonstrook.pdf", "size": 34_500, "type": "application/pdf",
                     "sha256": "0" * 64}) == "loonstrook.pdf (PDF, 34 kB)"
