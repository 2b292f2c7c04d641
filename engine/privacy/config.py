"""The per-process privacy settings: purpose, legal basis and retention period after closure.

The shipped defaults are ``engine/privacy/processes.yaml``; a municipality points
``REGIE_PRIVACY_CONFIG`` at its own copy. A process without an entry is never removed by retention
(it has no period) and the register says the entry is missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from ..errors import PrivacyError

DEFAULT_CONFIG = Path(__file__).with_name("processes.yaml")


@dataclass(frozen=True)
class Retention:
    years: int = 0
    days: int = 0

    def ends(self, closed_at: datetime) -> datetime:
        """The moment the period that started at ``closed_at`` ends (29 February moves to 28 February)."""
        from datetime import timedelta

        year = closed_at.year + self.years
        try:
            moved = closed_at.replace(year=year)
        except ValueError:
            moved = closed_at.replace(year=year, day=28)
        return moved + timedelta(days=self.days)

    def dutch(self) -> str:
        parts = []
        if self.years:
            parts.append(f"{self.years} jaar")
        if self.days:
            parts.append(f"{self.days} dag{'en' if self.days != 1 else ''}")
        return " en ".join(parts) or "direct"


@dataclass(frozen=True)
class ProcessPrivacy:
    process_id: str
    purpose: str
    legal_basis: str
    retention: Retention


def load(path: str | Path | None = None) -> dict[str, ProcessPrivacy]:
    """The settings per process id from ``path`` (else ``REGIE_PRIVACY_CONFIG``, else the defaults)."""
    where = Path(path or os.environ.get("REGIE_PRIVACY_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = yaml.safe_load(where.read_text(encoding="utf-8")) or {}
    except OSError as err:
        raise PrivacyError(f"Het privacybestand {where} is niet te lezen ({err.strerror}). "
                           "Controleer REGIE_PRIVACY_CONFIG.") from err
    except yaml.YAMLError as err:
        raise PrivacyError(f"Het privacybestand {where} is geen geldige YAML. Controleer de opmaak.") from err
    processes = raw.get("processes") if isinstance(raw, dict) else None
    if not isinstance(processes, dict):
        raise PrivacyError(f"Het privacybestand {where} mist 'processes:'. Zet daaronder een blok per proces.")
    found = {}
    for process_id, entry in processes.items():
        found[process_id] = _entry(where, str(process_id), entry)
    return found


def _entry(where: Path, process_id: str, entry) -> ProcessPrivacy:
    def fail(what: str) -> PrivacyError:
        return PrivacyError(f"{where}, proces '{process_id}': {what}")

    if not isinstance(entry, dict):
        raise fail("geef purpose, legal_basis en retention.")
    unknown = sorted(set(entry) - {"purpose", "legal_basis", "retention"})
    if unknown:
        raise fail(f"onbekend onderdeel '{unknown[0]}'. Toegestaan: purpose, legal_basis, retention.")
    for key in ("purpose", "legal_basis"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise fail(f"'{key}' ontbreekt. Schrijf het {'doel' if key == 'purpose' else 'wettelijke grondslag'} "
                       "in een zin.")
    period = entry.get("retention")
    if not isinstance(period, dict) or not period or set(period) - {"years", "days"} or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in period.values()):
        raise fail("'retention' moet een bewaartermijn zijn, bijvoorbeeld {years: 7} of {days: 30} "
                   "(hele getallen, 0 of meer).")
    return ProcessPrivacy(process_id, entry["purpose"].strip(), entry["legal_basis"].strip(),
                          Retention(period.get("years", 0), period.get("days", 0)))
