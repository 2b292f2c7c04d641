"""Fixtures for walking the guidance models (processes/ + forms/) through the engine facade.

The models are deployed once per session into a template SQLite file; every test gets a copy of that
file and an engine with a ManualClock, so each test starts from a clean, already-deployed database.
Tests that take the ``flow`` fixture run twice: straight, and with every command answered by a fresh
engine that has to restore the case from the store (the save/restore variant).
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from engine import Engine, ManualClock, SequentialIds

ROOT = Path(__file__).resolve().parents[2]
MODELS = [ROOT / "processes", ROOT / "forms"]
START = "2026-01-05T09:00:00+00:00"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "regie.db"
    eng = Engine.from_url(f"sqlite:///{path}", clock=ManualClock(START), ids=SequentialIds("template"))
    eng.deploy(MODELS)
    eng.store.engine.dispose()  # closes the connections, so SQLite checkpoints its WAL into the file
    return path


@pytest.fixture
def engine(template_db, tmp_path) -> Engine:
    path = tmp_path / "regie.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{template_db}{suffix}").exists():
            shutil.copy(f"{template_db}{suffix}", f"{path}{suffix}")
    return Engine.from_url(f"sqlite:///{path}", clock=ManualClock(START), ids=SequentialIds())


class Flow:
    """Drives one case through the facade, by element id, the way a caseworker would."""

    def __init__(self, engine: Engine, restore: bool):
        self._engine = engine
        self.restore = restore
        self.clock = engine.clock
        self.case_id: str | None = None
        # The restore variant takes turns between two engines on the same store that keep no workflow
        # in memory: every command rebuilds the case from what was saved, on model specs parsed by
        # another engine than the one that made the previous step (as after a restart of a worker).
        self._turns = [Engine(engine.store, clock=self.clock, ids=engine.ids, cache_size=0) for _ in range(2)]
        self._turn = 0
        self._seen: dict[int, tuple] = {}   # the case as stored after each command, by its last event

    @property
    def eng(self) -> Engine:
        if not self.restore:
            return self._engine
        self._turn = 1 - self._turn
        return self._turns[self._turn]

    def start(self, process_id: str, data: dict | None = None, actor: str = "anna") -> str:
        self.case_id = self.eng.start(process_id, data=data or {}, actor=actor)
        self._record()
        return self.case_id

    def open(self) -> list[str]:
        """Element ids of the open tasks of the case, sorted."""
        return sorted(t.name for t in self.eng.tasks(case_id=self.case_id))

    def task(self, element: str):
        found = [t for t in self.eng.tasks(case_id=self.case_id) if t.name == element]
        assert found, f"taak {element} staat niet open; open: {self.open()}"
        return found[0]

    def do(self, element: str, data: dict | None = None, actor: str = "anna"):
        """Complete the (first) open task with this element id."""
        task = self.task(element)
        done = self.eng.complete(task.id, data=data or {}, actor=actor)
        self._record()
        return done

    def later(self, **delta) -> int:
        """Move the clock on and fire every timer that became due; returns how many fired."""
        self.clock.advance(timedelta(**delta))
        fired = self.eng.fire_due_timers(now=self.clock.now())
        self._record()
        return fired

    @property
    def state(self):
        return self.eng.state(self.case_id)

    @property
    def data(self) -> dict:
        return self.state.data

    def done(self) -> bool:
        return self.state.status == "completed"

    def verified(self) -> bool:
        """verify passes, and time travel to every recorded point shows the case as it was stored then."""
        return bool(self.eng.verify(self.case_id)) and self.travels()

    def _record(self) -> None:
        from engine.store.audit import case_snapshot

        with self._engine.store.read() as tx:
            seq, seen = case_snapshot(tx, self.case_id)
        self._seen[seq] = seen

    def travels(self) -> bool:
        """Replay to event N equals the state recorded at N, for every N a command ended on."""
        from engine.audit.travel import TimeTravel

        moments = {m.seq: m for m in TimeTravel(self._engine).walk(self.case_id)}
        for seq, (status, data, active, open_tasks) in self._seen.items():
            at = moments[seq]
            replayed = (at.status, at.data, at.active, sorted(t["id"] for t in at.open_tasks))
            assert replayed == (status, data, active, open_tasks), f"event {seq}: {replayed} != {self._seen[seq]}"
        return True


@pytest.fixture(params=["direct", "herstel"], ids=["direct", "save-restore"])
def flow(engine, request) -> Flow:
    return Flow(engine, restore=request.param == "herstel")


class _Mailbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    """A local SMTP server on a free loopback port; ``box.settings`` points the e-mail connector at it."""
    import socket

    from aiosmtpd.controller import Controller

    from engine.external import SmtpSettings

    box = _Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.settings = SmtpSettings("127.0.0.1", port, "regie@gemeente.test", 5)
    yield box
    controller.stop()
