"""The engine, built once per app from ``DATABASE_URL`` and reachable from every view."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from engine import Engine, region

VIEWER = "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"


def init_app(app: Flask) -> None:
    engine = Engine.from_url(app.config["DATABASE_URL"], clock=app.config["CLOCK"], ids=app.config["IDS"],
                             cache_size=app.config["ENGINE_CACHE_SIZE"])
    app.extensions["regie.engine"] = engine
    # The diagram viewer is built into static/vendor by `make install` (npm); without it the case page
    # names the current step in words instead.
    app.jinja_env.globals["HAS_VIEWER"] = (Path(app.static_folder) / VIEWER).exists()


def engine() -> Engine:
    """The app's engine."""
    return current_app.extensions["regie.engine"]


def local_tz() -> ZoneInfo:
    """The municipality's time zone: REGIE_TIMEZONE, the one setting the engine and the CLI use too."""
    return region.TIMEZONE


def now() -> datetime:
    """The engine's current time (a ManualClock in tests), so 'overdue' means the same everywhere."""
    return engine().clock.now()


def day_end(moment: datetime | None = None) -> datetime:
    """The end of the local day of ``moment`` (default: now), as an aware datetime."""
    local = (moment or now()).astimezone(local_tz())
    return datetime.combine(local.date() + timedelta(days=1), time(0), local_tz())


def today() -> date:
    """The municipality's date now (for 'no birth date in the future')."""
    return now().astimezone(local_tz()).date()
