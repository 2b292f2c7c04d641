"""Human case numbers: given out once per process and year, part of the first event, accepted wherever a
case id is (facade and CLI), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from sqlalchemy import text

from engine import Engine, ManualClock, SequentialIds
from engine.casenumbers import canonical, prefix
from engine.cli import main
from engine.errors import AmbiguousCase, UnknownCase
from engine.store import MIGRATIONS, Store
from tests.conftest import MODELS


@pytest.fixture
def deployed(engine):
    engine.deploy([MODELS])
    return engine


def start(engine, name="Fictieve Bewoner"):
    return engine.start("aanvraag", {"naam": name}, actor="anna")


def test_numbers_count_up_per_prefix_and_year(deployed, clock):
    first, second = start(deployed), start(deployed)
    assert deployed.state(first).number == "AA-2026-000001"      # "aanvraag": its first two letters
    assert deployed.state(second).number == "AA-2026-000002"
    clock.set("2026-12-31T23:30:00+00:00")                        # already 1 January 2027 in Amsterdam
    assert deployed.state(start(deployed)).number == "AA-2027-000001"


def test_the_number_is_part_of_the_first_event_and_the_case_still_verifies(deployed):
    case_id = start(deployed)
    [started] = deployed.history(case_id)
    assert started.payload["number"] == deployed.state(case_id).number
    assert deployed.verify(case_id)


@pytest.mark.parametrize("spelling", ["AA-2026-000001", "aa-2026-000001", " AA-2026-1 "])
def test_a_case_number_is_accepted_wherever_a_case_id_is(deployed, spelling):
    case_id = start(deployed)
    assert deployed.resolve_case(spelling) == case_id
    assert deployed.state(spelling).id == case_id
    assert [t.case_id for t in deployed.tasks(case_id=spelling)] == [case_id]
    assert deployed.history(spelling)[0].type == "case_started"
    assert deployed.verify(spelling)
    assert deployed.replay(spelling) is not None


def test_tasks_carry_their_case_number(deployed):
    case_id = start(deployed)
    [task] = deployed.tasks(case_id=case_id)
    assert task.case_number == "AA-2026-000001"
    assert deployed.task(task.id).case_number == "AA-2026-000001"


def test_the_short_id_the_pages_show_is_accepted_and_must_be_unique(deployed):
    case_id = start(deployed)
    assert deployed.resolve_case(case_id[:8]) == case_id
    other = start(deployed)
    common = next(i for i in range(36) if case_id[i] != other[i])
    if common >= 6:    # two ids that share their first characters: the short form names neither
        with pytest.raises(AmbiguousCase):
            deployed.resolve_case(case_id[:common])


@pytest.mark.parametrize("ref", ["AA-2026-000099", "ZZ-1999-1", "12345678", "", "x'; DROP TABLE cases; --"])
def test_unknown_references_say_so(deployed, ref):
    start(deployed)
    with pytest.raises(UnknownCase, match="bestaat niet"):
        deployed.state(ref)


def test_prefixes():
    assert [prefix(p) for p in ("hersteloperatie", "loket", "tsp", "schuld-hulp-traject", "aanvraag")] == [
        "HO", "LO", "TSP", "SHT", "AA"]
    assert canonical("ho-2026-123") == "HO-2026-000123"


@pytest.mark.postgres
def test_concurrent_starts_never_share_a_number(pg_url, clock):
    """Two engines (two app processes) start cases at the same time: every number is different.
    Fails if the counter is read and written in two steps instead of one atomic upsert."""
    from tests.conftest import _truncate

    _truncate(pg_url)
    engines = [Engine.from_url(pg_url, clock=clock, ids=SequentialIds(f"p{i}")) for i in range(2)]
    engines[0].deploy([MODELS])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(eng):
        barrier.wait()
        try:
            for _ in range(15):
                start(eng)
        except BaseException as err:   # collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = [c.number for c in engines[0].cases(limit=100)]
    assert len(numbers) == 30 and len(set(numbers)) == 30
    for eng in engines:
        eng.store.dispose()


def test_cli_takes_case_numbers(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'regie.db'}"
    monkeypatch.setenv("REGIE_DATABASE_URL", url)
    eng = Engine.from_url(url, clock=ManualClock(), ids=SequentialIds())
    eng.deploy([MODELS])
    case_id = start(eng)
    runner = CliRunner()
    result = runner.invoke(main, ["state", "AA-2026-000001", "--as", "anna"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"AA-2026-000001  {case_id}")
    assert runner.invoke(main, ["verify", "aa-2026-1"]).exit_code == 0
    missing = runner.invoke(main, ["history", "AA-2026-000002", "--as", "anna"])
    assert missing.exit_code == 1
    assert "De zaak 'AA-2026-000002' bestaat niet." in missing.output


def test_upgrade_numbers_the_cases_that_were_there_before(tmp_path):
    """A database from before case numbers: the upgrade gives each case a number, in start order, and the
    counter continues after them."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002_web")
        command.upgrade(config, "0010_audit")
        conn.execute(text("INSERT INTO process_versions (id, process_id, name, bundle, deployed_at, deployed_by) "
                          "VALUES ('v', 'hersteloperatie', 'H', '{}', '2026-01-01 00:00:00', 'x')"))
        for case_id, at in (("b", "2026-02-01 10:00:00"), ("a", "2026-01-01 10:00:00")):
            conn.execute(text(
                "INSERT INTO cases (id, process_id, version_id, status, subject, data, active, state, task_counter, "
                "revision, last_seq, last_hash, created_at, updated_at, created_by) VALUES (:id, 'hersteloperatie', "
                "'v', 'running', '', '{}', '[]', '{}', 0, 1, 0, '', :at, :at, 'x')"), {"id": case_id, "at": at})
    store.upgrade()
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, number FROM cases")).all())
        assert rows == {"a": "HO-2026-000001", "b": "HO-2026-000002"}
        assert conn.execute(text("SELECT last FROM case_number_counters")).scalar_one() == 2
    store.dispose()
