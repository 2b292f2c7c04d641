"""Logging in and out, the current user, and who may see what (roles from engine.accounts)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, session, url_for

from engine.accounts import DEMO_PASSWORD_SUFFIX, DEMO_USERS, ROLES, check_password, get_user

from .services import engine

bp = Blueprint("auth", __name__)

WORK_ROLES = ("casemanager", "specialist", "coordinator")   # roles that have an inbox


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


def _load_user() -> None:
    g.user = None
    if request.endpoint == "static":        # stylesheets and scripts are for everyone: no query per file
        return
    username = session.get("user")
    if not username:
        return
    row = get_user(engine().store, username)
    if row is None or not row.active:
        session.clear()
        return
    g.user = CurrentUser(row.username, row.name, frozenset(r for r in row.roles.split(",") if r))


def start_page(roles) -> str:
    """Where a user lands: policy staff without an inbox on the model library, everyone else on the inbox."""
    if "policy" in roles and not set(roles) & set(WORK_ROLES):
        return "modellen.index"
    return "inbox.index"


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = _safe_target(request.values.get("volgende"))
    if request.method == "POST":
        username = request.form.get("gebruikersnaam", "").strip()
        password = request.form.get("wachtwoord", "")
        user = check_password(engine().store, username, password) if username and password else None
        if user is not None:
            session.clear()
            session.permanent = True
            session["user"] = user.username
            return redirect(target or url_for(start_page(set(user.roles.split(",")))))
        error = ("Vul uw gebruikersnaam en wachtwoord in." if not username or not password
                 else "Gebruikersnaam of wachtwoord klopt niet. Probeer het opnieuw.")
        return render_template("auth/login.html", error=error, username=username, target=target,
                               demo=_demo_accounts()), 401
    return render_template("auth/login.html", error=None, username="", target=target, demo=_demo_accounts())


@bp.post("/uitloggen")
def logout():
    session.clear()
    flash("U bent uitgelogd.", "success")
    return redirect(url_for("auth.login"))


def _safe_target(value: str | None) -> str | None:
    """Only a path on this site (never another host) is a place to go back to after logging in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def _demo_accounts() -> list[tuple[str, str, str]]:
    from flask import current_app

    if not current_app.config["DEMO"]:
        return []
    return [(u, u + DEMO_PASSWORD_SUFFIX, ", ".join(ROLES[r] for r in roles)) for u, _, roles in DEMO_USERS]
