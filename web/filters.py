"""Jinja filters that show dates, ages and values the Dutch way, in the municipality's time zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask

from engine import region
from engine.accounts import ROLES
from engine.labels import readable

from .services import local_tz, now

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")
STATUS = {"running": "Lopend", "completed": "Afgerond"}


def datum(value: datetime | date | str | None) -> str:
    """'5 januari 2026' (a date, or the local date of a moment)."""
    if not value:
        return "–"
    if isinstance(value, str):
        value = _moment(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(local_tz()).date()
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _moment(value: str) -> datetime:
    """A stored ISO moment ('2026-01-05T09:00:00+00:00'); one without an offset is local time."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=local_tz())


def datum_kort(value: datetime | date | None) -> str:
    """'5 jan. 2026', for table cells."""
    if not value:
        return "–"
    if isinstance(value, datetime):
        value = value.astimezone(local_tz()).date()
    month = MONTHS[value.month - 1]
    return f"{value.day} {month if len(month) <= 4 else month[:3] + '.'} {value.year}"


def datumtijd(value: datetime | str | None) -> str:
    """'5 januari 2026, 10:00' in local time (also of an ISO moment as stored in an export)."""
    if not value:
        return "–"
    local = (_moment(value) if isinstance(value, str) else value).astimezone(local_tz())
    return f"{datum(local)}, {local:%H:%M}"


def leeftijd(value: datetime | None) -> str:
    """How long ago, in whole days: 'vandaag', '1 dag', '12 dagen'."""
    if not value:
        return "–"
    days = (now().astimezone(local_tz()).date() - value.astimezone(local_tz()).date()).days
    if days <= 0:
        return "vandaag"
    return "1 dag" if days == 1 else f"{days} dagen"


def iso(value: datetime | None) -> str:
    return value.astimezone(local_tz()).isoformat(timespec="minutes") if value else ""


def is_overdue(value: datetime | None) -> bool:
    return bool(value and value < now())


def waarde(value: Any) -> str:
    """A data value for reading: ja/nee, lists with commas, numbers with a decimal comma, 31-03-2026.
    For a form field's value with option labels, use ``engine.labels.Labels.value``."""
    return readable(value)


def short_id(value: str | None) -> str:
    """The case number as people say it: the first eight characters of the id."""
    return (value or "")[:8]


def zaaknummer(value: Any) -> str:
    """The case number people use: the human number (HO-2026-000123) where there is one, else the
    first eight characters of the id. Takes a case id, a case (``number``/``id``) or a task
    (``case_number``/``case_id``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:8]
    if hasattr(value, "case_id"):
        number, case_id = getattr(value, "case_number", None), value.case_id
    else:
        number, case_id = getattr(value, "number", None), getattr(value, "id", "")
    return number if number and number != case_id else (case_id or "")[:8]


def rollen(value: str | None) -> str:
    """'casemanager,coordinator' -> 'Casemanager, Coördinator'."""
    return ", ".join(ROLES.get(r, r) for r in (value or "").split(",") if r)


def getal(value, decimals: int = 2) -> str:
    """A number the municipality's way (engine/region.py): 1234.5 -> '1.234,50'."""
    return region.format_number(value or 0, decimals)


def init_app(app: Flask) -> None:
    for f in (datum, datum_kort, datumtijd, leeftijd, iso, waarde, short_id, zaaknummer, rollen, getal):
        app.add_template_filter(f)
    app.add_template_test(is_overdue, "overdue")
    from .access import may_claim, may_work_on, watermark
    from .assigning import pending

    app.jinja_env.globals["assign_pending"] = pending
    app.jinja_env.globals["may_claim"] = may_claim
    app.jinja_env.globals["may_work_on"] = may_work_on
    app.jinja_env.globals["watermark"] = watermark
    app.jinja_env.globals["STATUS"] = STATUS
    app.jinja_env.globals["ROLES"] = ROLES
