"""Security review (issue 13), engine side: odd input, lost connections, concurrent init-db, files, passwords."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import Engine, InvalidData, SequentialIds, StoreUnavailable
from engine.accounts import reset_password, save_user
from engine.cli import main
from engine.passwords import WeakPassword, check_policy
from engine.store import Store
from tests.conftest import MODELS, PG_ADMIN_URL, _pg_available


def _nested(depth: int) -> dict:
    data: dict = {"naam": "Demo Ouder"}
    inner = data
    for _ in range(depth):
        inner["x"] = {}
        inner = inner["x"]
    return data


# 7. Odd input: depth and size at the boundary -------------------------------------------------------------

@pytest.mark.parametrize("depth", [500, 1000, 5000])
def test_deeply_nested_start_data_is_refused_and_nothing_is_written(engine, depth):
    engine.deploy([MODELS])
    with pytest.raises(InvalidData, match="te diep genest"):
        engine.start("aanvraag", _nested(depth), actor="cas")
    assert engine.cases() == []


def test_deeply_nested_task_data_is_refused_and_the_case_goes_on(engine):
    engine.deploy([MODELS])
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    task = engine.tasks(case_id=case_id)[0]
    with pytest.raises(InvalidData, match="te diep genest"):
        engine.complete(task.id, {"toelichting": "x", "extra": _nested(1000)}, actor="cas")
    assert engine.tasks(case_id=case_id)[0].id == task.id
    assert engine.verify(case_id)


def test_too_large_data_is_refused(engine):
    engine.deploy([MODELS])
    with pytest.raises(InvalidData, match="te groot"):
        engine.start("aanvraag", {"naam": "Demo Ouder", "notitie": "x" * 1_100_000}, actor="cas")


def test_the_cli_says_so_instead_of_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(main, ["deploy", str(MODELS)]).exit_code == 0
    deep = "{" + '"a":{' * 1000 + "}" * 1001
    result = runner.invoke(main, ["start", "aanvraag", "--data", deep])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "te diep genest" in result.output and "Traceback" not in result.output


# 8. Operational errors -----------------------------------------------------------------------------------

def test_a_database_that_does_not_answer_is_a_clear_retryable_error():
    store = Store("postgresql+psycopg://postgres@127.0.0.1:1/regie?connect_timeout=2")
    eng = Engine(store)
    with pytest.raises(StoreUnavailable, match="De database is even niet bereikbaar") as caught:
        eng.processes()
    assert caught.value.retryable
    with pytest.raises(StoreUnavailable):
        with store.write() as tx:
            tx.users()
    store.dispose()


@pytest.mark.postgres
def test_a_connection_lost_in_a_step_writes_nothing_and_the_next_step_works(pg_url, clock):
    import psycopg

    from tests.conftest import _truncate

    _truncate(pg_url)
    eng = Engine.from_url(pg_url, clock=clock, ids=SequentialIds())
    eng.deploy([MODELS])
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    events = len(eng.history(case_id))
    admin = PG_ADMIN_URL.replace("+psycopg", "")
    with pytest.raises(StoreUnavailable):
        with eng.store.write() as tx:
            tx.case(case_id, lock=True).subject = "half"
            pid = tx.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            tx.session.flush()
    assert eng.state(case_id).subject == "Demo Ouder"      # the broken connection was invalidated: a new one
    assert len(eng.history(case_id)) == events
    task = eng.tasks(case_id=case_id)[0]
    eng.claim(task.id, "cas")
    eng.store.dispose()


@pytest.mark.postgres
def test_a_rested_connection_the_server_dropped_is_replaced_without_an_error(pg_url, clock, monkeypatch):
    """Pooled connections are pinged only after resting (one round trip less per transaction), and a rested
    one the server dropped is replaced on checkout instead of failing the next command."""
    import psycopg

    from engine import store as store_module
    from tests.conftest import _truncate

    _truncate(pg_url)
    eng = Engine.from_url(pg_url, clock=clock, ids=SequentialIds())
    eng.deploy([MODELS])
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    dialect = eng.store.engine.dialect
    pings = []
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    eng.state(case_id)
    eng.tasks(case_id=case_id)
    assert pings == []                                     # used a moment ago: no extra round trip
    with eng.store.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    monkeypatch.setattr(store_module, "PING_AFTER_IDLE", 0.0)   # as if it had rested for a while
    assert eng.state(case_id).subject == "Demo Ouder"      # replaced on checkout: no error
    assert pings
    eng.store.dispose()


def _init_db_concurrently(url: str, count: int = 4) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "REGIE_DATABASE_URL": url}
    procs = [subprocess.Popen([str(Path(sys.executable).parent / "regie"), "init-db"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(count)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_four_init_db_at_once_on_an_empty_sqlite_file(tmp_path):
    results = _init_db_concurrently(f"sqlite:///{tmp_path / 'new.db'}")
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr[-500:] for r in results]
    assert not any("Traceback" in r.stderr for r in results)


def test_four_upgrades_at_once_on_an_empty_postgres_database():
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    admin = PG_ADMIN_URL.replace("+psycopg", "")
    name = f"regie_initdb_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        results = _init_db_concurrently(url)
        assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr[-500:] for r in results]
        errors = []

        def upgrade():
            store = Store(url)
            try:
                store.upgrade()
            except Exception as err:  # collected and asserted below
                errors.append(err)
            finally:
                store.dispose()

        threads = [threading.Thread(target=upgrade) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# 9. Files and passwords ----------------------------------------------------------------------------------

def test_the_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "data" / "regie.db"
    eng = Engine.from_url(f"sqlite:///{path}")
    eng.processes()
    for file in [path, *path.parent.glob("regie.db-*")]:
        assert stat.S_IMODE(file.stat().st_mode) & 0o077 == 0, file
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    eng.store.dispose()


@pytest.mark.parametrize("password, message", [
    ("12345678", "Kies een wachtwoord van minstens 12 tekens."),
    ("123456789012", "Dit wachtwoord wordt veel gebruikt en is makkelijk te raden."),
    ("wachtwoord123", "Dit wachtwoord wordt veel gebruikt en is makkelijk te raden."),
    ("Password1234", "Dit wachtwoord wordt veel gebruikt en is makkelijk te raden."),
    ("annaannaanna-xyz", "Uw gebruikersnaam mag niet in uw wachtwoord staan."),
])
def test_the_password_policy(password, message):
    with pytest.raises(WeakPassword, match=message):
        check_policy(password, "anna")
    check_policy("paars fietsje op de dijk", "anna")


def test_the_cli_refuses_a_weak_password(tmp_path, monkeypatch):
    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    result = CliRunner().invoke(main, ["users", "add", "anna", "--name", "Anna", "--roles", "casemanager",
                                       "--password", "12345678"])
    assert result.exit_code == 1 and "minstens 12 tekens" in result.output


def test_account_changes_are_logged_with_who_made_them(sqlite_engine):
    from engine.store.accounts import account_events

    save_user(sqlite_engine.store, "anna", "Anna", ["casemanager"], "paars fietsje op de dijk", actor="admin")
    with pytest.raises(WeakPassword):
        reset_password(sqlite_engine.store, "anna", "kort", actor="admin")
    reset_password(sqlite_engine.store, "anna", "groene tram naar het strand", actor="beheer")
    with sqlite_engine.store.read() as tx:
        rows = [(e.actor, e.action) for e in account_events(tx, "anna")]
    assert rows == [("beheer", "password_reset"), ("admin", "added")]
    assert json.dumps(rows)
