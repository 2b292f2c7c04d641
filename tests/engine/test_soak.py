"""A short run of ``bench/bench_soak.py``: two app servers and two schedulers on one PostgreSQL database.

Real processes (``regie serve --no-scheduler`` twice, ``regie scheduler`` twice), HTTP clients that log
in and complete tasks with form posts while the model's timers come due on the same cases. Afterwards
``regie verify`` passes over every case, no completion is lost or doubled, every timer fired at most
once and every wait timer fired, no timer row is left and no incident was recorded.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import PG_ADMIN_URL, _pg_available, skip_unless_required

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def soak_url():
    reason = _pg_available()
    if reason:
        skip_unless_required(reason, "REGIE_REQUIRE_PG")
    import psycopg

    name = f"regie_test_soak_{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_servers_and_two_schedulers_lose_and_double_nothing(soak_url, tmp_path):
    from bench.bench_soak import soak

    report, load, _ = soak(soak_url, seconds=6, clients=2, cases_per_client=2, logs=tmp_path)
    assert load.errors == []
    assert load.completed, "no task was completed: " + " ".join(p.name for p in tmp_path.iterdir())
    assert report.verify_ok, report.verify_text
    assert (report.lost, report.doubled, report.unasked) == (0, 0, 0)
    assert report.timers_twice == 0 and report.waits_missing == 0
    assert report.timers_fired >= len(load.completed)          # at least every completion's wait timer
    assert report.timer_rows_left == 0 and report.incidents == 0
