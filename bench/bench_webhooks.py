"""Issue 17 benchmark: webhook delivery throughput against the raw event-append rate of the same run.

One run, one database (SQLite file, or PostgreSQL with ``--pg``), a receiver on loopback that answers 204:

0. **raw append**: one event per write transaction straight through the store's append seam
   (``Tx.append_events`` on a locked case row: hash chain, revision check), no workflow — the raw
   event-append rate;
1. **append, no webhook**: start ``--cases`` cases (each start appends its events: case_started, ...);
   events appended per second through the whole engine;
2. **append, with a webhook**: the same with one subscription, so every event also writes its outbox row
   in the same transaction — the cost of the outbox on the write path;
3. **delivery**: the scheduler's delivery rounds (``engine.outbox.deliver_due``) until the outbox is empty:
   events POSTed (signed, one request each, in order per case) per second.

Printed: the rates and the ratios delivery / raw append, delivery / engine append and append-with-outbox /
append-without, measured in the same run, so a loaded machine inflates all of them alike.

    .venv/bin/python bench/bench_webhooks.py [--cases 500] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/regie_bench_webhooks]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_bench_webhooks"
    targetNamespace="https://regie.dev/bench">
  <bpmn:process id="bench_webhooks" name="Benchmark webhooks" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="taak"/>
    <bpmn:userTask id="taak" name="Iets doen"/>
    <bpmn:sequenceFlow id="f1" sourceRef="taak" targetRef="einde"/>
    <bpmn:endEvent id="einde"/>
  </bpmn:process>
</bpmn:definitions>
"""


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _recreate_pg(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("+psycopg", "") + "/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_pg(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("+psycopg", "") + "/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _events(engine) -> int:
    from sqlalchemy import func, select

    from engine.store.models import EventRow

    with engine.store.read() as tx:
        return tx.session.scalar(select(func.count()).select_from(EventRow))


def _append(engine, cases: int) -> tuple[float, int]:
    """Start ``cases`` cases; returns (events per second, events appended)."""
    before = _events(engine)
    began = time.perf_counter()
    for _ in range(cases):
        engine.start("bench_webhooks", {"naam": "Bench"})
    seconds = time.perf_counter() - began
    appended = _events(engine) - before
    return appended / seconds, appended


def _raw_append(engine, case_id: str, count: int) -> float:
    """``count`` events, one write transaction each, through the store's append seam; events per second."""
    from engine.audit import Event

    began = time.perf_counter()
    for n in range(count):
        with engine.store.write() as tx:
            case = tx.case(case_id, lock=True)
            now = engine.clock.now()
            tx.append_events(case, [Event("bench_note", {"n": n})], now, "bench", stored_at=now)
            tx.save_case(case)
    return count / (time.perf_counter() - began)


def run(url: str, cases: int) -> dict:
    from engine import Engine, ManualClock, outbox

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp) / "bench_webhooks.bpmn"
            model.write_text(MODEL, encoding="utf-8")
            engine = Engine.from_url(url, clock=ManualClock())
            engine.deploy([model])
        warm = engine.start("bench_webhooks", {})                   # warm: version parsed, connections open
        raw = _raw_append(engine, warm, cases)
        plain, _ = _append(engine, cases)
        engine.webhooks.create("bench", f"http://127.0.0.1:{server.server_address[1]}/hook", "bench")
        with_outbox, queued = _append(engine, cases)
        began = time.perf_counter()
        delivered = 0
        while True:
            sent = outbox.deliver_due(engine, "bench", limit=500)
            delivered += sent
            if not sent:
                break
        seconds = time.perf_counter() - began
        engine.store.dispose()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    rate = delivered / seconds if seconds else 0.0
    return {"append_raw": raw, "append_plain": plain, "append_outbox": with_outbox, "queued": queued, "delivered": delivered,
            "received": _Receiver.received, "delivery": rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--pg", help="a PostgreSQL URL (the database is dropped and made again)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg or f"sqlite:///{Path(tmp) / 'bench.db'}"
        if args.pg:
            _recreate_pg(args.pg)
        try:
            result = run(url, args.cases)
        finally:
            if args.pg:
                _drop_pg(args.pg)
    backend = "PostgreSQL" if args.pg else "SQLite"
    print(f"webhooks on {backend}, {args.cases} cases per phase")
    print(f"  raw event append (store):    {result['append_raw']:8.0f} events/s")
    print(f"  event append, no webhook:    {result['append_plain']:8.0f} events/s (starting cases)")
    print(f"  event append, with outbox:   {result['append_outbox']:8.0f} events/s "
          f"(ratio {result['append_outbox'] / result['append_plain']:.2f} of no webhook)")
    print(f"  webhook delivery:            {result['delivery']:8.0f} events/s "
          f"({result['delivered']} of {result['queued']} queued, {result['received']} received; "
          f"ratio {result['delivery'] / result['append_raw']:.2f} of the raw append rate, "
          f"{result['delivery'] / result['append_outbox']:.2f} of the engine's)")
    if result["delivered"] != result["queued"] or result["received"] != result["queued"]:
        sys.exit("not every queued event was delivered exactly once")


if __name__ == "__main__":
    main()
