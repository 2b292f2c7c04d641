"""Two real scheduler processes against one PostgreSQL database; one is killed with SIGKILL mid-run.

2,000 due timers (400 cases with five timers each, an hour apart, so rows of one case are claimed by
both schedulers) must each fire exactly once: one ``timer_fired`` event per timer, none lost, every
case completed, no timer row left. The killed scheduler's claims lapse after its lease (2 s) and the
survivor finishes the work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import Engine, ManualClock, RandomIds
from engine.store.models import CaseRow, EventRow, TimerRow
from tests.conftest import ROOT, _truncate

TIMER_MODELS = Path(__file__).resolve().parent / "timer_models"
CASES, TIMERS_PER_CASE = 400, 5

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def scheduler_process(url: str, name: str, batch: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "from engine.cli import main; main()", "scheduler", "--once", "--name", name,
               "--batch", str(batch), "--lease", "2", "--interval", "0.2", "--max-seconds", "60"]
    env = {**os.environ, "REGIE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def fired_count(engine) -> int:
    with engine.store.read() as tx:
        return tx.session.scalar(select(func.count(EventRow.id)).where(EventRow.type == "timer_fired"))


def test_two_scheduler_processes_fire_2000_timers_exactly_once_when_one_is_killed(pg_url, tmp_path):
    _truncate(pg_url)
    engine = Engine.from_url(pg_url, clock=ManualClock("2020-01-06T09:00:00+00:00"), ids=RandomIds())
    engine.deploy([TIMER_MODELS / "timer_vijf.bpmn"])
    cases = [engine.start("timer_vijf", {}) for _ in range(CASES)]     # due in 2020: long past for the schedulers

    victim = scheduler_process(pg_url, "victim", 100, tmp_path / "victim.log")
    survivor = scheduler_process(pg_url, "survivor", 50, tmp_path / "survivor.log")
    try:
        for _ in range(1500):      # until the victim is mid-way (polling the database, never reading a clock)
            if fired_count(engine) >= 150:
                break
            try:
                victim.wait(timeout=0.02)
                break                 # it stopped by itself: reported below
            except subprocess.TimeoutExpired:
                pass
        assert victim.poll() is None, "the victim stopped before it could be killed: " + (tmp_path / "victim.log").read_text()
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        survivor.wait(timeout=90)
    finally:
        for process in (victim, survivor):
            if process.poll() is None:
                process.kill()
                process.wait()
    log = (tmp_path / "survivor.log").read_text()
    assert survivor.returncode == 0, log
    assert "timer(s) afgegaan" in log

    with engine.store.read() as tx:
        fired = list(tx.session.execute(
            select(EventRow.case_id, EventRow.payload).where(EventRow.type == "timer_fired")))
        statuses = Counter(tx.session.scalars(select(CaseRow.status)))
        left = tx.session.scalar(select(func.count(TimerRow.id)))
    per_timer = Counter((case_id, payload) for case_id, payload in fired)
    assert len(fired) == CASES * TIMERS_PER_CASE                      # none lost ...
    assert set(per_timer.values()) == {1}                             # ... none twice
    assert Counter(case_id for case_id, _ in fired) == Counter({c: TIMERS_PER_CASE for c in cases})
    assert statuses == Counter({"completed": CASES})
    assert left == 0
    assert engine.verify(cases[0]) and engine.verify(cases[-1])
    engine.store.dispose()
