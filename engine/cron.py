"""Quartz cron schedules, as Camunda 7 models write them in a ``timeCycle`` (``0 0 9 * * ?``).

Six or seven fields: seconds, minutes, hours, day of month, month, day of week and an optional year.
Each field takes ``*``, a value, a list (``MON,WED``), a range (``MON-FRI``, also across the end:
``FRI-MON``) and a step (``0/15``, ``*/5``, ``8-18/2``). Day of month also takes ``L`` (the last
day), ``L-3`` (three days before it), ``15W`` (the weekday nearest the 15th, within the month) and
``LW`` (the last weekday); day of week takes ``L`` (Saturday), ``6L`` (the last Friday of the month)
and ``6#3`` (the third Friday). Quartz counts the days of the week from Sunday: 1 = SUN … 7 = SAT.
One of day of month and day of week is ``?`` (no value); a ``*`` there is read as ``?``.

Why not a library: the cron packages on PyPI follow Unix cron (five fields, 0 = Sunday, no ``W``)
or are no longer maintained; read with Unix rules a Quartz ``2`` would be Tuesday instead of Monday.

Times are wall-clock times of the municipality (``engine.region.TIMEZONE``). On the night the clocks
go forward a time that does not exist that day (02:30) fires an hour later, at 03:30, as Quartz does;
on the night they go back a time that happens twice (02:30) fires once, the first time.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .region import TIMEZONE

MONTHS = {name: number for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
DAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
LAST_YEAR = 2199
EXAMPLE = "0 0 9 ? * MON-FRI (werkdagen om 9 uur) of 0 0/15 * * * ? (elk kwartier)"

# Looks like a cron schedule (six or seven fields of cron characters): used to tell a cron with a
# mistake from any other text.
LOOKS_LIKE = re.compile(r"^[0-9*/,\-]+( [0-9A-Za-z*?/,#\-]+){4,6}$")


class CronError(ValueError):
    """A cron schedule that cannot be read; the message (Dutch) says which field and what to write."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


_FIELDS = (
    _Field("seconden", 0, 59), _Field("minuten", 0, 59), _Field("uren", 0, 23),
    _Field("dag van de maand", 1, 31), _Field("maand", 1, 12, MONTHS), _Field("dag van de week", 1, 7, DAYS),
    _Field("jaar", 1970, LAST_YEAR),
)


@dataclass(frozen=True)
class Cron:
    """A parsed Quartz schedule; ``next_after`` gives its occurrences."""

    text: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int] | None            # day of month; None: any (or decided by day of week)
    last_day_offset: int | None            # L, L-3
    nearest_weekday: int | None            # 15W
    last_weekday: bool                     # LW
    months: frozenset[int]
    weekdays: frozenset[int] | None        # Quartz numbering, 1 = Sunday
    last_of_weekday: int | None            # 6L
    nth_weekday: tuple[int, int] | None    # 6#3 -> (6, 3)
    years: frozenset[int] | None

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after ``moment`` (UTC), or None when there is none (a past year)."""
        after = moment.astimezone(UTC)
        start = after.astimezone(TIMEZONE)
        day = start.date()
        while day.year <= LAST_YEAR:
            if self.years is not None and day.year not in self.years:
                later = [y for y in self.years if y > day.year]
                if not later:
                    return None
                day = date(min(later), 1, 1)
                continue
            if day.month not in self.months:
                day = _first_of_next_month(day)
                continue
            if self._day_matches(day):
                # On the first day only the hours from an hour before now: a wall time two hours
                # earlier is earlier in UTC too, also on the nights the clocks change.
                found = self._first_time(day, after, start.hour - 1 if day == start.date() else 0)
                if found is not None:
                    return found
            day += timedelta(days=1)
        return None

    def _first_time(self, day: date, after: datetime, from_hour: int) -> datetime | None:
        for hour in (h for h in self.hours if h >= from_hour):
            for minute in self.minutes:
                for second in self.seconds:
                    # fold=0: a time that happens twice is the first; a time in the spring gap maps
                    # past it (02:30 -> 03:30), as java.util.Calendar does for Quartz.
                    wall = datetime.combine(day, time(hour, minute, second), TIMEZONE)
                    moment = wall.astimezone(UTC)
                    if moment > after:
                        return moment
        return None

    def _day_matches(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        weekday = day.isoweekday() % 7 + 1          # Quartz: 1 = Sunday
        if self.weekdays is not None and weekday not in self.weekdays:
            return False
        if self.last_of_weekday is not None and not (weekday == self.last_of_weekday and day.day + 7 > last):
            return False
        if self.nth_weekday is not None:
            wanted, nth = self.nth_weekday
            if not (weekday == wanted and (day.day - 1) // 7 + 1 == nth):
                return False
        if self.days is not None and day.day not in self.days:
            return False
        if self.last_day_offset is not None and day.day != last - self.last_day_offset:
            return False
        if self.nearest_weekday is not None and day.day != _nearest_weekday(day.year, day.month,
                                                                           min(self.nearest_weekday, last)):
            return False
        if self.last_weekday and day.day != _nearest_weekday(day.year, day.month, last):
            return False
        return True


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _nearest_weekday(year: int, month: int, number: int) -> int:
    """Quartz's ``W``: the weekday (Monday to Friday) nearest the day, without leaving the month."""
    last = calendar.monthrange(year, month)[1]
    weekday = date(year, month, number).weekday()   # 5 = Saturday, 6 = Sunday
    if weekday == 5:
        return number - 1 if number > 1 else number + 2
    if weekday == 6:
        return number + 1 if number < last else number - 2
    return number


def looks_like_cron(text: str) -> bool:
    """Meant as a cron schedule (five to seven fields of cron characters, the first a number or ``*``, with
    a ``*`` or ``?``, or six or seven such fields): read it as one, and say what is wrong if it is not valid."""
    stripped = " ".join(text.split())
    if not LOOKS_LIKE.match(stripped):
        return False
    return any(c in stripped for c in "*?") or len(stripped.split()) in (6, 7)


def parse(text: str) -> Cron:
    """Read a Quartz cron schedule; a ``CronError`` says what is wrong in Dutch."""
    parts = text.upper().split()
    if len(parts) not in (6, 7):
        raise CronError(f"een cron-schema heeft 6 of 7 velden (seconden, minuten, uren, dag van de maand, maand, "
                        f"dag van de week en eventueel jaar), dit heeft er {len(parts)}. Schrijf bijvoorbeeld {EXAMPLE}.")
    second, minute, hour, dom, month, dow = parts[:6]
    year = parts[6] if len(parts) == 7 else "*"
    if dom == "?" and dow == "?":
        raise CronError(f"dag van de maand en dag van de week zijn allebei '?'. Zet bij één van de twee een waarde "
                        f"of '*'. Schrijf bijvoorbeeld {EXAMPLE}.")
    if dom not in ("?", "*") and dow not in ("?", "*"):
        raise CronError(f"dag van de maand ({dom}) en dag van de week ({dow}) hebben allebei een "
                        f"waarde; dat kan Quartz niet. Zet bij één van de twee een '?'. Schrijf bijvoorbeeld {EXAMPLE}.")
    fields = dict(zip(("s", "m", "h", "month", "year"), _FIELDS[0:3] + (_FIELDS[4], _FIELDS[6]), strict=True))
    days, last_offset, nearest, last_weekday = _day_of_month(dom)
    weekdays, last_of, nth = _day_of_week(dow)
    return Cron(
        text=" ".join(text.split()),
        seconds=tuple(sorted(_values(second, fields["s"]))),
        minutes=tuple(sorted(_values(minute, fields["m"]))),
        hours=tuple(sorted(_values(hour, fields["h"]))),
        days=days, last_day_offset=last_offset, nearest_weekday=nearest, last_weekday=last_weekday,
        months=frozenset(_values(month, fields["month"])),
        weekdays=weekdays, last_of_weekday=last_of, nth_weekday=nth,
        years=None if year == "*" else frozenset(_values(year, fields["year"])),
    )


def _day_of_month(text: str) -> tuple[frozenset[int] | None, int | None, int | None, bool]:
    field = _FIELDS[3]
    if text in ("?", "*"):
        return None, None, None, False
    if text == "LW":
        return None, None, None, True
    if text == "L" or text.startswith("L-"):
        offset = _number(text[2:], field, 0, 30) if text != "L" else 0
        return None, offset, None, False
    if text.endswith("W"):
        return None, None, _number(text[:-1], field, 1, 31), False
    return frozenset(_values(text, field)), None, None, False


def _day_of_week(text: str) -> tuple[frozenset[int] | None, int | None, tuple[int, int] | None]:
    field = _FIELDS[5]
    if text in ("?", "*"):
        return None, None, None
    if text == "L":
        return frozenset({7}), None, None
    if text.endswith("L"):
        return None, _value(text[:-1], field), None
    if "#" in text:
        day, _, nth = text.partition("#")
        return None, None, (_value(day, field), _number(nth, field, 1, 5))
    return frozenset(_values(text, field)), None, None


def _values(text: str, field: _Field) -> set[int]:
    found: set[int] = set()
    for part in text.split(","):
        if not part:
            raise _wrong(text, field)
        base, slash, step_text = part.partition("/")
        step = _number(step_text, field, 1, field.high - field.low + 1) if slash else 1
        if base in ("*", "?") or (slash and base == ""):
            low, high = field.low, field.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _value(first, field), _value(last, field)
        else:
            low = _value(base, field)
            high = field.high if slash else low
        span = high - low if high >= low else high - low + field.high - field.low + 1   # FRI-MON goes round
        for offset in range(0, span + 1, step):
            value = low + offset
            found.add(value if value <= field.high else value - (field.high - field.low + 1))
    return found


def _value(text: str, field: _Field) -> int:
    if field.names and text in field.names:
        return field.names[text]
    return _number(text, field, field.low, field.high)


def _number(text: str, field: _Field, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise _wrong(text, field, low, high)
    return int(text)


def _wrong(text: str, field: _Field, low: int | None = None, high: int | None = None) -> CronError:
    low, high = field.low if low is None else low, field.high if high is None else high
    names = f" of {'-'.join(list(field.names)[::len(field.names) - 1])}" if field.names else ""
    return CronError(f"'{text.lower()}' kan niet in het veld {field.name}: gebruik {low} tot en met {high}{names}, "
                     f"'*', een lijst (1,3) of een stap (0/15). Schrijf bijvoorbeeld {EXAMPLE}.")
