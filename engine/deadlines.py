"""Due and follow-up dates of user tasks (``camunda:dueDate`` / ``camunda:followUpDate``, or ``regie:…``).

A value is one of:

- an ISO-8601 duration counted from the moment the task becomes ready (``P2D``, ``PT24H``), as Camunda
  Modeler writes it;
- an ISO date-time (``2026-03-31T12:00:00+01:00``; without a zone it is Dutch time);
- an ISO date (``2026-03-31``): the end of that working day, 17:00 Dutch time;
- an expression (ours or JUEL, ``${…}``) over the case data that yields one of the above, a date,
  a date-time, or a ``timedelta`` (counted from the moment the task becomes ready).

The moment is stored in UTC on the task (``tasks.due_at``, ``tasks.follow_up_at``); a task is
*overdue* once its due moment has passed and it is still open (``Engine.overdue``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .errors import ExpressionFailed
from .region import TIMEZONE, utc
from .spiff import ISO_TIMER

DUTCH_TIME = TIMEZONE  # the municipality's time (engine/region.py)
END_OF_DAY = time(17, 0)   # a deadline given as a bare date: the end of that working day


def resolve_date(value: str | None, now: datetime, names: dict[str, Any], evaluator) -> datetime | None:
    """The moment ``value`` stands for, in UTC, or None when there is no value."""
    if not value:
        return None
    text = value.strip()
    if not ISO_TIMER.match(text):
        from .expressions import juel_to_expression

        result = evaluator.evaluate(juel_to_expression(text) if "${" in text else text, names)
        if result is None or result == "":
            return None
        moment = _moment(result, now)
        if moment is not None:
            return moment
        text = str(result).strip()
    try:
        if text.upper().startswith("P"):
            parsed = TimerEventDefinition.parse_iso_duration(text)
            return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
        if len(text) == 10:
            return _end_of(date.fromisoformat(text))
        return _utc(datetime.fromisoformat(text))
    except Exception as err:  # the timer parser raises bare Exception for a bad duration
        raise ExpressionFailed(value, f"'{text}' is geen datum of duur (zoals P2D of 2026-03-31).") from err


def _moment(result: Any, now: datetime) -> datetime | None:
    """A date, date-time or duration the expression gave back, as a UTC moment (None for text)."""
    if isinstance(result, datetime):
        return _utc(result)
    if isinstance(result, date):
        return _end_of(result)
    if isinstance(result, timedelta):
        return now + result
    return None


def _end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, DUTCH_TIME).astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    """A date-time without a zone is Dutch time (what a policy officer means when typing one)."""
    return utc(moment)
