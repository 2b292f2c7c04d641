"""Messages and signals from other systems: delivered to the cases that wait for them, or starting cases.

A **message** (``Engine.correlate_message``) goes to exactly one case, following Camunda 7's correlation
rules: the cases that wait for a message of that name (an intermediate message catch event, a receive task,
a message boundary event — interrupting or not — or the message start of an event subprocess) are narrowed
by the business key (the case number, the case id, or the business key given at the case's start) and by
process variables (every given field must equal the case's data). Exactly one case left: the message is
caught there and its variables become case data. No case waits, but a process starts with this message and
the sender named no existing case (no variables to match; no business key, or one no case has yet, which
becomes the new case's business key): a case of that process starts, with the variables as its start data.
Nothing at all: ``NoCaseWaits`` (the API's 404) — a message is never dropped silently. Several cases:
``SeveralCasesWait`` (409) names them, and nothing is delivered.

The sender gives every message its own id. The answer is stored with that id in the same transaction as the
case's step, so the same id again gets the same answer and nothing is written twice. Two different messages
racing for one waiting case: the case row is locked for the step, and whoever comes second finds the case no
longer waiting (``MessageTaken``, 409).

A **signal** (``Engine.broadcast_signal``) goes to every case that waits for it (signal catch events,
boundary events, event subprocess starts), each case in a transaction of its own, and starts a case of every
process that starts with it; the answer says which cases it reached. With a signal id the broadcast is
idempotent too: the cases already reached are skipped, the finished answer is given again.

Each delivery is an event in the case's hash-chained log (``message_received``, ``signal_received``, or
the ``trigger`` of ``case_started``), applied by ``engine.cases.apply_event``, so replay and verify
rebuild it. Which running cases can wait for a name is read from the ``active`` column (where each case
stands) and the catching elements of its version, so nothing extra is kept in step with every command.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from sqlalchemy.exc import IntegrityError

from .audit import Event, canonical_json
from .casenumbers import canonical, looks_like_number
from .cases import CaseStalled, normalise, waiting_for
from .dialects.bpmn import _b
from .errors import ConflictError, FieldProblem, IncidentError, InvalidData, NotFoundError, RegieError
from .limits import check_input

if TYPE_CHECKING:
    from .definitions import ProcessVersion
    from .runtime import Engine

MESSAGE, SIGNAL = "message", "signal"
KINDS = {MESSAGE: MessageEventDefinition, SIGNAL: SignalEventDefinition}
_NAME = re.compile(r"^\S(.{0,198}\S)?$")
_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,200}$")


@dataclass(frozen=True)
class Delivery:
    """What the sender of a message is told: the case it reached (or started) and where it was caught."""

    message_id: str
    name: str
    case_id: str
    case_number: str
    started: bool                       # the message started this case
    elements: tuple[str, ...] = ()      # the elements that caught it (empty for a start)
    repeated: bool = False              # the same message id came before: this is the first answer

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "elements": list(self.elements)}


@dataclass(frozen=True)
class Broadcast:
    """What the sender of a signal is told: the cases it reached, the cases it started, where it failed."""

    name: str
    signal_id: str | None
    cases: tuple[str, ...] = ()         # case numbers of running cases that caught it
    started: tuple[str, ...] = ()       # case numbers of cases it started
    failed: tuple[str, ...] = ()        # case numbers (or process ids) where the step was refused: see incidents
    repeated: bool = False
    reached: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "reached", len(self.cases) + len(self.started))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "signal_id": self.signal_id, "cases": list(self.cases),
                "started": list(self.started), "failed": list(self.failed), "repeated": self.repeated,
                "reached": self.reached}


class NoCaseWaits(NotFoundError):
    def __init__(self, name: str, business_key: str | None, correlation: dict[str, Any]):
        where = []
        if business_key:
            where.append(f"zaak {business_key}")
        if correlation:
            where.append(", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in correlation.items()))
        super().__init__(
            f"Geen zaak wacht op dit bericht ('{name}'{' bij ' + '; '.join(where) if where else ''}), en geen proces "
            "start ermee. Er is niets opgeslagen. Controleer de naam van het bericht en de kenmerken, of stuur het "
            "opnieuw als de zaak zover is.")


class SeveralCasesWait(ConflictError):
    def __init__(self, name: str, numbers: list[str]):
        shown = ", ".join(numbers[:10]) + (f" en {len(numbers) - 10} meer" if len(numbers) > 10 else "")
        super().__init__(
            f"{len(numbers)} zaken wachten op bericht '{name}' met deze kenmerken ({shown}). Er is niets opgeslagen. "
            "Geef het zaaknummer (business_key) of meer kenmerken (correlation) mee, zodat er precies één zaak "
            "overblijft.")


class MessageTaken(ConflictError):
    def __init__(self, name: str, number: str):
        super().__init__(
            f"Zaak {number} wacht niet meer op bericht '{name}': een ander bericht of een medewerker was net eerder. "
            "Er is niets opgeslagen. Bekijk de zaak om te zien waar zij nu staat.")


class SeveralStarts(ConflictError):
    def __init__(self, name: str, processes: list[str]):
        super().__init__(
            f"Bericht '{name}' start zaken van {len(processes)} processen ({', '.join(processes)}); welk is niet "
            "duidelijk. Er is niets opgeslagen. Geef elk proces een eigen startbericht.")


class MessageIdReused(ConflictError):
    def __init__(self, kind: str, message_id: str, other: str):
        what = "bericht" if kind == MESSAGE else "signaal"
        super().__init__(
            f"Het {what}-id '{message_id}' is al gebruikt voor {what} '{other}'. Geef elk {what} een eigen id; "
            "er is niets opgeslagen.")


# --- what each version waits for -------------------------------------------------------------------

_CATCHES: dict[str, dict[tuple[str, str], frozenset[str]]] = {}
_STARTS: dict[str, tuple[str, str] | None] = {}


def catches(version: ProcessVersion) -> dict[tuple[str, str], frozenset[str]]:
    """(kind, name) -> the ids of the elements of ``version`` that catch that message or signal."""
    found = _CATCHES.get(version.id)
    if found is None:
        collected: dict[tuple[str, str], set[str]] = {}
        for spec in [version.spec, *version.subprocess_specs.values()]:
            for task_spec in spec.task_specs.values():
                definition = getattr(task_spec, "event_definition", None)
                if not isinstance(task_spec, CatchingEvent) or definition is None:
                    continue
                for kind, cls in KINDS.items():
                    if isinstance(definition, cls):
                        collected.setdefault((kind, definition.name), set()).add(task_spec.bpmn_id or task_spec.name)
        found = _CATCHES.setdefault(version.id, {k: frozenset(v) for k, v in collected.items()})
    return found


def start_trigger(version: ProcessVersion) -> tuple[str, str] | None:
    """(kind, name) when the process starts with a message or a signal (its one top-level start event)."""
    if version.id in _STARTS:
        return _STARTS[version.id]
    found = None
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for text in (version.bundle.get("bpmn") or {}).values():
        root = etree.fromstring(text.encode("utf-8"), parser=parser)
        for process in root.iter(_b("process")):
            starts = process.findall(_b("startEvent"))
            if process.get("id") != version.process_id or len(starts) != 1:
                continue
            for child in starts[0]:
                for kind, tag, ref, table in ((MESSAGE, "messageEventDefinition", "messageRef", "message"),
                                              (SIGNAL, "signalEventDefinition", "signalRef", "signal")):
                    if child.tag != _b(tag):
                        continue
                    target = next((m for m in root.iter(_b(table)) if m.get("id") == child.get(ref)), None)
                    name = (target.get("name") if target is not None else None) or starts[0].get("name")
                    if name:
                        found = (kind, name)
    _STARTS[version.id] = found
    return found


# --- checking what comes in ---------------------------------------------------------------------------


def _check(kind: str, name: str, message_id: str | None, required: bool) -> tuple[str, str | None]:
    what = "bericht" if kind == MESSAGE else "signaal"
    name, message_id = (name or "").strip(), (message_id or "").strip() or None
    problems = []
    if not _NAME.match(name):
        problems.append(FieldProblem("name", f"Geef de naam van het {what} (1 tot 200 tekens), zoals in het model."))
    if message_id is None and required:
        problems.append(FieldProblem("message_id", f"Geef het {what} een eigen id (bijvoorbeeld een UUID), zodat "
                                                  "het niet dubbel aankomt als u het opnieuw stuurt."))
    elif message_id is not None and not _ID.match(message_id):
        problems.append(FieldProblem("message_id" if kind == MESSAGE else "signal_id",
                                     "Een id heeft 1 tot 200 tekens: letters, cijfers en . _ : @ / + = -."))
    if problems:
        raise InvalidData(problems)
    return name, message_id


def _check_correlation(correlation: dict[str, Any] | None) -> dict[str, Any]:
    correlation = normalise(check_input(correlation or {}))
    if not isinstance(correlation, dict):
        raise InvalidData([FieldProblem("correlation", "Geef de kenmerken als velden met waarden.")])
    for key, value in correlation.items():
        if isinstance(value, (dict, list)):
            raise InvalidData([FieldProblem(f"correlation.{key}", "Een kenmerk is één waarde (tekst, getal, ja/nee), "
                                                                  "geen lijst of object.")])
    return correlation


# --- finding the cases ----------------------------------------------------------------------------------


def _waiting_cases(engine: Engine, kind: str, name: str, business_key: str | None = None,
                   correlation: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(case id, number) of the running cases that wait for ``name`` and match the business key/variables."""
    from .store import messages as sql

    with engine.store.read() as tx:
        if business_key:
            rows = [(c.id, c.number, c.active, c.data, c.version_id) for c in _cases_named(tx, business_key)
                    if c.status == "running"]
            versions = {r[4] for r in rows}
        else:
            versions = set(sql.running_versions(tx))
            rows = None
    waiting_in = {v: catches(engine.version(v)).get((kind, name), frozenset()) for v in versions}
    if rows is None:
        with engine.store.read() as tx:
            rows = sql.running_cases(tx, [v for v, elements in waiting_in.items() if elements],
                                     set().union(*waiting_in.values()))
    found = []
    for case_id, number, active, data, version_id in rows:
        if not waiting_in.get(version_id, frozenset()) & set(json.loads(active or "[]")):
            continue
        if correlation:
            values = json.loads(data or "{}")
            if any(key not in values or values[key] != value for key, value in correlation.items()):
                continue
        found.append((case_id, number or case_id))
    return found


def _cases_named(tx, business_key: str) -> list:
    """The cases a business key names: by case number or case id, else by the key given at their start."""
    from .store import messages as sql

    key = business_key.strip()
    case = tx.case_by_number(canonical(key)) if looks_like_number(key) else tx.case(key)
    return [case] if case is not None else sql.cases_with_business_key(tx, key)


def check_business_key(business_key: str) -> str:
    key = (business_key or "").strip()
    if not _NAME.match(key):
        raise InvalidData([FieldProblem("business_key", "Een business key heeft 1 tot 200 tekens, zonder spaties aan "
                                                        "het begin of eind.")])
    return key


def keep_business_key(key: str, within=None):
    """A ``within`` for ``Engine.start`` that stores the case's business key (and runs ``within`` after it)."""
    from .store import messages as sql

    def keep(step, case_id: str) -> None:
        sql.add_business_key(step.tx, case_id, key)
        if within is not None:
            within(step, case_id)

    return keep


def _starting(engine: Engine, kind: str, name: str) -> list[str]:
    """The processes whose current version starts with message/signal ``name``."""
    found = []
    for process in engine.processes():
        version = engine.version(process["version_id"])
        if not version.documentation and start_trigger(version) == (kind, name):
            found.append(process["id"])
    return found


# --- messages -------------------------------------------------------------------------------------------


def correlate(engine: Engine, name: str, message_id: str, business_key: str | None = None,
              correlation: dict[str, Any] | None = None, variables: dict[str, Any] | None = None,
              actor: str = "system") -> Delivery:
    """See ``Engine.correlate_message`` and the module docstring."""
    name, checked_id = _check(MESSAGE, name, message_id, required=True)
    message_id = checked_id or ""   # required: _check refused a missing id
    correlation = _check_correlation(correlation)
    variables = normalise(check_input(variables or {}))
    if not isinstance(variables, dict):
        raise InvalidData([FieldProblem("variables", "Geef de gegevens van het bericht als velden met waarden.")])
    business_key = (business_key or "").strip() or None
    try:
        repeated = _answered(engine, MESSAGE, message_id, name)
        if repeated is not None:
            return repeated
        cases = _waiting_cases(engine, MESSAGE, name, business_key, correlation)
        if len(cases) > 1:
            raise SeveralCasesWait(name, [number for _, number in cases])
        if cases:
            return _deliver(engine, cases[0][0], name, message_id, variables, actor)
        # A start message only when the sender names no existing case (Camunda: instance restrictions such as
        # processInstanceVariableEquals apply to waiting executions, never to start events; a business key no
        # case has yet becomes the new case's business key).
        processes = _starting(engine, MESSAGE, name) if not correlation and not _named(engine, business_key) else []
        if len(processes) > 1:
            raise SeveralStarts(name, processes)
        if processes:
            return _start_by_message(engine, processes[0], name, message_id, variables, actor, business_key)
        repeated = _answered(engine, MESSAGE, message_id, name)    # the same id delivered since the first look
        if repeated is not None:
            return repeated
        raise NoCaseWaits(name, business_key, correlation)
    except IntegrityError:
        # The same message id was delivered at the same moment by another worker: that answer stands.
        repeated = _answered(engine, MESSAGE, message_id, name)
        if repeated is None:
            raise
        return repeated


def _answered(engine: Engine, kind: str, message_id: str | None, name: str, tx=None):
    """The stored answer of an earlier delivery with this id (marked ``repeated``), or None."""
    from .store import messages as sql

    if message_id is None:
        return None
    if tx is None:
        with engine.store.read() as tx:
            row = sql.delivery(tx, kind, message_id)
    else:
        row = sql.delivery(tx, kind, message_id)
    if row is None:
        return None
    if row.name != name:
        raise MessageIdReused(kind, message_id, row.name)
    answer = json.loads(row.answer)
    if kind == MESSAGE:
        return Delivery(**{**answer, "elements": tuple(answer["elements"]), "repeated": True})
    answer.pop("reached", None)
    return Broadcast(**{**answer, **{k: tuple(answer[k]) for k in ("cases", "started", "failed")},
                        "repeated": True})


def _record(tx, kind: str, message_id: str, case_id: str, name: str, answer: Any, at: datetime, actor: str) -> None:
    from .store import messages as sql
    from .store.models import MessageDeliveryRow

    sql.add_delivery(tx, MessageDeliveryRow(kind=kind, message_id=message_id, case_id=case_id, name=name,
                                            answer=canonical_json(answer), at=at, actor=actor))


def _deliver(engine: Engine, case_id: str, name: str, message_id: str, variables: dict[str, Any],
             actor: str) -> Delivery:
    now = engine.clock.now()
    try:
        with engine.commands.step(actor) as step:
            case = step.lock_case(case_id)
            repeated = _answered(engine, MESSAGE, message_id, name, step.tx)   # the same id, a moment earlier
            if repeated is not None:
                return repeated
            if case is None:     # removed (retention) since it was found
                raise MessageTaken(name, case_id)
            waiting = waiting_for(step.live.workflow, KINDS[MESSAGE], name) if case.status == "running" else []
            if not waiting:
                raise MessageTaken(name, case.number or case.id)
            elements = sorted({element for element, _ in waiting})
            payload = {"name": name, "message_id": message_id, "variables": variables, "elements": elements}
            step.persist(step.apply(Event("message_received", payload), now), now)
            delivery = Delivery(message_id, name, case.id, case.number or "", False, tuple(elements))
            _record(step.tx, MESSAGE, message_id, "", name, delivery.to_dict(), now, actor)
    except IncidentError as err:
        if isinstance(err.__cause__, CaseStalled):
            engine._record_incident(case_id, err, now, actor)
        raise
    return delivery


def _named(engine: Engine, business_key: str | None) -> bool:
    """Whether ``business_key`` names a case that exists (a case number, a case id, or a key given at start)."""
    if business_key is None:
        return False
    if looks_like_number(business_key):
        return True
    with engine.store.read() as tx:
        return bool(_cases_named(tx, business_key))


def _start_by_message(engine: Engine, process_id: str, name: str, message_id: str, variables: dict[str, Any],
                      actor: str, business_key: str | None = None) -> Delivery:
    answers: list[Delivery] = []

    def record(step, case_id: str) -> None:
        delivery = Delivery(message_id, name, case_id, step.case.number or "", True, ())
        _record(step.tx, MESSAGE, message_id, "", name, delivery.to_dict(), engine.clock.now(), actor)
        answers.append(delivery)

    engine.start(process_id, variables, actor, business_key=business_key,
                 trigger={"message": name, "message_id": message_id}, within=record)
    return answers[0]


# --- signals --------------------------------------------------------------------------------------------


def broadcast(engine: Engine, name: str, signal_id: str | None = None, actor: str = "system") -> Broadcast:
    """See ``Engine.broadcast_signal`` and the module docstring."""
    from .store import messages as sql

    name, signal_id = _check(SIGNAL, name, signal_id, required=False)
    repeated = _answered(engine, SIGNAL, signal_id, name)
    if repeated is not None:
        return repeated
    done: dict[str, str] = {}
    if signal_id:
        with engine.store.read() as tx:
            done = sql.delivered_to(tx, SIGNAL, signal_id)
    reached, started, failed = [], [], []
    for case_id, number in _waiting_cases(engine, SIGNAL, name):
        outcome = "reached" if case_id in done else _signal_case(engine, case_id, name, signal_id, actor)
        if outcome == "reached":
            reached.append(done.get(case_id, number))
        elif outcome == "failed":
            failed.append(number)
    for process_id in _starting(engine, SIGNAL, name):
        marker = f"start:{process_id}"
        if marker in done:
            started.append(done[marker])
            continue
        try:
            numbers: list[str] = []

            def record(step, case_id: str, marker=marker, numbers=numbers) -> None:
                numbers.append(step.case.number or case_id)
                if signal_id:
                    _record(step.tx, SIGNAL, signal_id, marker, name, step.case.number or case_id,
                            engine.clock.now(), actor)

            engine.start(process_id, {}, actor, trigger={"signal": name, "signal_id": signal_id}, within=record)
            started.extend(numbers)
        except IntegrityError:  # the same signal id, broadcast at this moment by another worker, started it
            with engine.store.read() as tx:
                started.append(sql.delivered_to(tx, SIGNAL, signal_id or "").get(marker, process_id))
        except RegieError:     # a start form that needs data, a step refused: the sender reads which process
            failed.append(process_id)
    answer = Broadcast(name, signal_id, tuple(reached), tuple(started), tuple(failed))
    if signal_id:
        try:
            with engine.store.write() as tx:
                _record(tx, SIGNAL, signal_id, "", name, answer.to_dict(), engine.clock.now(), actor)
        except IntegrityError:
            return _answered(engine, SIGNAL, signal_id, name)
    return answer


def _signal_case(engine: Engine, case_id: str, name: str, signal_id: str | None, actor: str) -> str:
    """Deliver the signal to one case in its own transaction: "reached", "gone" (it no longer waits) or
    "failed" (the step was refused; an incident on the case says why)."""
    from .store import messages as sql

    now = engine.clock.now()
    try:
        with engine.commands.step(actor) as step:
            case = step.lock_case(case_id)
            if case is None:
                return "gone"
            if signal_id and sql.delivery(step.tx, SIGNAL, signal_id, case_id) is not None:
                return "reached"
            waiting = waiting_for(step.live.workflow, KINDS[SIGNAL], name) if case.status == "running" else []
            if not waiting:
                return "gone"
            elements = sorted({element for element, _ in waiting})
            payload = {"name": name, "signal_id": signal_id, "elements": elements}
            step.persist(step.apply(Event("signal_received", payload), now), now)
            if signal_id:
                _record(step.tx, SIGNAL, signal_id, case_id, name, case.number or case_id, now, actor)
        return "reached"
    except IncidentError as err:
        if isinstance(err.__cause__, CaseStalled):
            engine._record_incident(case_id, err, now, actor)
        return "failed"
    except ConflictError:      # changed by someone else at this very moment: it is looked at again next time
        return "gone"
