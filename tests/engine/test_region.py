"""One time zone and locale setting (REGIE_TIMEZONE, REGIE_LOCALE) for the engine, the CLI and the web app,
and one meaning for a date-time without a zone: the municipality's time."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine import ManualClock, region
from engine.casenumbers import year_of
from engine.deadlines import DUTCH_TIME
from engine.expressions import Evaluator
from engine.forms import local_date
from engine.providers import as_utc

ROOT = Path(__file__).resolve().parents[2]


def _with_env(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


def test_the_time_zone_comes_from_one_setting_that_every_part_reads():
    code = ("from engine import region, deadlines; from engine.expressions import limits; "
            "from web import services; print(region.TIMEZONE, deadlines.DUTCH_TIME, limits.LOCAL_TZ)")
    shown = _with_env(code, REGIE_TIMEZONE="Europe/Brussels")
    assert shown.stdout.split() == ["Europe/Brussels"] * 3, shown.stderr


def test_an_unknown_time_zone_or_locale_is_a_clear_message():
    bad_zone = _with_env("import engine.region", REGIE_TIMEZONE="Europe/Atlantis")
    assert "REGIE_TIMEZONE='Europe/Atlantis' is geen tijdzone" in bad_zone.stderr
    bad_locale = _with_env("import engine.region", REGIE_LOCALE="xx_YY")
    assert "REGIE_LOCALE='xx_YY' is geen taal en land" in bad_locale.stderr


def test_a_date_time_without_a_zone_means_the_municipality_s_time_everywhere():
    naive = datetime(2026, 7, 1, 9, 0)                       # summer: Amsterdam is UTC+2
    expected = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert region.utc(naive) == expected
    assert as_utc("2026-07-01T09:00:00") == expected          # the clock, the CLI's --now
    assert ManualClock("2026-07-01T09:00:00").now() == expected
    assert region.local(expected).hour == 9 and region.local(expected).tzinfo is region.TIMEZONE
    assert DUTCH_TIME is region.TIMEZONE


def test_today_and_the_case_year_follow_the_municipality_s_day():
    new_year_utc = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January in Amsterdam
    assert local_date(new_year_utc).isoformat() == "2027-01-01"
    assert year_of(new_year_utc) == 2027
    evaluator = Evaluator(clock=lambda: new_year_utc)
    assert evaluator.evaluate("today()", {}).isoformat() == "2027-01-01"


@pytest.mark.parametrize("text, value", [
    ("1,5", Decimal("1.5")), ("1.234,56", Decimal("1234.56")), ("€ 12,50", Decimal("12.50")),
    ("1 234", Decimal("1234")), ("-7", Decimal("-7")),
])
def test_numbers_are_read_the_dutch_way(text, value):
    assert region.parse_number(text) == value


@pytest.mark.parametrize("text, meant", [("1.5", ["15", "1,5"]), ("12.50", ["1.250", "12,5"]), ("veel", [])])
def test_a_number_that_is_not_dutch_is_refused_with_what_was_meant(text, meant):
    with pytest.raises(region.NotANumber) as refused:
        region.parse_number(text)
    assert refused.value.suggestions == meant


def test_numbers_are_written_the_dutch_way():
    assert region.format_number(Decimal("1234.5")) == "1.234,5"
    assert region.format_number(1234.5, 2) == "1.234,50"        # euros on the overview
    assert region.format_number(0, 1) == "0,0" and region.format_number(7, 0) == "7"
