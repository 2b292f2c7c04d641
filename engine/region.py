"""The municipality's time zone and locale: one setting for the engine, the CLI and the web app.

``REGIE_TIMEZONE`` (default ``Europe/Amsterdam``) and ``REGIE_LOCALE`` (default ``nl_NL``) are read once, here.
One rule for date-times without a zone, wherever they come from (a model, a form, the CLI's ``--now``, a
clock): they mean the municipality's time. Inside the store every moment is UTC; what leaves the store is
always timezone-aware, so nothing outside it ever sees a naive date-time.

Numbers people type are read the way the locale writes them (Babel): in Dutch ``1.234,56`` is 1234.56 and
``1,5`` is 1.5; ``1.5`` is neither and is refused with what the writer probably meant, never read as 15.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, format_decimal, parse_decimal

from .errors import RegieError

TIMEZONE_SETTING = "REGIE_TIMEZONE"
LOCALE_SETTING = "REGIE_LOCALE"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RegieError(f"{TIMEZONE_SETTING}={name!r} is geen tijdzone. Gebruik bijvoorbeeld Europe/Amsterdam.") from None


def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        raise RegieError(f"{LOCALE_SETTING}={name!r} is geen taal en land. Gebruik bijvoorbeeld nl_NL.") from None


TIMEZONE: ZoneInfo = _zone(os.environ.get(TIMEZONE_SETTING) or "Europe/Amsterdam")
LOCALE: Locale = _locale(os.environ.get(LOCALE_SETTING) or "nl_NL")


def aware(moment: datetime) -> datetime:
    """``moment`` with a zone: a date-time without one is the municipality's time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=TIMEZONE)


def local(moment: datetime) -> datetime:
    """``moment`` in the municipality's time (for showing it, or for the day it falls on)."""
    return aware(moment).astimezone(TIMEZONE)


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (for storing and comparing)."""
    return aware(moment).astimezone(UTC)


class NotANumber(ValueError):
    """Text that is not a number in the locale; ``suggestions`` are what the writer may have meant."""

    def __init__(self, text: str, suggestions: list[str]):
        super().__init__(text)
        self.text = text
        self.suggestions = suggestions


def parse_number(text: str) -> Decimal:
    """The number in ``text`` as the locale writes it (``1.234,56``; a euro sign and spaces are allowed)."""
    cleaned = "".join(text.replace("€", "").split())
    try:
        return parse_decimal(cleaned, locale=LOCALE, strict=True)
    except NumberFormatError as err:
        raise NotANumber(text, list(err.suggestions or [])) from None


def format_number(value: Decimal | int | float, decimals: int | None = None) -> str:
    """``value`` written the locale's way (``1.234,5``); ``decimals``: exactly that many (``12,50``)."""
    if decimals is None:
        return format_decimal(value, locale=LOCALE, decimal_quantization=False)
    return format_decimal(value, format="#,##0." + "0" * decimals if decimals else "#,##0", locale=LOCALE)
