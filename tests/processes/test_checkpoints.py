"""Time travel over a catalogue path with stored checkpoints gives the same case at every event as a full
replay from the start (the auditor's time-travel page is drawn from nothing else than that ``CaseAt``)."""

from __future__ import annotations

import pytest

from engine.audit import checkpoints
from engine.audit.travel import TimeTravel

from .conftest import Flow
from .test_hersteloperatie import intakes, to_evaluatie, to_intake


def _happy(flow):
    to_evaluatie(flow)
    flow.do("Task_Evaluatie", {"doelen_bereikt": "ja", "evaluatie_vervolg": "nazorg"})
    assert flow.later(days=93) >= 1                   # a timer fired
    flow.do("Task_NazorgCheckIn", {"nazorg_verslag": "Gaat goed", "nazorg_uitkomst": "stoppen"})
    assert flow.done()


def _crisis(flow):                                     # parallel branches
    to_intake(flow, dreigende_huisuitzetting=True)
    intakes(flow)
    flow.do("Task_CrisisAanpakken", {"crisis_acties_genomen": ["verhuurder_gebeld"], "crisis_afgewend": True})


@pytest.mark.parametrize("path", [_happy, _crisis], ids=["happy", "crisis"])
@pytest.mark.parametrize("every", [1, 3])
def test_time_travel_with_and_without_stored_checkpoints_is_the_same_at_every_event(engine, monkeypatch, path, every):
    monkeypatch.setattr(checkpoints, "EVERY", every)
    flow = Flow(engine, restore=False)
    path(flow)
    case_id = flow.case_id
    full = {m.seq: m for m in TimeTravel(engine, stored=False).walk(case_id)}       # no checkpoint at all
    assert engine.verify(case_id)                                                  # stores them
    with engine.store.read() as tx:
        from engine.store.checkpoints import stored_seqs

        assert stored_seqs(tx, case_id, checkpoints.FORMAT) == set(range(every, max(full) + 1, every))
    for seq, expected in full.items():
        assert TimeTravel(engine).at(case_id, seq) == expected, f"event {seq}"    # a first view: from the store
    stepping = TimeTravel(engine)                                                  # one process stepping back
    for seq in sorted(full, reverse=True):
        assert stepping.at(case_id, seq) == full[seq], f"event {seq}"
