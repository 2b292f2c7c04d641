"""The password policy for local accounts (BIO 9.4.3; NCSC's advice on passwords).

A new password must be at least ``MIN_LENGTH`` characters, at most ``MAX_LENGTH`` (hashing a megabyte
would be a way to load the server), not one of the 20,000 most common passwords (the list Django ships,
``data/common-passwords.txt.gz``, plus Dutch words people use), and not the username. No rules about
digits or capitals: length and a blocklist stop guessing better and annoy less.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from .errors import RegieError

MIN_LENGTH = 12
MAX_LENGTH = 256
_LIST = Path(__file__).parent / "data" / "common-passwords.txt.gz"
_DUTCH = ("wachtwoord", "welkom", "welkom01", "welkom123", "geheim", "geheim123", "regie", "gemeente",
          "gemeente123", "zomer2026", "winter2026", "voorjaar2026", "najaar2026", "wachtwoord123",
          "wachtwoord01", "hallo123", "qwerty123456", "welkomwelkom", "wachtwoord1234")

_RUNS = ("0123456789" * 30, "9876543210" * 30, "abcdefghijklmnopqrstuvwxyz" * 10, "qwertyuiopasdfghjklzxcvbnm" * 10)


class WeakPassword(RegieError):
    """The new password does not meet the policy; the message says what to change."""


@cache
def _common() -> frozenset[str]:
    with gzip.open(_LIST, "rt", encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip()) | frozenset(_DUTCH)


def check_policy(password: str, username: str = "") -> None:
    """Raise ``WeakPassword`` when ``password`` may not be used for account ``username``."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Kies een wachtwoord van minstens {MIN_LENGTH} tekens. Een zin van een paar woorden "
                           "is makkelijk te onthouden en moeilijk te raden.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Kies een wachtwoord van hoogstens {MAX_LENGTH} tekens.")
    lowered = password.lower()
    if lowered in _common() or len(set(lowered)) <= 2 or any(lowered in run for run in _RUNS):
        raise WeakPassword("Dit wachtwoord wordt veel gebruikt en is makkelijk te raden. Kies een ander wachtwoord.")
    if username and username.lower() in lowered:
        raise WeakPassword("Uw gebruikersnaam mag niet in uw wachtwoord staan. Kies een ander wachtwoord.")
