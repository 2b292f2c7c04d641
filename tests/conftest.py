"""Shared fixtures: a fresh engine per test on SQLite and on PostgreSQL, live and through save/restore.

PostgreSQL tests use a database of their own (``regie_test_<pid>``) on the server named by
``REGIE_TEST_PG`` (default: the project's machines' server at 127.0.0.1:5432); they are skipped, with
the reason, where no server answers.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine import Engine, ManualClock, SequentialIds
from engine.store import Store
from engine.store.models import Base

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "engine" / "models"
PG_ADMIN_URL = os.environ.get("REGIE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# The master key that wraps per-case keys (engine.privacy.keys); a fixed one, so no key file is made.
os.environ.setdefault("REGIE_MASTER_KEYS", "test:" + "A" * 43 + "=")


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as err:  # any failure to connect means: skip, and say why
        return f"PostgreSQL antwoordt niet op {PG_ADMIN_URL}: {err.__class__.__name__}: {str(err).strip()[:120]}"


def skip_unless_required(reason: str, variable: str) -> None:
    """Skip with ``reason`` — or fail, when ``variable`` is ``1``: CI (``.ci/run``) sets ``REGIE_REQUIRE_PG``
    and ``REGIE_REQUIRE_BROWSER``, so a suite with its PostgreSQL or browser half missing cannot pass."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason} ({variable}=1: dit deel van de tests moet draaien)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL database for this test session, created and migrated once, dropped at the end."""
    reason = _pg_available()
    if reason:
        skip_unless_required(reason, "REGIE_REQUIRE_PG")
    import psycopg

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"regie_test_{os.getpid()}_{worker}"
    admin = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    store = Store(url)
    store.upgrade()
    store.dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(url: str) -> None:
    store = Store(url)
    with store.engine.begin() as conn:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A fresh, empty, migrated database: a SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'regie.db'}"
    url = request.getfixturevalue("pg_url")
    _truncate(url)
    return url


@pytest.fixture
def clock():
    return ManualClock("2026-01-05T09:00:00+00:00")


@pytest.fixture(params=["live", "reload"])
def engine(request, db_url, clock):
    """An engine on a fresh database. ``reload`` keeps no workflow in memory between commands, so every
    step restores the case from the store (the save/restore variant of every scenario)."""
    eng = Engine.from_url(db_url, clock=clock, ids=SequentialIds(), cache_size=0 if request.param == "reload" else 512)
    yield eng
    eng.store.dispose()


@pytest.fixture
def sqlite_engine(tmp_path, clock):
    """An engine on SQLite only, for tests about a single store's behaviour."""
    eng = Engine.from_url(f"sqlite:///{tmp_path / 'regie.db'}", clock=clock, ids=SequentialIds())
    yield eng
    eng.store.dispose()
