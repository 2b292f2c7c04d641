"""The access log: every read of personal data is a row in one hash-chained log; tampering is named."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from engine.cli import main
from engine.store.models import AccessRow
from tests.conftest import MODELS


@pytest.fixture
def case(engine):
    engine.deploy([MODELS])
    return engine.start("aanvraag", {"naam": "Fictieve Bewoner"}, actor="anna")


def test_a_read_is_recorded_with_who_when_case_page_and_reason(engine, case, clock):
    first = engine.record_access("anna", case, "zaak")
    second = engine.record_access("aud", case, "controle-tonen", reason="  klacht 2026-17 ")
    assert (first.seq, first.actor, first.case_id, first.page, first.reason) == (1, "anna", case, "zaak", None)
    assert second.reason == "klacht 2026-17" and second.at == clock.now()
    assert [e.seq for e in engine.access_log(case_id=case)] == [2, 1]          # newest first
    assert [e.page for e in engine.access_log(actor="aud")] == ["controle-tonen"]
    assert engine.access_log(case_id=case)[0].page_label == "Controle: persoonsgegevens getoond"



def test_every_page_the_app_logs_has_a_name_in_words(engine, case):
    """The auditor's access log read 'afspraakkaart', 'doorbraak' and 'api' as the code it was logged with."""
    for page in ("afspraakkaart", "doorbraak", "api", "bestand 7f3a"):
        engine.record_access("anna", case, page, reason="Bewoner belt, casemanager is ziek" if page == "doorbraak" else None)
    assert [e.page_label for e in engine.access_log(case_id=case)] == [
        "Bestand 7f3a", "API (ander systeem)", "Zaak buiten het eigen werk geopend", "Afspraakkaart"]


def test_the_log_is_chained_and_verify_checks_it(engine, case):
    for page in ("zaak", "taak", "diagram"):
        engine.record_access("anna", case, page)
    assert engine.verify()
    with engine.store.write() as tx:
        tx.session.execute(update(AccessRow).where(AccessRow.seq == 2).values(actor="iemand-anders"))
    assert "regel 2 van het inzagelog is gewijzigd na het opslaan" in str(engine.verify())


def test_a_removed_row_breaks_the_chain(engine, case):
    for page in ("zaak", "taak", "diagram"):
        engine.record_access("anna", case, page)
    with engine.store.write() as tx:
        tx.session.execute(delete(AccessRow).where(AccessRow.seq == 2))
    assert "regel 2 van het inzagelog ontbreekt" in str(engine.verify())


def test_without_who_or_page_nothing_is_recorded(engine, case):
    from engine.errors import RegieError

    with pytest.raises(RegieError, match="Geef aan wie de gegevens bekijkt"):
        engine.record_access("", case, "zaak")
    assert engine.access_log() == []


def test_cli_state_and_history_are_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()

    def regie(*args):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    regie("deploy", MODELS)
    case_id = regie("start", "aanvraag", "--data", '{"naam": "Fictieve Bewoner"}').strip()
    regie("state", case_id, "--as", "aud", "--reden", "steekproef van de accountant")
    regie("history", case_id, "--json", "--reden", "beheer: controle na storing")
    from engine import Engine

    eng = Engine.from_url(f"sqlite:///{tmp_path / 'cli.db'}")
    rows = eng.access_log(case_id=case_id)
    assert [(r.page, r.actor, r.reason) for r in rows][2] == ("cli-state", "aud", "steekproef van de accountant")
    assert [(r.page, r.actor[:3]) for r in rows[:2]] == [("cli-history", "os:"), ("doorbraak", "os:")]
    assert json.loads(regie("history", case_id, "--json", "--reden", "beheer: controle na storing"))[0]["type"] == \
        "case_started"
    eng.store.dispose()


def test_concurrent_appends_on_postgresql_wait_for_the_chain_lock_and_extend_the_chain(pg_url, clock):
    """Two appends at once: the second waits for the first's lock, then chains onto its row. Without the lock it
    would read the same head, take the same number and fail on the unique number when the first commits."""
    import threading

    from sqlalchemy import create_engine, text

    from engine import Engine, SequentialIds
    from engine.audit import access
    from engine.store.audit import add_access, last_access, lock_access_chain
    from tests.conftest import _truncate

    _truncate(pg_url)
    eng = Engine.from_url(pg_url, clock=clock, ids=SequentialIds())
    result: dict = {}
    with eng.store.write() as tx:                     # the first append, not committed yet
        lock_access_chain(tx)
        head = last_access(tx)
        seq, prev = (head.seq + 1, head.hash) if head else (1, access.GENESIS)
        at = clock.now()
        add_access(tx, AccessRow(seq=seq, at=at, actor="anna", case_id=None, page="zaak", reason=None, prev_hash=prev,
                                 hash=access.access_hash(prev, seq, at, "anna", None, "zaak", None)))

        def second():
            try:
                result["entry"] = eng.record_access("bert", None, "zaak")
            except Exception as err:  # reported below
                result["error"] = err

        worker = threading.Thread(target=second)
        worker.start()
        watcher = create_engine(pg_url)
        with watcher.connect() as conn:              # until the second append waits on a lock (state, not time)
            while not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")).scalar():
                worker.join(0.01)
                assert worker.is_alive(), result
                conn.rollback()
        watcher.dispose()
    worker.join()
    assert "error" not in result, result
    assert result["entry"].seq == seq + 1
    assert [e.actor for e in eng.access_log(limit=2)] == ["bert", "anna"]
    with eng.store.read() as tx:
        assert access.check(list(tx.session.scalars(select(AccessRow).order_by(AccessRow.seq)))) == []
    eng.store.dispose()
