"""Compaction: a case's live workflow holds what its future needs, not its whole past.

SpiffWorkflow keeps every task a case ever ran in one task tree, and much of the library walks that
tree from its root: finding ready tasks in ``do_engine_steps``, waking waiting tasks after every
completed task, parallel and inclusive joins looking for their inputs. So each step costs time in
proportion to the case's history, and the tree iterator's depth limit (1,000) makes tasks deeper
than that invisible: a loop case stops after ~333 rounds. The case's event log already holds the full
history, so after every step ``compact`` drops the finished tasks no future step can look at.

What a future step can look at (and is therefore kept, with the path from the root down to it):

- every unfinished task (ready, waiting, started, future or predicted) and its parent — the parent's
  data is what a task inherits, its spec tells a join which incoming flow arrived, and boundary
  events, event-based gateways and multi-instance tasks find their structure through it;
- the root (the ``Start`` task: event sub-processes and ad-hoc paths hang off it) and ``last_task``;
- of a parallel or inclusive join: every arrived-but-not-yet-consumed token, i.e. a finished
  (cancelled) instance that is not behind an instance that already fired, with its parent;
- of a multi-instance or loop task under way: the instance merged last (its completion condition
  reads it).

Everything else is dropped; finished tasks on the path between two kept tasks are spliced out when
they have one kept child (ancestry between kept tasks is unchanged, so ``is_descendant_of`` answers
as before; a task's data is stored relative to its new parent). Sub-process workflows whose task
has finished are dropped. Tokens that ended at an end event while the process goes on (a
non-interrupting boundary path, a branch without a join) are folded into one: SpiffWorkflow merges
their data into the process's data when the process ends, so the fold keeps that merge's input.

``compact`` runs inside ``cases.apply_event`` after every command, for live steps and replays alike,
so a replay drops exactly the same tasks and rebuilds the stored state byte for byte. See
docs/long-cases.md for the reasoning and the measurements.
"""

from __future__ import annotations

from copy import deepcopy
from uuid import UUID

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import AdHocSubprocessSpec
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

_UNFINISHED = TaskState.NOT_FINISHED_MASK
_FINISHED = TaskState.FINISHED_MASK
_COMPLETED = TaskState.COMPLETED


def compact(workflow: BpmnWorkflow) -> int:
    """Drop every finished task (and finished sub-process) no future step can reach; returns how many."""
    dropped = _drop_finished_subprocesses(workflow)
    for sub in [workflow, *workflow.subprocesses.values()]:
        if not isinstance(sub.spec, AdHocSubprocessSpec):   # ad-hoc paths are the root's children: leave them
            dropped += _compact_tree(sub, workflow)
    return dropped + _drop_finished_subprocesses(workflow)


def _drop_finished_subprocesses(workflow: BpmnWorkflow) -> int:
    """Forget sub-process workflows whose task finished or is gone (its data was copied out then)."""
    dropped, changed = 0, True
    while changed:
        changed = False
        for task_id, sub in list(workflow.subprocesses.items()):
            owner = find_task(workflow, task_id)
            if owner is None or owner.has_state(_FINISHED):
                del workflow.subprocesses[task_id]
                dropped += len(sub.tasks)
                changed = True
    return dropped


def find_task(workflow: BpmnWorkflow, task_id: UUID):
    """The task with this id in the workflow or its subprocesses, or None (compacted away, or never there)."""
    task = workflow.tasks.get(task_id)
    if task is None:
        for sub in workflow.subprocesses.values():
            task = sub.tasks.get(task_id)
            if task is not None:
                break
    return task


def _compact_tree(wf, top: BpmnWorkflow) -> int:
    """Keep the needed tasks of one workflow's tree (see the module docstring); returns how many went."""
    tasks = wf.tasks
    needed = _needed(wf)
    kept: set[UUID] = set()
    for task_id in needed:
        task = tasks.get(task_id)
        while task is not None and task.id not in kept:
            kept.add(task.id)
            task = tasks.get(task._parent)
    kept_children = {tid: [c for c in tasks[tid]._children if c in kept] for tid in kept}
    survivors = set()
    stack = [wf.task_tree.id]
    while stack:
        tid = stack.pop()
        survivors.add(tid)
        children = []
        for child in kept_children[tid]:
            while child not in needed and len(kept_children[child]) == 1:   # a finished link in a chain
                child = kept_children[child][0]
            tasks[child]._parent = tid
            children.append(child)
        tasks[tid]._children = children
        stack.extend(reversed(children))
    gone = [tid for tid in tasks if tid not in survivors]
    for tid in gone:
        top.event_manager.remove_task(tasks.pop(tid))
    return len(gone)


def _needed(wf) -> set[UUID]:
    """Ids of the tasks a future step of this workflow can read (before adding their ancestors)."""
    needed = {wf.task_tree.id}
    if wf.last_task is not None:
        needed.add(wf.last_task.id)
    joins: dict[object, list] = {}
    for task in wf.tasks.values():
        spec = task.task_spec
        if task._state & _UNFINISHED:
            needed.add(task.id)
            if task._parent is not None:
                needed.add(task._parent)
            if isinstance(spec, LoopTask) and task.internal_data.get("merged"):
                needed.add(UUID(task.internal_data["merged"][-1]))
        if isinstance(spec, UnstructuredJoin):
            joins.setdefault(spec, []).append(task)
    for spec, instances in joins.items():
        arrived = _fold_ended_paths(wf, instances) if isinstance(spec, _EndJoin) else _unconsumed(wf, instances)
        for task in arrived:
            needed.add(task.id)
            needed.add(task._parent)
    return needed


def _unconsumed(wf, instances: list) -> list:
    """Finished instances of a join whose token still counts: not left behind by an instance that fired.

    SpiffWorkflow cancels a waiting instance when a newer one arrives, and the newer one still counts
    the cancelled one's input as arrived. Once an instance fires, every instance that is not its
    descendant is consumed; SpiffWorkflow would go on counting those in later rounds of a loop.
    """
    fired = [t for t in instances if t._state == _COMPLETED]
    return [
        t for t in instances
        if t._state & _FINISHED and t._state != _COMPLETED
        and all(_descends(wf, t, f) for f in fired)
    ]


def _descends(wf, task, ancestor) -> bool:
    parent = wf.tasks.get(task._parent)
    while parent is not None:
        if parent is ancestor:
            return True
        parent = wf.tasks.get(parent._parent)
    return False


def _fold_ended_paths(wf, instances: list) -> list:
    """Fold the tokens that reached an end event while the process goes on into the newest one.

    When the process ends, SpiffWorkflow merges the data of every such token (oldest first) into the
    process's data. Keeping one carrier whose data is that merge so far keeps the outcome while the
    tree stays small. Returns the carrier (or nothing).
    """
    ended = [t for t in instances if t._state & _FINISHED and t._state != _COMPLETED]
    if wf.completed or len(ended) < 2:
        return ended
    ended.sort(key=lambda t: t.last_state_change)   # stable: ties keep tree order, as SpiffWorkflow's sort
    carrier = ended[-1].parent
    merged = deepcopy(ended[0].parent.data)
    for task in ended[1:]:
        DeepMerge.merge(merged, task.parent.data)
    carrier.data = merged
    return [ended[-1]]
