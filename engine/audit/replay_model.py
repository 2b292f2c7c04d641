"""Replay a case's recorded inputs against model files that are not deployed (``regie replay --model``).

The files are compiled as a deploy would (validated, nothing stored; forms not in the files come from
the deployed versions), and the case's inputs are replayed on the version for the case's process with
the policy engine's ``engine.models.impact.replay_events``, which reports the first divergence.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..definitions import compile_models, read_sources
from ..errors import ModelError, ModelProblem


def replay_model_files(engine, case_id: str, paths: Iterable[str | Path], up_to: int | None = None):
    """The ``ReplayOutcome`` of replaying ``case_id`` (up to event ``up_to``) on the model in ``paths``."""
    from ..models.impact import replay_events

    sources = read_sources(paths)
    versions = compile_models(sources, engine.evaluator, engine._deployed_forms(), False)
    state = engine.state(case_id)
    target = next((v for v in versions if v.process_id == state.process_id), None)
    if target is None:
        raise ModelError([ModelProblem(", ".join(str(p) for p in paths), state.process_id,
                                       f"Deze bestanden bevatten het proces '{state.process_id}' van de zaak niet.")])
    with engine.store.read() as tx:
        case = tx.case(state.id)
        events = tx.events(state.id, up_to)
    return replay_events(engine, case.id, events, target, None, case.task_counter)
