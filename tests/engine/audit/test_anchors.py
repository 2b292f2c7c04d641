"""Anchors: a rewrite with every hash recomputed passes the plain verify, but not the signed anchor."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine.audit import anchors, event_hash
from engine.audit.anchors import AnchorError
from tests.conftest import MODELS


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "sleutel" / "anker.pem"
    anchors.generate_key(path)
    return anchors.load_private(path)


@pytest.fixture
def cases(engine):
    engine.deploy([MODELS])
    ids = []
    for name in ("Een", "Twee"):
        case_id = engine.start("aanvraag", {"naam": f"Bewoner {name}"}, actor="anna")
        engine.complete(engine.tasks(case_id=case_id)[0].id, {"akkoord": True, "bedrag": 5}, actor="anna")
        ids.append(case_id)
    return ids


def _rewrite(engine, case_id: str, seq: int, actor: str) -> None:
    """What someone with write access to the database can do: say someone else did a step, recompute every
    hash after it and fix the task row, so the plain verify finds nothing."""
    from sqlalchemy import update

    from engine.store.models import TaskRow

    with engine.store.write() as tx:
        rows = tx.stored_events(case_id)
        rows[seq - 1].actor = actor
        prev = rows[seq - 2].hash if seq > 1 else "0" * 64
        for row in rows[seq - 1:]:
            row.prev_hash = prev
            row.hash = prev = event_hash(prev, case_id, row.seq, row.type, row.at, row.actor, row.payload)
        tx.case(case_id).last_hash = prev
        task_id = json.loads(rows[seq - 1].payload)["task_id"]
        tx.session.execute(update(TaskRow).where(TaskRow.id == task_id).values(completed_by=actor))
        tx.session.flush()


def test_an_untouched_store_matches_its_anchors(engine, cases, key, tmp_path, clock):
    path = tmp_path / "anchors.jsonl"
    first = engine.anchor(key, path)
    clock.advance(timedelta(days=1))
    engine.complete(engine.tasks(case_id=cases[0])[0].id, {}, actor="sam")
    engine.record_access("aud", cases[0], "zaak")
    second = engine.anchor(key, path)
    assert second.prev == first.digest and len(anchors.read(path)) == 2
    assert engine.check_anchors(path, key.public_key()) == []


def test_a_rewritten_old_event_with_recomputed_hashes_is_found_and_located(engine, cases, key, tmp_path, clock):
    path = tmp_path / "anchors.jsonl"
    engine.anchor(key, path)
    clock.advance(timedelta(days=1))
    engine.complete(engine.tasks(case_id=cases[0])[0].id, {}, actor="sam")
    engine.anchor(key, path)
    _rewrite(engine, cases[0], 2, "mallory")
    assert engine.verify(cases[0]), "the plain verify cannot see a rewrite with recomputed hashes"
    problems = [str(p) for p in engine.check_anchors(path, key.public_key())]
    assert problems == [f"zaak {cases[0]}, event 3: de hash wijkt af van het anker van 2026-01-05T09:00:00+00:00: "
                        "de geschiedenis is herschreven, vanaf event 1 en uiterlijk bij event 3"]


def test_a_rewrite_after_an_anchor_is_located_between_two_anchors(engine, cases, key, tmp_path, clock):
    path = tmp_path / "anchors.jsonl"
    engine.anchor(key, path)                                  # case 0 at event 3
    clock.advance(timedelta(days=1))
    engine.complete(engine.tasks(case_id=cases[0])[0].id, {}, actor="sam")   # events 4, 5
    engine.anchor(key, path)
    _rewrite(engine, cases[0], 4, "mallory")
    (problem,) = engine.check_anchors(path, key.public_key())
    assert problem.seq == 5 and "na event 3 (nog gelijk aan het anker van 2026-01-05" in str(problem)


def test_removed_last_events_are_found(engine, cases, key, tmp_path):
    from sqlalchemy import delete

    from engine.store.models import EventRow

    path = tmp_path / "anchors.jsonl"
    engine.anchor(key, path)
    with engine.store.write() as tx:
        tx.session.execute(delete(EventRow).where(EventRow.case_id == cases[1], EventRow.seq == 3))
        tx.case(cases[1]).last_seq, tx.case(cases[1]).last_hash = 2, tx.events(cases[1])[-1].hash
    problems = [str(p) for p in engine.check_anchors(path, key.public_key())]
    assert problems == [f"zaak {cases[1]}, event 3: dit event staat in het anker van 2026-01-05T09:00:00+00:00, maar "
                        "is weg: events zijn verwijderd"]


def test_a_changed_or_removed_anchor_line_and_another_key_are_found(engine, cases, key, tmp_path):
    path = tmp_path / "anchors.jsonl"
    engine.anchor(key, path)
    engine.anchor(key, path)
    lines = path.read_text().splitlines()
    path.write_text(lines[0].replace('"access":[]', '"access":[1,"x"]') + "\n" + lines[1] + "\n")
    problems = [str(p) for p in engine.check_anchors(path, key.public_key())]
    assert "anker: de handtekening van anker 1 (2026-01-05T09:00:00+00:00) klopt niet" in problems
    assert any("anker 2 (2026-01-05T09:00:00+00:00) sluit niet aan op het anker ervoor" in p for p in problems)
    path.write_text(lines[1] + "\n")
    assert any("sluit niet aan" in str(p) for p in engine.check_anchors(path, key.public_key()))
    other = tmp_path / "ander.pem"
    anchors.generate_key(other)
    assert any("getekend met een andere sleutel" in str(p)
               for p in engine.check_anchors(path, anchors.load_private(other).public_key()))


def test_keys_are_never_overwritten_and_bad_keys_are_explained(tmp_path):
    path = tmp_path / "k.pem"
    anchors.generate_key(path)
    assert oct(path.stat().st_mode)[-3:] == "600"
    with pytest.raises(AnchorError, match="bestaat al"):
        anchors.generate_key(path)
    with pytest.raises(AnchorError, match="bestaat niet"):
        anchors.load_private(tmp_path / "nee.pem")
    (tmp_path / "kapot.pem").write_text("geen sleutel")
    with pytest.raises(AnchorError, match="geen bruikbare Ed25519-sleutel"):
        anchors.load_private(tmp_path / "kapot.pem")
