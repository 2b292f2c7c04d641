"""The functions and methods a model may call, and the data attributes it may read."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from ..region import local
from .limits import LOCAL_TZ
from .messages import NUMBER_TOO_BIG, Refusal, _shown

_METHODS: dict[type, frozenset[str]] = {
    dict: frozenset({"get", "keys", "values", "items"}),
    str: frozenset({"lower", "upper", "strip", "startswith", "endswith"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
}
_ALL_METHODS = frozenset().union(*_METHODS.values())
_DATA_ATTRIBUTES: dict[type, frozenset[str]] = {
    date: frozenset({"year", "month", "day"}),
    datetime: frozenset({"year", "month", "day", "hour", "minute", "second"}),
    timedelta: frozenset({"days", "seconds"}),
}


def _as_date(value: Any) -> date:
    """A date from a date, a datetime (its day in Dutch time) or an ISO text such as 2024-01-31."""
    if isinstance(value, datetime):
        return local(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            try:
                return _as_date(datetime.fromisoformat(value.strip()))
            except ValueError:
                pass
    raise Refusal(f"{_shown(repr(value))[:60]} is geen geldige datum. Schrijf een datum als "
                   "JJJJ-MM-DD, bijvoorbeeld 2024-01-31.")


def _make_date(year: int, month: int, day: int) -> date:
    return date(year, month, day)


def _make_datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
                   second: int = 0) -> datetime:
    """A moment in Dutch time (the tz-aware result compares correctly with now())."""
    return datetime(year, month, day, hour, minute, second, tzinfo=LOCAL_TZ)


def _make_timedelta(days: float = 0, *, weeks: float = 0, hours: float = 0, minutes: float = 0,
                    seconds: float = 0) -> timedelta:
    return timedelta(days=days, weeks=weeks, hours=hours, minutes=minutes, seconds=seconds)


def _add_months(value: Any, months: int) -> date:
    """Same day ``months`` later (or earlier); the 31st becomes the month's last day if needed."""
    if type(value) is str:
        value = _as_date(value)
    if not isinstance(value, date) or type(months) is not int:
        raise Refusal("add_months(datum, aantal) verwacht een datum en een heel getal.")
    if abs(months) > 12 * 10_000:
        raise Refusal(NUMBER_TOO_BIG)
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        raise Refusal("de datum valt buiten de kalender (jaar 1 tot 9999).")
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))


def _days_between(start: Any, end: Any) -> int:
    """Calendar days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (_as_date(end) - _as_date(start)).days


def _round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and (type(ndigits) is not int or abs(ndigits) > 100):
        raise Refusal("round(getal, cijfers): het aantal cijfers moet een heel getal tot 100 zijn.")
    return round(number, ndigits)


def _sum(values: Any, start: Any = 0) -> Any:
    total = start
    for value in values:
        if type(value) not in (int, float, bool, timedelta):
            raise Refusal("sum(...) werkt alleen met getallen (of tijdsduren).")
        total = total + value
    return total


def _without_key(function: Callable[..., Any], allowed: frozenset[str]) -> Callable[..., Any]:
    """The builtin without ``key=``: a model cannot hand in a function."""

    def call(*args: Any, **options: Any) -> Any:
        if not options.keys() <= allowed:
            raise Refusal(f"{function.__name__}(...) kent alleen de opties: "
                           f"{', '.join(sorted(allowed)) or 'geen'}.")
        return function(*args, **options)

    call.__name__ = function.__name__
    return call


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len, "min": _without_key(min, frozenset({"default"})),
    "max": _without_key(max, frozenset({"default"})), "sum": _sum, "round": _round, "abs": abs,
    "int": int, "float": float, "str": str, "bool": bool,
    "sorted": _without_key(sorted, frozenset({"reverse"})), "any": any, "all": all,
    "list": list, "dict": dict, "set": set,
    "date": _make_date, "datetime": _make_datetime, "timedelta": _make_timedelta,
    "parse_date": _as_date, "add_months": _add_months, "days_between": _days_between,
}
_CLOCK_FUNCTIONS = frozenset({"today", "now"})
