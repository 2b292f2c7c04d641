"""Retention with crypto-shredding (issue #14): the dry run lists exactly the expired cases; after the run
verify still passes and no original personal value is left in any table (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select, table, text

from engine.errors import PrivacyError
from engine.privacy import retention
from tests.conftest import MODELS

NAME, REASON, AMOUNT = "Zwaantje Quispel-Vermeulen", "Xylofoonschuld bij Qwertybank", 4321.57
SECRETS = ("Zwaantje", "Quispel", "Xylofoonschuld", "Qwertybank", "4321.57")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    path = tmp_path / "privacy.yaml"
    path.write_text("processes:\n  aanvraag: {purpose: Hulp, legal_basis: Wettelijke taak, retention: {days: 30}}\n")
    monkeypatch.setenv("REGIE_PRIVACY_CONFIG", str(path))
    return path


def _closed_case(engine, name, reason, amount) -> str:
    case_id = engine.start("aanvraag", {"naam": name}, actor="anna")
    task = engine.tasks(case_id=case_id)[0]
    engine.complete(task.id, {"akkoord": False, "bedrag": amount, "reden": reason}, actor="anna")
    assert engine.state(case_id).status == "completed"
    return case_id


def dump(engine) -> str:
    """Every row of every table of the database, as text."""
    out = []
    with engine.store.engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            for row in conn.execute(select(text("*")).select_from(table(name))):
                out.append(f"{name}: " + " | ".join(str(v) for v in row))
    return "\n".join(out)


def test_dry_run_lists_exactly_the_expired_cases_and_the_run_shreds_them(engine, clock, settings):
    engine.deploy([MODELS])
    old = _closed_case(engine, NAME, REASON, AMOUNT)
    engine.record_access("sam", old, "zaak", f"Gebeld door {NAME}")      # a reason may name the resident
    assert engine.access_log(case_id=old)[0].reason == f"Gebeld door {NAME}"
    clock.advance(days=20)
    recent = _closed_case(engine, "Berend Botje", "Andere schuld", 12.5)
    running = engine.start("aanvraag", {"naam": "Nog Lopend"}, actor="anna")
    assert SECRETS[0] in dump(engine)                   # what the test searches for is really stored...
    events = "\n".join(line for line in dump(engine).splitlines() if line.startswith("case_events:"))
    assert not any(value in events for value in SECRETS)   # ...but in the events only sealed (ciphertext)
    clock.advance(days=11)                              # old: 31 days closed, recent: 11

    listed = retention.run(engine, "fg", dry_run=True)
    assert [c.case_id for c in listed.removed] == [old]
    assert engine.verify(old)                           # a dry run changes nothing

    done = retention.run(engine, "fg")
    assert [c.case_id for c in done.removed] == [old] and done.skipped == []
    result = engine.verify()
    assert result, str(result)
    assert f"persoonsgegevens verwijderd op {clock.now():%d-%m-%Y}" in str(result)
    everything = dump(engine)
    for value in SECRETS:
        assert value not in everything, f"{value!r} is still in the database"
    assert "Berend Botje" in everything and "Nog Lopend" in everything   # the others keep theirs
    assert engine.access_log(case_id=old)[-1].reason == "(verwijderd na de bewaartermijn)"

    state = engine.state(old)                           # the skeleton: status, steps, dates, who
    assert state.status == "completed" and state.subject == "" and state.data == {}
    history = [e.type for e in engine.history(old)]
    assert history[:2] == ["case_started", "task_completed"] and history[-1] == "personal_data_removed"
    completed = engine.history(old)[1].payload                  # the step stays, its values are gone
    assert completed["title"] == "Intake doen" and completed["removed"] is True and "sealed" not in completed
    assert retention.run(engine, "fg", dry_run=True).removed == []        # done once
    assert [c.case_id for c in retention.expired(engine)] == []
    assert running and recent


def test_verify_finds_a_shredded_case_whose_row_still_holds_data(sqlite_engine, clock, settings):
    sqlite_engine.deploy([MODELS])
    case_id = _closed_case(sqlite_engine, NAME, REASON, AMOUNT)
    clock.advance(days=31)
    retention.run(sqlite_engine, "fg")
    with sqlite_engine.store.write() as tx:
        tx.case(case_id).subject = NAME
    assert "de persoonsgegevens zijn verwijderd, maar de zaak bevat nog gegevens" in str(sqlite_engine.verify(case_id))


def test_changed_ciphertext_is_named_by_verify(sqlite_engine, settings):
    """Someone with write access but without the key swaps two sealed payloads and recomputes the hashes."""
    from engine.audit import event_hash

    sqlite_engine.deploy([MODELS])
    case_id = _closed_case(sqlite_engine, NAME, REASON, AMOUNT)
    with sqlite_engine.store.write() as tx:
        rows = tx.stored_events(case_id)
        payload = json.loads(rows[1].payload)
        payload["sealed"] = json.loads(rows[0].payload)["sealed"]
        rows[1].payload = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        prev = rows[0].hash
        for row in rows[1:]:
            row.prev_hash = prev
            row.hash = prev = event_hash(prev, case_id, row.seq, row.type, row.at, row.actor, row.payload)
        tx.case(case_id).last_hash = prev
    assert "event 2: de versleutelde persoonsgegevens zijn niet te openen" in str(sqlite_engine.verify(case_id))


def test_a_case_with_plain_personal_events_is_left_and_said(sqlite_engine, clock, settings, monkeypatch):
    """Events written before per-case keys existed cannot be shredded without breaking the chain."""
    from engine.privacy import keys

    sqlite_engine.deploy([MODELS])
    monkeypatch.setattr(keys, "needs_seal", lambda payload: False)      # as before migration 0034
    case_id = _closed_case(sqlite_engine, NAME, REASON, AMOUNT)
    monkeypatch.undo()
    clock.advance(days=31)
    done = retention.run(sqlite_engine, "fg", config_path=settings)
    assert done.removed == [] and "events van vóór de versleuteling (event 1)" in done.skipped[0][1]
    assert sqlite_engine.state(case_id).subject == NAME                  # nothing was removed
    assert sqlite_engine.verify(case_id)


def test_no_new_personal_data_on_a_shredded_case(sqlite_engine, clock, settings):
    from engine.audit import Event

    sqlite_engine.deploy([MODELS])
    case_id = _closed_case(sqlite_engine, NAME, REASON, AMOUNT)
    clock.advance(days=31)
    retention.run(sqlite_engine, "fg")
    with pytest.raises(PrivacyError, match="zijn verwijderd op"):
        with sqlite_engine.commands.step("anna") as step:
            step.lock_case(case_id)
            step.record([Event("note", {"reason": NAME})], clock.now())
    assert NAME not in dump(sqlite_engine)


def test_retention_needs_someone_to_name(sqlite_engine, settings):
    with pytest.raises(PrivacyError, match="--as"):
        retention.run(sqlite_engine, " ")


def test_cli_dry_run_and_run(sqlite_engine, clock, settings, monkeypatch):
    from engine.cli import main

    sqlite_engine.deploy([MODELS])
    case_id = _closed_case(sqlite_engine, NAME, REASON, AMOUNT)
    number = sqlite_engine.state(case_id).number
    monkeypatch.setenv("REGIE_DATABASE_URL", str(sqlite_engine.store.url))
    monkeypatch.setattr("engine.providers.SystemClock.now", lambda self: clock.now().replace(year=2027))
    runner = CliRunner()
    dry = runner.invoke(main, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert number in dry.output and "1 zaak/zaken met een verlopen bewaartermijn (proefdraai" in dry.output
    done = runner.invoke(main, ["retention", "run", "--as", "fg", "--json"])
    assert done.exit_code == 0, done.output
    assert [c["case_id"] for c in json.loads(done.output)["cases"]] == [case_id]
    assert sqlite_engine.verify(case_id)


def test_master_key_rotation_rewraps_every_case_key(tmp_path, clock, monkeypatch):
    from engine import Engine, SequentialIds
    from engine.privacy.keys import new_master_key, rotate
    from engine.store.models import CaseKeyRow, WebhookRow

    old, new = new_master_key("k1"), new_master_key("k2")
    url = f"sqlite:///{tmp_path / 'regie.db'}"
    monkeypatch.setenv("REGIE_MASTER_KEYS", old)
    first = Engine.from_url(url, clock=clock, ids=SequentialIds())
    first.deploy([MODELS])
    case_id = _closed_case(first, NAME, REASON, AMOUNT)
    first.store.dispose()

    _, hook_secret = first.webhooks.create("zaaksysteem", "https://zs.example/regie", "beheer")
    _, legacy_secret = first.webhooks.create("oud", "https://oud.example/regie", "beheer")
    with first.store.write() as tx:                                # stored before secrets were sealed
        tx.session.scalars(select(WebhookRow).where(WebhookRow.name == "oud")).one().secret = legacy_secret
    first.store.dispose()

    monkeypatch.setenv("REGIE_MASTER_KEYS", f"{new},{old}")       # the new one first, the old one still there
    second = Engine.from_url(url, clock=clock)
    assert rotate(second) == 1 and rotate(second) == 0
    second.store.dispose()

    monkeypatch.setenv("REGIE_MASTER_KEYS", new)                  # the old master key is gone
    third = Engine.from_url(url, clock=clock)
    with third.store.read() as tx:
        assert tx.session.get(CaseKeyRow, case_id).master_key == "k2"
        hooks = {h.name: h for h in tx.session.scalars(select(WebhookRow))}
    assert {h.secret.split(":")[1] for h in hooks.values()} == {"k2"}          # both sealed with the new key
    opened = {n: third.store.master_keys.open_secret("webhook", h.id, h.secret) for n, h in hooks.items()}
    assert opened == {"zaaksysteem": hook_secret, "oud": legacy_secret}
    assert third.verify(case_id)
    assert [e.payload.get("data") for e in third.history(case_id)][0] == {"naam": NAME}
    third.store.dispose()

    monkeypatch.setenv("REGIE_MASTER_KEYS", old)                  # a wrong master key is said, not a crash
    fourth = Engine.from_url(url, clock=clock)
    with pytest.raises(PrivacyError, match="hoofdsleutel 'k2'"):
        fourth.history(case_id)
    fourth.store.dispose()


def test_time_travel_on_a_shredded_case_says_why_not(sqlite_engine, clock, settings):
    sqlite_engine.deploy([MODELS])
    case_id = _closed_case(sqlite_engine, NAME, REASON, AMOUNT)
    clock.advance(days=31)
    retention.run(sqlite_engine, "fg")
    with pytest.raises(PrivacyError, match="niet meer stap voor stap af te spelen"):
        sqlite_engine.case_at(case_id, 2)


def test_audit_bundle_of_a_shredded_case_checks_as_a_skeleton(sqlite_engine, clock, settings):
    from engine.audit import bundle

    sqlite_engine.deploy([MODELS])
    case_id = _closed_case(sqlite_engine, NAME, REASON, AMOUNT)
    before = bundle.build(sqlite_engine, case_id)
    assert bundle.check(before), str(bundle.check(before))          # with the key: opened and replayed
    clock.advance(days=31)
    retention.run(sqlite_engine, "fg")
    after = bundle.build(sqlite_engine, case_id)
    report = bundle.check(after)
    assert report, str(report)
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(after)) as archive:
        text = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    assert not any(value in text for value in SECRETS)


def test_without_master_keys_a_key_file_is_made_once_and_kept(tmp_path, monkeypatch):
    import stat

    from engine.privacy.keys import MasterKeys

    monkeypatch.delenv("REGIE_MASTER_KEYS")
    monkeypatch.setenv("REGIE_MASTER_KEY_FILE", str(tmp_path / "sleutels" / "master.key"))
    first, second = MasterKeys.from_env(), MasterKeys.from_env()
    assert first == second and first.current == "k1"
    assert stat.S_IMODE((tmp_path / "sleutels" / "master.key").stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "sleutels").iterdir()) == ["master.key"]
    monkeypatch.setenv("REGIE_MASTER_KEYS", "k1:te-kort")
    with pytest.raises(PrivacyError, match="ongeldig"):
        MasterKeys.from_env()


def test_retention_leaves_no_personal_data_in_time_travel_checkpoints(engine, clock, settings, monkeypatch):
    """Checkpoints hold the replayed case data: sealed with the case key, and deleted with it."""
    from engine.audit import checkpoints

    monkeypatch.setattr(checkpoints, "EVERY", 1)
    engine.deploy([MODELS])
    old = _closed_case(engine, NAME, REASON, AMOUNT)
    assert engine.verify(old)                           # writes a checkpoint after every event
    before = [line for line in dump(engine).splitlines() if line.startswith("case_checkpoints:")]
    assert before and not any(value in "\n".join(before) for value in SECRETS)   # sealed
    clock.advance(days=31)
    assert [c.case_id for c in retention.run(engine, "fg").removed] == [old]
    assert engine.verify(old)                           # a shredded case gets no new ones
    everything = dump(engine)
    assert not [line for line in everything.splitlines() if line.startswith("case_checkpoints:")]
    for value in SECRETS:
        assert value not in everything, f"{value!r} is still in the database"
