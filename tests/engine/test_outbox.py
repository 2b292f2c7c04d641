"""The event feed and webhooks (engine.outbox): outbox rows in the same transaction as the events, signed
delivery by the scheduler with retries and back-off, every event exactly once and in order per case, to a
receiver on loopback that fails at first and then accepts."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine import outbox
from engine.errors import InvalidData
from engine.store.models import OutboxRow
from tests.conftest import MODELS


@pytest.fixture(autouse=True)
def deployed(engine):
    engine.deploy([MODELS])


def _outbox(engine) -> list[OutboxRow]:
    with engine.store.read() as tx:
        return list(tx.session.query(OutboxRow).order_by(OutboxRow.id))


class Receiver:
    """An HTTP receiver on loopback that answers 500 to the first ``fail`` requests, then 204."""

    def __init__(self, fail: int = 0):
        self.fail, self.received, self.refused = fail, [], 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail:
                    receiver.fail -= 1
                    receiver.refused += 1
                    self.send_response(500)
                else:
                    receiver.received.append((self.headers["Regie-Event"], self.headers["Regie-Signature"], body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/regie"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver():
    made = []

    def make(fail=0):
        made.append(Receiver(fail))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _run_case(engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    [task] = engine.tasks(case_id=case_id)
    engine.claim(task.id, "cas")
    engine.complete(task.id, {"akkoord": True, "bedrag": 10}, actor="cas")
    return case_id


def test_every_event_is_delivered_once_in_order_per_case_after_failures(engine, receiver, clock):
    box = receiver(fail=3)
    hook, secret = engine.webhooks.create("zaaksysteem", box.url, "beheer")
    cases = [_run_case(engine), _run_case(engine)]
    expected = {c: [h.seq for h in engine.history(c)] for c in cases}
    assert len(_outbox(engine)) == sum(len(v) for v in expected.values())
    rounds = 0
    while _outbox(engine):
        outbox.deliver_due(engine, "s1")
        clock.advance(seconds=outbox.MAX_BACKOFF)
        rounds += 1
        assert rounds < 20
    assert box.refused == 3
    events = [e for e, _, _ in box.received]
    assert len(events) == len(set(events)) == sum(len(v) for v in expected.values())       # exactly once
    for case_id, seqs in expected.items():                                                   # in order per case
        assert [int(e.split(":")[1]) for e in events if e.startswith(case_id)] == seqs
    event_id, signature, body = box.received[0]
    timestamp = int(signature.split(",")[0][2:])
    assert outbox.verify_signature(secret, signature, body, timestamp)
    assert not outbox.verify_signature(secret, signature, body.replace(b"case", b"kaas"), timestamp)
    assert not outbox.verify_signature(secret, signature, body, timestamp + outbox.TOLERANCE + 1)
    sent = json.loads(body)
    assert sent["webhook"] == "zaaksysteem" and f"{sent['event']['case_id']}:{sent['event']['seq']}" == event_id
    assert "payload" not in sent["event"]                                   # no personal data unless asked


def test_the_signing_secret_is_not_in_the_database(engine, receiver):
    """Whoever reads the database cannot sign a delivery: the secret is sealed with the master key."""
    from engine.store.models import WebhookRow

    box = receiver()
    hook, secret = engine.webhooks.create("zaaksysteem", box.url, "beheer")
    with engine.store.read() as tx:
        stored = tx.session.get(WebhookRow, hook.id).secret
    assert secret not in stored and stored.startswith("mk1:")
    _run_case(engine)
    outbox.deliver_due(engine, "s1")
    _, signature, body = box.received[0]
    assert outbox.verify_signature(secret, signature, body, int(signature.split(",")[0][2:]))


def test_a_failed_delivery_backs_off_and_holds_back_the_cases_later_events(engine, receiver, clock):
    box = receiver(fail=1)
    engine.webhooks.create("brieven", box.url, "beheer")
    case_id = engine.start("aanvraag", {"naam": "Demo"}, actor="cas")
    [task] = engine.tasks(case_id=case_id)
    engine.claim(task.id, "cas")
    assert outbox.deliver_due(engine, "s1") == 0                  # the first fails; the claim waits behind it
    [first, second] = _outbox(engine)
    assert (first.attempts, first.next_attempt_at) == (1, clock.now() + outbox.timedelta(seconds=outbox.BACKOFF))
    assert first.last_error == "HTTP 500" and second.attempts == 0
    assert outbox.deliver_due(engine, "s1") == 0                  # still backing off
    clock.advance(seconds=outbox.BACKOFF)
    assert outbox.deliver_due(engine, "s1") == 2
    assert [e for e, _, _ in box.received] == [f"{case_id}:1", f"{case_id}:2"]


def test_the_outbox_row_is_written_with_the_event_or_not_at_all(engine, receiver):
    engine.webhooks.create("alles", receiver().url, "beheer")
    case_id = engine.start("aanvraag", {"naam": "Demo"}, actor="cas")
    before = len(_outbox(engine))
    [task] = engine.tasks(case_id=case_id)
    with pytest.raises(InvalidData):                              # refused: no event, so nothing queued
        engine.complete(task.id, {"akkoord": "misschien"}, actor="cas")
    assert len(_outbox(engine)) == before == len(engine.history(case_id))


def test_filters_personal_payloads_and_revoking(engine, receiver, clock):
    box = receiver()
    engine.webhooks.create("starts", box.url, "beheer", ["case_started"], "aanvraag", personal=True)
    engine.webhooks.create("ander-proces", box.url, "beheer", process_id="iets-anders")
    case_id = _run_case(engine)
    assert outbox.deliver_due(engine, "s1") == 1
    [(event_id, _, body)] = box.received
    assert event_id == f"{case_id}:1" and json.loads(body)["event"]["payload"]["data"]["naam"] == "Demo Ouder"
    engine.webhooks.revoke("starts", "beheer")
    _run_case(engine)
    assert _outbox(engine) == []
    [hook, _other] = sorted(engine.webhooks.list(), key=lambda h: h.name, reverse=True)
    assert hook.name == "starts" and hook.revoked_at == clock.now()


def test_each_event_is_queued_for_exactly_the_webhooks_whose_filters_it_passes(engine, receiver):
    """The outbox rows come from one INSERT … SELECT per event (the filters in SQL): every type listed, none
    (every event), the case's process or none; a revoked webhook gets nothing."""
    url = receiver().url
    engine.webhooks.create("twee-typen", url, "beheer", ["case_started", "task_completed"])
    engine.webhooks.create("alles", url, "beheer", process_id="aanvraag")
    engine.webhooks.create("ander-proces", url, "beheer", process_id="iets-anders")
    engine.webhooks.create("ingetrokken", url, "beheer")
    engine.webhooks.revoke("ingetrokken", "beheer")
    case_id = _run_case(engine)
    names = {h.id: h.name for h in engine.webhooks.list()}
    types = {h.seq: h.type for h in engine.history(case_id)}
    queued = sorted((names[r.webhook_id], types[r.seq]) for r in _outbox(engine))
    assert queued == sorted([("alles", t) for t in types.values()]
                            + [("twee-typen", t) for t in types.values() if t in ("case_started", "task_completed")])
    assert {r.case_id for r in _outbox(engine)} == {case_id} and {r.status for r in _outbox(engine)} == {"pending"}


def test_one_deliverer_at_a_time_holds_the_lease(engine, receiver, clock):
    box = receiver()
    engine.webhooks.create("een", box.url, "beheer")
    engine.start("aanvraag", {"naam": "Demo"}, actor="cas")
    assert outbox._take_lease(engine, "s1", clock.now())
    assert outbox.deliver_due(engine, "s2") == 0 and box.received == []
    clock.advance(seconds=outbox.LEASE_SECONDS + 1)                  # s1 went away: its lease runs out
    assert outbox.deliver_due(engine, "s2") == 1


@pytest.mark.parametrize("name, url, types, field", [
    ("x", "https://ontvanger.example/regie", [], "name"),
    ("goed", "ftp://ontvanger.example/", [], "url"),
    ("goed", "https://ontvanger.example/", ["Geen Type"], "event_types"),
])
def test_a_webhook_with_bad_input_is_refused_and_nothing_is_stored(engine, name, url, types, field):
    with pytest.raises(InvalidData) as refused:
        engine.webhooks.create(name, url, "beheer", types)
    assert [p.field for p in refused.value.problems] == [field]
    assert engine.webhooks.list() == []


def test_the_feed_pages_through_every_event_with_a_cursor(engine):
    first, second = _run_case(engine), _run_case(engine)
    every = [(c, h.seq, h.type) for c in (first, second) for h in engine.history(c)]
    page = engine.event_feed(limit=3)
    seen = [(e.case_id, e.seq, e.type) for e in page.events]
    assert len(seen) == 3 and all(e.payload is None for e in page.events)
    while True:
        page = engine.event_feed(page.next, limit=3)
        if not page.events:
            break
        seen += [(e.case_id, e.seq, e.type) for e in page.events]
    assert sorted(seen) == sorted(every) and len(seen) == len(every)
    assert engine.event_feed(page.next).events == [] and engine.event_feed(page.next).next == page.next
    assert engine.event_feed(limit=1, personal=True).events[0].payload["data"]["naam"] == "Demo Ouder"
    with pytest.raises(InvalidData):
        engine.event_feed("abc")

