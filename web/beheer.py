"""Account administration (``/beheer``) for functioneel beheer (role ``admin``): list, add, deactivate,
reset a password, set roles, and team membership (``/beheer/teams``, ``engine.teams``). Every change is an
``account_events`` row with who made it (``engine.accounts``).
"""

from __future__ import annotations

import json

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.accounts import ROLES, get_user, list_users, reset_password, roles_of, save_user, set_active, set_roles
from engine.errors import InvalidData, RegieError, UnknownUser
from engine.store.accounts import account_events

from .auth import roles_required
from .services import engine, now

bp = Blueprint("beheer", __name__, url_prefix="/beheer")
ACTIONS = {"added": "toegevoegd", "updated": "bijgewerkt", "deactivated": "uitgezet", "activated": "aangezet",
           "password_reset": "wachtwoord opnieuw ingesteld", "roles_set": "rollen gewijzigd",
           "team_added": "als team gemaakt", "team_renamed": "als team hernoemd", "team_member_set": "in een team gezet",
           "team_member_removed": "uit een team gehaald", "team_process_set": "aan een proces gekoppeld",
           "team_process_removed": "van een proces losgekoppeld"}


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
                           actions=ACTIONS, details={e.id: json.loads(e.detail or "{}") for e in events},
                           teams=engine().teams.of_user(username))


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
    errors: dict[str, str] = {}             # field (naam, scopes; '' for the form) -> its message, each shown apart
    made, key = None, None
    if request.method == "POST":
        values = {"naam": request.form.get("naam", "").strip()[:100], "scopes": request.form.getlist("scopes")}
        try:
            made, key = engine().api_clients.create(values["naam"], values["scopes"], actor=g.user.username)
        except InvalidData as err:
            for p in err.problems:
                errors[p.field if p.field in ("naam", "scopes") else ""] = p.message
        except RegieError as err:
            errors[""] = str(err)
        else:
            values = {"naam": "", "scopes": []}
    clients = engine().api_clients.list()
    names = {c.id: c.name for c in clients}
    calls = engine().api_clients.calls(limit=50)
    page = render_template("beheer/api_keys.html", clients=clients, calls=calls, names=names, scopes=SCOPES,
                           values=values, errors=errors, made=made, key=key)
    return page, (422 if errors else 201 if key else 200)


@bp.post("/api-sleutels/<client_id>/intrekken")
@roles_required("admin")
def revoke_api_key(client_id: str):
    """Revoke a client's key: every call with it is refused from now on (``UnknownApiClient``: 404)."""
    revoked = engine().api_clients.revoke(client_id, actor=g.user.username)
    flash(f"De sleutel van {revoked.name} is ingetrokken. Elke aanroep ermee wordt vanaf nu geweigerd.", "success")
    return redirect(url_for("beheer.api_keys"))


# --- teams (``engine.teams``): members with a role per team, the processes (lanes) each team works --------

TEAM_ROLES = {"casemanager": "Casemanager", "specialist": "Specialist", "coordinator": "Coördinator"}


@bp.get("/teams")
@roles_required("admin")
def teams():
    """Every team with its members and processes, and the forms to change them."""
    return _teams_page()


def _teams_page(error: str | None = None, new: dict[str, str] | None = None) -> str:
    from engine.teams import TEAM_ROLES as ROLES_IN_TEAM

    users = [u for u in list_users(engine().store) if u.active and set(roles_of(u)) & set(ROLES_IN_TEAM)]
    return render_template("beheer/teams.html", teams=engine().teams.list(), users=users, roles=TEAM_ROLES,
                           processes={p["id"]: p["name"] for p in engine().processes()},
                           error=error, new=new or {"team": "", "naam": ""})


@bp.post("/teams")
@roles_required("admin")
def add_team():
    """A refused new team comes back with what was typed and the reason next to the form (a redirect lost both)."""
    typed = {"team": request.form.get("team", "").strip()[:50], "naam": request.form.get("naam", "").strip()[:200]}
    team_id = typed["team"].lower()
    try:
        engine().teams.add(team_id, typed["naam"], g.user.username)
    except RegieError as err:
        return _teams_page(error=str(err), new=typed), 422
    flash(f"Team {team_id} is opgeslagen.", "success")
    return redirect(url_for("beheer.teams"))


@bp.post("/teams/<team_id>/leden")
@roles_required("admin")
def team_member(team_id: str):
    username, role = request.form.get("gebruiker", "").strip(), request.form.get("rol", "")
    if not username:
        flash("Kies een medewerker om aan het team toe te voegen.", "error")
        return redirect(url_for("beheer.teams"))
    return _team_change(lambda: engine().teams.set_member(team_id, username, role, g.user.username),
                        f"{username} zit nu in team {team_id} als {TEAM_ROLES.get(role, role).lower()}.")


@bp.post("/teams/<team_id>/leden/<username>/weg")
@roles_required("admin")
def team_member_remove(team_id: str, username: str):
    """Two steps, without JavaScript: the button on the teams page asks first (a page with 'Ja' and 'Nee');
    only the form on that page (``bevestigd=ja``) takes the member out."""
    if request.form.get("bevestigd") != "ja":
        try:
            team = engine().teams.get(team_id)
        except RegieError as err:
            flash(str(err), "error")
            return redirect(url_for("beheer.teams"))
        member = next((m for m in team.members if m.username == username), None)
        if member is None:
            flash(f"{username} zit niet in team {team_id}.", "error")
            return redirect(url_for("beheer.teams"))
        return render_template("beheer/team_member_remove.html", team=team, member=member)
    return _team_change(lambda: engine().teams.remove_member(team_id, username, g.user.username),
                        f"{username} zit niet meer in team {team_id}.")


@bp.post("/teams/<team_id>/processen")
@roles_required("admin")
def team_process(team_id: str):
    process_id, lane = request.form.get("proces", "").strip(), request.form.get("baan", "").strip() or None
    if not process_id:
        flash("Kies het proces dat dit team doet.", "error")
        return redirect(url_for("beheer.teams"))
    return _team_change(lambda: engine().teams.assign_process(team_id, process_id, g.user.username, lane),
                        f"Team {team_id} doet nu {'de baan ' + lane + ' van ' if lane else ''}{process_id}.")


def _team_change(action, message: str):
    try:
        action()
    except RegieError as err:
        flash(str(err), "error")
    else:
        flash(message, "success")
    return redirect(url_for("beheer.teams"))


# --- webhooks (``engine.outbox.Webhooks``): other systems get case events POSTed, signed ------------------

WEBHOOK_FIELDS = {"name": "naam", "url": "adres", "event_types": "soorten", "process_id": "proces",
                  "personal": "systeem"}


@bp.route("/webhooks", methods=["GET", "POST"])
@roles_required("admin")
def webhooks():
    """The webhooks with what still waits, and a form for a new one: its signing secret is shown once, on this
    answer only. A refused form comes back with what was typed and the reason per field."""
    empty = {"naam": "", "adres": "", "soorten": "", "proces": "", "persoonlijk": False, "systeem": ""}
    values, errors, made, secret = dict(empty), {}, None, None
    clients = [c for c in engine().api_clients.list() if c.active]
    if request.method == "POST":
        form = request.form
        values = {"naam": form.get("naam", "").strip()[:100], "adres": form.get("adres", "").strip()[:500],
                  "soorten": form.get("soorten", "").strip()[:600], "proces": form.get("proces", "").strip()[:200],
                  "persoonlijk": form.get("persoonlijk") == "ja", "systeem": form.get("systeem", "").strip()[:100]}
        errors = _webhook_refusals(values, clients)
        if not errors:
            try:
                made, secret = engine().webhooks.create(
                    values["naam"], values["adres"], g.user.username, values["soorten"].replace(",", " ").split(),
                    values["proces"] or None, values["persoonlijk"])
            except RegieError as err:
                errors = ({WEBHOOK_FIELDS.get(p.field, "naam"): p.message for p in err.problems}
                          if isinstance(err, InvalidData) else {"naam": str(err)})
            else:
                values = dict(empty)
    page = render_template("beheer/webhooks.html", hooks=engine().webhooks.list(), values=values, errors=errors,
                           made=made, secret=secret, clients=clients,
                           processes={p["id"]: p["name"] for p in engine().processes()})
    return page, (422 if errors else 201 if secret else 200)


def _webhook_refusals(values: dict, clients: list) -> dict[str, str]:
    """What the web form adds to the engine's checks: https only, and payloads with personal data only for a
    system whose API key may read them (the API's rule: ``personal`` needs ``cases:read-personal``)."""
    errors = {}
    if values["adres"].lower().startswith("http://"):
        errors["adres"] = ("Gebruik een https-adres: via http kan iedereen onderweg de gebeurtenissen lezen. "
                           "Begin het adres met https://.")
    if values["persoonlijk"]:
        chosen = next((c for c in clients if c.name == values["systeem"]), None)
        if chosen is None:
            errors["systeem"] = "Kies het systeem dat de persoonsgegevens krijgt, of vink persoonsgegevens uit."
        elif not chosen.may("cases:read-personal"):
            errors["systeem"] = (f"De sleutel van {chosen.name} mag geen persoonsgegevens lezen. Geef dat systeem "
                                 "eerst die toestemming (API-sleutels), of vink persoonsgegevens uit.")
    return errors


@bp.post("/webhooks/<hook_id>/intrekken")
@roles_required("admin")
def revoke_webhook(hook_id: str):
    """Stop a webhook after a confirmation page (``bevestigd=ja``): nothing more is queued, and what still
    waits is not sent (``UnknownWebhook``: 404)."""
    from engine.outbox import UnknownWebhook

    hook = next((h for h in engine().webhooks.list() if h.id == hook_id), None)
    if hook is None:
        raise UnknownWebhook(hook_id)
    if request.form.get("bevestigd") != "ja":
        return render_template("beheer/webhook_revoke.html", hook=hook)
    engine().webhooks.revoke(hook.id, actor=g.user.username)
    flash(f"Webhook {hook.name} is gestopt. Regie stuurt er niets meer heen"
          + (f"; de {hook.pending} wachtende gebeurtenis(sen) worden niet meer verstuurd." if hook.pending else "."),
          "success")
    return redirect(url_for("beheer.webhooks"))
