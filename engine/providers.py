"""Injected sources of time and identity.

Engine code never reads the wall clock or a random generator directly: it asks the providers it was
built with. Tests and replays pass a ``ManualClock`` and a ``SequentialIds`` and so run a case through
24 months in a second, with the same ids every time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Protocol

from .region import utc


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""


class IdSource(Protocol):
    def new_id(self) -> str:
        """A new unique identifier (a UUID string)."""


class SystemClock:
    """The real clock; the only place in the engine that reads the wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests, demos and replays."""

    def __init__(self, start: datetime | str = "2026-01-05T09:00:00+00:00"):
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime | str) -> None:
        self._now = as_utc(when)

    def advance(self, delta: timedelta | None = None, **kwargs) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


class RandomIds:
    """Random UUIDs; the production id source."""

    def new_id(self) -> str:
        return str(uuid.uuid4())


class SequentialIds:
    """Predictable UUIDs (derived from a counter) for tests and demos."""

    def __init__(self, prefix: str = "regie"):
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, prefix)
        self._counter = 0

    def new_id(self) -> str:
        self._counter += 1
        return str(uuid.uuid5(self._namespace, str(self._counter)))


def as_utc(value: datetime | str) -> datetime:
    """Parse an ISO-8601 string or take a datetime, and return it timezone-aware in UTC.

    A value without a timezone is the municipality's time, as everywhere (engine/region.py).
    """
    return utc(datetime.fromisoformat(value) if isinstance(value, str) else value)
