"""Uploading a file with a task form and downloading it (issue #18): the case team only, as an attachment,
every download in the access log."""

from __future__ import annotations

import io

import pytest

from tests.engine.test_uploads import MODEL, PDF

from .conftest import field_error


@pytest.fixture
def task(engine, tmp_path):
    (tmp_path / "bijlage.bpmn").write_text(MODEL.replace("{kind}", "file"), encoding="utf-8")
    engine.deploy([tmp_path])
    case_id = engine.start("bijlage", {}, actor="cas")
    return engine.tasks(case_id=case_id)[0]


def send(browser, task, content: bytes, name: str = "loonstrook.pdf"):
    browser.get(f"/taken/{task.id}")
    return browser.post(f"/taken/{task.id}", {"actie": "afronden", "toelichting": "zie bijlage",
                                              "bewijs": (io.BytesIO(content), name)},
                        content_type="multipart/form-data")


def test_the_task_form_offers_a_file_field_and_sends_multipart(as_user, task):
    page = as_user("cas").get(f"/taken/{task.id}")
    assert 'enctype="multipart/form-data"' in page.text
    assert 'type="file"' in page.text and 'name="bewijs"' in page.text


def test_the_case_team_uploads_and_downloads_as_an_attachment_and_the_download_is_logged(as_user, engine, task):
    cas = as_user("cas")
    done = send(cas, task, PDF)
    assert done.status_code == 302, done.text
    reference = engine.state(task.case_id).data["bewijs"]
    before = len(engine.access_log(case_id=task.case_id))
    got = cas.get(f"/zaken/{task.case_id}/bestanden/{reference['id']}")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith('attachment; filename="loonstrook.pdf"')
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    log = engine.access_log(case_id=task.case_id)
    assert len(log) == before + 1 and log[0].actor == "cas" and log[0].page == f"bestand {reference['id']}"


def test_an_outsider_gets_403_and_nothing_of_the_file(as_user, engine, task):
    send(as_user("cas"), task, PDF)
    reference = engine.state(task.case_id).data["bewijs"]
    refused = as_user("sam").get(f"/zaken/{task.case_id}/bestanden/{reference['id']}")
    assert refused.status_code == 403 and PDF not in refused.data
    assert [e for e in engine.access_log(case_id=task.case_id) if e.actor == "sam"] == []


def test_a_wrong_file_is_refused_on_the_form_and_nothing_is_written(as_user, engine, task):
    refused = send(as_user("cas"), task, b"<svg onload=alert(1)>", name="plaatje.pdf")
    assert refused.status_code == 422
    assert field_error(refused, "bewijs").startswith("Dit soort bestand kan niet. Stuur een PDF, een PNG of een JPG")
    assert [t.id for t in engine.tasks(case_id=task.case_id)] == [task.id]
    assert "bewijs" not in engine.state(task.case_id).data


def test_a_missing_required_file_is_named(as_user, task):
    cas = as_user("cas")
    cas.get(f"/taken/{task.id}")
    refused = cas.post(f"/taken/{task.id}", {"actie": "afronden"}, content_type="multipart/form-data")
    assert refused.status_code == 422 and field_error(refused, "bewijs") == "Vul dit veld in."


def test_a_file_larger_than_the_limit_is_refused_with_the_limit(as_user, engine, task, monkeypatch):
    monkeypatch.setenv("REGIE_UPLOAD_MAX_MB", "0.01")
    refused = send(as_user("cas"), task, PDF + b"x" * 20_000)
    assert refused.status_code == 422
    assert field_error(refused, "bewijs").startswith("Dit bestand is te groot. Een bestand mag hoogstens 0,01 MB zijn.")
    assert "bewijs" not in engine.state(task.case_id).data


def test_the_case_page_links_to_the_download(as_user, engine, task):
    cas = as_user("cas")
    send(cas, task, PDF)
    reference = engine.state(task.case_id).data["bewijs"]
    page = cas.get(f"/zaken/{task.case_id}")
    assert f'href="/zaken/{task.case_id}/bestanden/{reference["id"]}" download>loonstrook.pdf (PDF, 1 kB)</a>' in page.text


def test_a_post_beyond_what_the_server_takes_gets_a_dutch_page_and_nothing_is_written(as_user, engine, task, monkeypatch):
    monkeypatch.setenv("REGIE_UPLOAD_MAX_MB", "0.001")       # room: 4 x 1 kB + the usual 2 MB of form text
    cas = as_user("cas")
    cas.get(f"/taken/{task.id}")
    # a body of bytes (the test client would spool a file part to a temporary file it leaves open on a 413)
    body = (b'--grens\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + cas.token.encode()
            + b'\r\n--grens\r\nContent-Disposition: form-data; name="bewijs"; filename="groot.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n" + PDF + b"x" * 2_200_000 + b"\r\n--grens--\r\n")
    refused = cas.client.post(f"/taken/{task.id}", data=body, content_type="multipart/form-data; boundary=grens")
    assert refused.status_code == 413
    assert "Een bestand mag hoogstens 0,001 MB zijn" in refused.text and "Er is niets opgeslagen" in refused.text
    assert [t.id for t in engine.tasks(case_id=task.case_id)] == [task.id]


def test_an_integrator_sends_a_file_over_the_api_and_reads_it_back(app, engine, task):
    import base64

    _, key = engine.api_clients.create("zaaksysteem", ["tasks:complete", "cases:read-personal", "cases:read"],
                                       actor="admin")
    _, reader = engine.api_clients.create("alleen-lezen", ["cases:read"], actor="admin")
    client = app.test_client()

    def call(method, path, api_key=key, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {api_key}"}, **kwargs)

    bad = call("POST", f"/api/v1/tasks/{task.id}/complete",
               json={"data": {"bewijs": {"filename": "a.pdf", "content_base64": "geen base64!"}}})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "bewijs"
    wrong = call("POST", f"/api/v1/tasks/{task.id}/complete", json={"data": {"bewijs": {
        "filename": "a.html", "content_base64": base64.b64encode(b"<script>alert(1)</script>").decode()}}})
    assert wrong.status_code == 422 and "PDF" in wrong.get_json()["errors"][0]["message"]
    assert engine.tasks(case_id=task.case_id)[0].id == task.id                       # nothing written
    done = call("POST", f"/api/v1/tasks/{task.id}/complete", json={"data": {
        "toelichting": "via het zaaksysteem",
        "bewijs": {"filename": "loonstrook.pdf", "content_base64": base64.b64encode(PDF).decode()}}})
    assert done.status_code == 200, done.get_json()
    reference = engine.state(task.case_id).data["bewijs"]
    assert reference["name"] == "loonstrook.pdf" and reference["type"] == "application/pdf"
    assert call("GET", f"/api/v1/cases/{task.case_id}/files/{reference['id']}", api_key=reader).status_code == 403
    got = call("GET", f"/api/v1/cases/{task.case_id}/files/{reference['id']}")
    assert got.status_code == 200 and got.data == PDF and got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment") and got.headers["X-Content-Type-Options"] == "nosniff"
    assert engine.access_log(case_id=task.case_id)[0].page == f"bestand {reference['id']}"
    assert call("GET", f"/api/v1/cases/{task.case_id}/files/onbekend").status_code == 404
