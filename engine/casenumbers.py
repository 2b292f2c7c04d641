"""Human case numbers: ``HO-2026-000123`` — a process prefix, the year the case started, a counter.

Caseworkers, residents and auditors quote a case by this number on the phone and in letters; the
engine accepts it wherever a case id is accepted (``Engine.resolve_case``). The counter is per prefix
and year, taken in the same transaction that stores the case, so numbers never repeat.
"""

from __future__ import annotations

import re
from datetime import datetime

from .region import local

# The catalogue's processes have the prefixes their users know; any other process gets the initials
# of its id (``schuld-hulp-traject`` → ``SHT``), or its first two letters when it is one word.
PREFIXES = {
    "hersteloperatie": "HO",
    "loket": "LO",
    "tsp": "TSP",
    "startscan": "SS",
    "steunpunt-inrichten": "SI",
    "tsp-inrichten": "TI",
}

NUMBER = re.compile(r"^(?P<prefix>[A-Z0-9]{1,6})-(?P<year>\d{4})-(?P<seq>\d{1,9})$")


def prefix(process_id: str) -> str:
    """The case-number prefix of a process."""
    known = PREFIXES.get(process_id)
    if known:
        return known
    words = [w for w in re.split(r"[^A-Za-z0-9]+", process_id) if w]
    if not words:
        return "Z"
    letters = "".join(w[0] for w in words) if len(words) > 1 else words[0][:2]
    return letters.upper()[:6]


def year_of(at: datetime) -> int:
    """The year a case started, in the municipality's time (a case started on 31 December at 23:30 UTC
    belongs to the next year in Amsterdam)."""
    return local(at).year


def format_number(case_prefix: str, year: int, seq: int) -> str:
    return f"{case_prefix}-{year}-{seq:06d}"


def looks_like_number(ref: str) -> bool:
    """Whether ``ref`` has the shape of a case number (any letter case)."""
    return NUMBER.match(ref.strip().upper()) is not None


def canonical(ref: str) -> str:
    """A case number as stored: upper case, the counter padded to six digits."""
    match = NUMBER.match(ref.strip().upper())
    if match is None:
        return ref
    return format_number(match["prefix"], int(match["year"]), int(match["seq"]))
