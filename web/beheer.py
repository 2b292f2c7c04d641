"""Account administration (``/beheer``) for functioneel beheer (role ``admin``): list, add, deactivate,
reset a password, set roles. Every change is an ``account_events`` row with who made it (``engine.accounts``).
Regie has no teams yet: a team is a role (the BPMN lane), so setting roles is setting teams.
"""

from __future__ import annotations

import json

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.accounts import ROLES, get_user, list_users, reset_password, roles_of, save_user, set_active, set_roles
from engine.errors import RegieError, UnknownUser
from engine.store.accounts import account_events

from .auth import roles_required
from .services import engine, now

bp = Blueprint("beheer", __name__, url_prefix="/beheer")
ACTIONS = {"added": "toegevoegd", "updated": "bijgewerkt", "deactivated": "uitgezet", "activated": "aangezet",
           "password_reset": "wachtwoord opnieuw ingesteld", "roles_set": "rollen gewijzigd"}


@bp.get("")
@roles_required("admin")
def index():
    with engine().store.read() as tx:
        events = account_events(tx, limit=20)
    return render_template("beheer/index.html", users=list_users(engine().store), roles=ROLES, roles_of=roles_of,
                           events=events, actions=ACTIONS)


@bp.route("/nieuw", methods=["GET", "POST"])
@roles_required("admin")
def new():
    values = {"gebruikersnaam": "", "naam": "", "rollen": []}
    error = None
    if request.method == "POST":
        values = {"gebruikersnaam": request.form.get("gebruikersnaam", "").strip().lower()[:100],
                  "naam": request.form.get("naam", "").strip()[:200], "rollen": request.form.getlist("rollen")}
        if get_user(engine().store, values["gebruikersnaam"]) is not None:
            error = f"Er is al een account {values['gebruikersnaam']}. Kies een andere gebruikersnaam."
        elif not values["naam"]:
            error = "Vul de naam van de medewerker in."
        else:
            try:
                save_user(engine().store, values["gebruikersnaam"], values["naam"], values["rollen"],
                          request.form.get("wachtwoord", ""), actor=g.user.username, at=now())
            except RegieError as err:
                error = str(err)
            else:
                flash(f"Account {values['gebruikersnaam']} is toegevoegd.", "success")
                return redirect(url_for("beheer.user", username=values["gebruikersnaam"]))
    return render_template("beheer/new.html", values=values, roles=ROLES, error=error), (422 if error else 200)


@bp.get("/<username>")
@roles_required("admin")
def user(username: str):
    row = get_user(engine().store, username)
    if row is None:
        raise UnknownUser(username)
    with engine().store.read() as tx:
        events = account_events(tx, username, limit=50)
    return render_template("beheer/user.html", user=row, roles=ROLES, held=roles_of(row), events=events,
                           actions=ACTIONS, details={e.id: json.loads(e.detail or "{}") for e in events})


@bp.post("/<username>/rollen")
@roles_required("admin")
def roles(username: str):
    return _change(username, lambda: set_roles(engine().store, username, request.form.getlist("rollen"),
                                               g.user.username, now()), "De rollen zijn opgeslagen.")


@bp.post("/<username>/wachtwoord")
@roles_required("admin")
def password(username: str):
    return _change(username, lambda: reset_password(engine().store, username, request.form.get("wachtwoord", ""),
                                                    g.user.username, now()),
                   "Het nieuwe wachtwoord is ingesteld. Geef het op een veilige manier door.")


@bp.post("/<username>/actief")
@roles_required("admin")
def active(username: str):
    on = request.form.get("actief") == "ja"
    return _change(username, lambda: set_active(engine().store, username, on, g.user.username, now()),
                   "Het account staat weer aan." if on else "Het account staat uit. De medewerker is uitgelogd.")


def _change(username: str, action, message: str):
    try:
        action()
    except UnknownUser:
        raise
    except RegieError as err:
        flash(str(err), "error")
    else:
        flash(message, "success")
    return redirect(url_for("beheer.user", username=username))


# --- API keys (system clients of the REST API, ``engine.apiclients``) -----------------------------------

@bp.route("/api-sleutels", methods=["GET", "POST"])
@roles_required("admin")
def api_keys():
    """The system clients, their recent calls, and a form for a new key: shown once, on this answer only."""
    from engine.apiclients import SCOPES

    values = {"naam": "", "scopes": []}
    error, made, key = None, None, None
    if request.method == "POST":
        values = {"naam": request.form.get("naam", "").strip()[:100], "scopes": request.form.getlist("scopes")}
        try:
            made, key = engine().api_clients.create(values["naam"], values["scopes"], actor=g.user.username)
        except RegieError as err:
            error = "; ".join(p.message for p in err.problems) if hasattr(err, "problems") else str(err)
        else:
            values = {"naam": "", "scopes": []}
    clients = engine().api_clients.list()
    names = {c.id: c.name for c in clients}
    calls = engine().api_clients.calls(limit=50)
    page = render_template("beheer/api_keys.html", clients=clients, calls=calls, names=names, scopes=SCOPES,
                           values=values, error=error, made=made, key=key)
    return page, (422 if error else 201 if key else 200)


@bp.post("/api-sleutels/<client_id>/intrekken")
@roles_required("admin")
def revoke_api_key(client_id: str):
    """Revoke a client's key: every call with it is refused from now on (``UnknownApiClient``: 404)."""
    revoked = engine().api_clients.revoke(client_id, actor=g.user.username)
    flash(f"De sleutel van {revoked.name} is ingetrokken. Elke aanroep ermee wordt vanaf nu geweigerd.", "success")
    return redirect(url_for("beheer.api_keys"))
