"""Due and follow-up dates of user tasks (``camunda:dueDate`` / ``camunda:followUpDate``).

A value is a plain ISO-8601 duration counted from the moment the task becomes ready (``P2D``,
``PT24H``, as Camunda Modeler writes it), an ISO date or date-time, or an expression (ours or JUEL)
that yields one of those from the case data.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .errors import ExpressionFailed
from .providers import as_utc
from .spiff import ISO_TIMER


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
        if isinstance(result, datetime):
            return as_utc(result)
        if isinstance(result, date):
            return datetime.combine(result, time(17, 0), timezone.utc)
        text = str(result).strip()
    try:
        if text.upper().startswith("P"):
            parsed = TimerEventDefinition.parse_iso_duration(text)
            return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(17, 0), timezone.utc)
        return as_utc(text)
    except Exception as err:  # the timer parser raises bare Exception for a bad duration
        raise ExpressionFailed(value, f"'{text}' is geen datum of duur (zoals P2D of 2026-03-31).") from err
