"""Configuration of the web app, in layers: these defaults, then ``instance/config.py`` or the
environment (``REGIE_*``, e.g. ``REGIE_DATABASE_URL``, ``REGIE_SECRET_KEY``), then a test override."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask


class Defaults:
    DATABASE_URL = "sqlite:///instance/regie.db"
    SECRET_KEY: str | None = None          # taken from instance/secret_key when not configured
    PAGE_SIZE = 25
    SERVER_TIMING = False                  # REGIE_SERVER_TIMING=true: Server-Timing header (benchmarks)
    TIMELINE_PAGE_SIZE = 40                # events per page of a case's timeline
    DEMO = False                           # REGIE_DEMO=1: the login page lists the demo accounts
    CLOCK = None                           # tests pass a ManualClock; else the system clock
    IDS = None                             # tests pass SequentialIds; else random UUIDs
    ENGINE_CACHE_SIZE = 512
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None   # None: Secure unless in demo mode (plain-HTTP testing: false)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)     # a session unused this long ends (BIO 9.4.2)
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=9)   # and any session ends after one working day
    PERMANENT_SESSION_LIFETIME = timedelta(hours=9)
    # The cookie is signed and sent again only when its content changes (the idle clock moves at most once a
    # minute, web/auth.py), not on every response: the timeouts are enforced on the server either way.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_CLOCK = None                   # tests pass a ManualClock; else real time (not the engine's clock)
    PROXY_COUNT = 0                        # reverse proxies in front (for the client address and https)
    WTF_CSRF_TIME_LIMIT = 9 * 3600
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    AUDIT_UNMASK_USERS = None              # REGIE_AUDIT_UNMASK_USERS=anna,piet: only they may show personal data
    AUDIT_TIMELINE_PAGE_SIZE = 50
    AUDIT_ANCHOR_FILE = "instance/anchors.jsonl"   # written by `regie audit anchor`; checked by the verify button
    AUDIT_ANCHOR_PUBLIC_KEY = None         # base64 or a file; without it the anchors are not checked on the page          # events per page of the auditor's timeline
    FOUR_EYES = False                      # REGIE_FOUR_EYES=true: a second policy officer approves a new version
    CASEMANAGER_LABEL = "Casemanager"      # what the holder of a case is called; Heerenveen: REGIE_CASEMANAGER_LABEL=Meitinker


def load(app: Flask, override: dict | None) -> None:
    """Apply the layers in order; later layers win."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("REGIE")
    if override:
        app.config.update(override)
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = not app.config["DEMO"]
    for key in ("SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_LIFETIME"):     # minutes, from the environment
        if isinstance(app.config[key], int | float):
            app.config[key] = timedelta(minutes=app.config[key])
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _instance_secret(folder: Path) -> str:
    """A secret key kept in the instance folder, made once, so sessions survive a restart."""
    path = folder / "secret_key"
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
