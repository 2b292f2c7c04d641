"""Logging in and out, the current user, and who may see what (roles from engine.accounts).

A login is throttled per account and per client address before the password is checked
(``engine.throttle``); a session lives on the server (``engine.sessions``) and ends on logout, after
``SESSION_IDLE_TIMEOUT`` without a request, and after ``SESSION_ABSOLUTE_LIFETIME`` in any case.
Logins are logged to ``regie.auth`` with the account name and a keyed hash of the client address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from engine import SystemClock, sessions, throttle
from engine.accounts import DEMO_PASSWORD_SUFFIX, DEMO_USERS, ROLES, WORK_ROLES, check_password, get_user

from .services import engine

bp = Blueprint("auth", __name__)
_SYSTEM = SystemClock()
log = logging.getLogger("regie.auth")

__all__ = ["bp", "CurrentUser", "WORK_ROLES", "login_required", "roles_required", "start_session", "start_page", "landing"]


@dataclass(frozen=True)
class CurrentUser:
    username: str
    name: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_coordinator(self) -> bool:
        return "coordinator" in self.roles

    @property
    def role_names(self) -> list[str]:
        return [ROLES[r] for r in ROLES if r in self.roles]


def init_app(app: Flask) -> None:
    app.before_request(_load_user)


def now():
    """Real time for sessions and throttling (``SESSION_CLOCK``, default the system clock), not the
    engine's clock: a test or demo that moves case time forward by days must not log everyone out."""
    clock = current_app.config.get("SESSION_CLOCK") or _SYSTEM
    return clock.now()


def _load_user() -> None:
    """One query: the session row with its account. Ends a session that is revoked, idle or too old."""
    g.user = None
    if request.endpoint == "static":
        return
    token = session.get("sid")
    if not token:
        return
    found = sessions.find(engine().store, token)
    moment = now()
    config = current_app.config
    if found is None:
        session.clear()
        return
    seen = session.get("seen", 0)
    idle = moment.timestamp() - seen > config["SESSION_IDLE_TIMEOUT"].total_seconds()
    expired = moment - found.created_at > config["SESSION_ABSOLUTE_LIFETIME"]
    demo_outside_demo = found.source == "demo" and not config["DEMO"]
    if found.revoked_at is not None or not found.active or idle or expired or demo_outside_demo:
        if found.revoked_at is None:
            sessions.close(engine().store, token, moment)
        session.clear()
        return
    if moment.timestamp() - seen > 60:      # refresh the idle clock, at most once a minute
        session["seen"] = moment.timestamp()
    g.user = CurrentUser(found.username, found.name, frozenset(r for r in found.roles.split(",") if r))


def start_session(username: str, via: str) -> None:
    """A fresh session (and CSRF token) for ``username``; the old cookie's content is gone."""
    moment = now()
    token = sessions.open_session(engine().store, username, moment, via,
                                  forget_before=moment - current_app.config["SESSION_ABSOLUTE_LIFETIME"])
    session.clear()
    session.permanent = True
    session["sid"] = token
    session["seen"] = moment.timestamp()


def login_required(view):
    """Send a visitor who is not logged in to the login page, and back here afterwards."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", volgende=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: str):
    """Only users with one of ``roles``; others get the 403 page that says which roles may."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not g.user.has(*roles):
                abort(403, description=f"Deze pagina is voor: {', '.join(ROLES[r] for r in roles)}.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def start_page(roles) -> str:
    """The endpoint where a user starts: the inbox for caseworkers, else the first page their role has."""
    roles = set(roles)
    if roles & set(WORK_ROLES):
        return "inbox.index"
    for role, endpoint in (("admin", "beheer.index"), ("policy", "modellen.index"), ("auditor", "controle.index")):
        if role in roles and endpoint in current_app.view_functions:
            return endpoint
    return "inbox.index"


def landing() -> str:
    """The start page of the logged-in user."""
    return url_for(start_page(g.user.roles if g.user else ()))


def client_digest() -> str:
    """A keyed hash of the client address: enough to count and correlate attempts, not the address."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, (request.remote_addr or "-").encode("utf-8"), hashlib.sha256).hexdigest()[:16]


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = _safe_target(request.values.get("volgende"))
    if request.method == "POST":
        username = request.form.get("gebruikersnaam", "").strip()[:100]
        password = request.form.get("wachtwoord", "")[:1024]
        if not username or not password:
            return _login_page("Vul uw gebruikersnaam en wachtwoord in.", username, target, 401)
        address = client_digest()
        keys = throttle.keys(username, address)
        store, moment = engine().store, now()
        wait = throttle.blocked_for(store, keys, moment)
        if wait is not None:
            log.warning("login_blocked account=%s address=%s wait=%ds",
                        username if get_user(store, username) else "(unknown)", address, wait.total_seconds())
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            return _login_page(f"Er is te vaak een verkeerd wachtwoord ingevuld. Wacht {minutes} "
                               f"{'minuut' if minutes == 1 else 'minuten'} en probeer het dan opnieuw.",
                               username, target, 429)
        user = check_password(store, username, password, demo=bool(current_app.config["DEMO"]))
        if user is None:
            throttle.record_failure(store, keys, moment)
            # A name that is no account may be a password typed in the wrong field: never log it.
            known = get_user(store, username) is not None
            log.warning("login_failed account=%s address=%s", username if known else "(unknown)", address)
            return _login_page("Gebruikersnaam of wachtwoord klopt niet. Probeer het opnieuw.", username, target, 401)
        throttle.record_success(store, keys[0], moment)
        start_session(user.username, "password")
        log.info("login account=%s address=%s via=password", user.username, address)
        g.user = CurrentUser(user.username, user.name, frozenset(r for r in user.roles.split(",") if r))
        return redirect(target or landing())
    return _login_page(None, "", target, 200)


def _login_page(error: str | None, username: str, target: str | None, status: int):
    return render_template("auth/login.html", error=error, username=username, target=target,
                           demo=_demo_accounts(), sso=current_app.extensions.get("regie.oidc") is not None), status


@bp.post("/uitloggen")
def logout():
    token = session.get("sid")
    if token:
        sessions.close(engine().store, token, now())
        log.info("logout account=%s", g.user.username if g.user else "-")
    session.clear()
    flash("U bent uitgelogd.", "success")
    return redirect(url_for("auth.login"))


def _safe_target(value: str | None) -> str | None:
    """Only a path on this site (never another host) is a place to go back to after logging in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 2000:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in value):      # CR/LF would split the Location header
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def _demo_accounts() -> list[tuple[str, str, str]]:
    if not current_app.config["DEMO"]:
        return []
    return [(u, u + DEMO_PASSWORD_SUFFIX, ", ".join(ROLES[r] for r in roles)) for u, _, roles in DEMO_USERS]
