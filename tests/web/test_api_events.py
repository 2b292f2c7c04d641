"""The event feed and webhooks over the API: scopes, personal data only with the personal scope (logged), the
secret shown once, and a receiver's signature check."""

from __future__ import annotations

import pytest

from engine import outbox


@pytest.fixture
def api(app, engine):
    counter = iter(range(100))

    def make(scopes):
        _, key = engine.api_clients.create(f"volger-{next(counter)}", scopes, actor="admin")
        client = app.test_client()
        return lambda method, path, **kw: client.open(path, method=method, headers={"Authorization": f"Bearer {key}"},
                                                      **kw)

    return make


def test_the_feed_without_and_with_personal_data(api, engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    plain = api(["events:read"])
    page = plain("GET", "/api/v1/events?limit=10").get_json()
    assert [(e["case_id"], e["seq"], e["type"]) for e in page["events"]] == [(case_id, 1, "case_started")]
    assert "payload" not in page["events"][0] or page["events"][0]["payload"] is None
    assert engine.access_log(case_id=case_id) == []
    assert plain("GET", f"/api/v1/events?after={page['next']}").get_json() == {"events": [], "next": page["next"]}
    personal = api(["events:read", "cases:read-personal"])
    [event] = personal("GET", "/api/v1/events").get_json()["events"]
    assert event["payload"]["data"]["naam"] == "Demo Ouder"
    assert [e.page for e in engine.access_log(case_id=case_id)] == ["api"]
    bad = plain("GET", "/api/v1/events?after=abc")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "after"
    assert api(["cases:read"])("GET", "/api/v1/events").status_code == 403


def test_webhooks_are_made_listed_and_stopped_over_the_api(api, engine, clock):
    call = api(["webhooks:manage"])
    made = call("POST", "/api/v1/webhooks", json={"name": "zaaksysteem", "url": "https://zgw.example/regie",
                                                   "event_types": ["case_started"]})
    assert made.status_code == 201
    secret = made.get_json()["secret"]
    assert secret.startswith("whsec_") and "secret" not in call("GET", "/api/v1/webhooks").get_json()[0]
    engine.start("aanvraag", {"naam": "Demo"}, actor="cas")
    assert call("GET", "/api/v1/webhooks").get_json()[0]["pending"] == 1
    refused = call("POST", "/api/v1/webhooks", json={"name": "met-inhoud", "url": "https://x.example/",
                                                     "personal": True})
    assert refused.status_code == 403 and "cases:read-personal" in refused.get_json()["detail"]
    bad = call("POST", "/api/v1/webhooks", json={"name": "fout", "url": "geen adres"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "url"
    stopped = call("DELETE", "/api/v1/webhooks/zaaksysteem")
    assert stopped.status_code == 200 and stopped.get_json()["revoked_at"]
    assert call("DELETE", "/api/v1/webhooks/onbekend").status_code == 404


def test_a_receiver_checks_the_signature_as_documented():
    body = b'{"event":{"type":"case_started"},"webhook":"zaaksysteem"}'
    header = outbox.sign("whsec_geheim", 1767600000, body)
    assert outbox.verify_signature("whsec_geheim", header, body, 1767600000 + 60)
    assert not outbox.verify_signature("whsec_ander", header, body, 1767600000)
    assert not outbox.verify_signature("whsec_geheim", "v1=abc", body, 1767600000)
