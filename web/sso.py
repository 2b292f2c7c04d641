"""Single sign-on with OpenID Connect (authorization code + PKCE, Authlib), next to local accounts.

Configured with ``OIDC_ISSUER`` (the provider's issuer URL; its discovery document is read from
``<issuer>/.well-known/openid-configuration``), ``OIDC_CLIENT_ID``, ``OIDC_CLIENT_SECRET`` and
``OIDC_ROLE_MAP``: the provider's group (or role) values -> Regie roles, e.g.
``{"regie-casemanagers": "casemanager", "GG-Regie-Coordinatoren": ["coordinator", "casemanager"]}``.
Which claims hold the username, the name and the groups is configurable too (``OIDC_*_CLAIM``), so
Entra ID (``groups`` with object ids), Keycloak (``groups``) and ADFS (``role``) all work.

The provider decides who someone is and which groups they are in; Regie decides what the groups may do.
At every login the account's roles are set from the groups (a change is logged in ``account_events``);
someone with no mapped group gets no account. An account that functioneel beheer deactivated stays out,
whatever the provider says. A local account with the same username is never taken over.
"""

from __future__ import annotations

import json
import logging

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from requests.exceptions import RequestException

from engine.accounts import ROLES, sso_account

from .auth import CurrentUser, _safe_target, client_digest, landing, start_session
from .services import engine, now

bp = Blueprint("sso", __name__, url_prefix="/login/sso")
log = logging.getLogger("regie.auth")

DEFAULTS = {
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    "OIDC_SCOPES": "openid profile email groups",
    "OIDC_USERNAME_CLAIM": "preferred_username",
    "OIDC_NAME_CLAIM": "name",
    "OIDC_GROUPS_CLAIM": "groups",
    "OIDC_ROLE_MAP": {},
    "OIDC_PROVIDER_NAME": "uw organisatie",     # the button says: Inloggen via <this>
}


def init_app(app: Flask) -> None:
    """Register the blueprint only when a provider is configured (else the routes do not exist)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    if not app.config["OIDC_ISSUER"]:
        return
    if isinstance(app.config["OIDC_ROLE_MAP"], str):
        app.config["OIDC_ROLE_MAP"] = json.loads(app.config["OIDC_ROLE_MAP"])
    oauth = OAuth(app)
    oauth.register(
        "regie", client_id=app.config["OIDC_CLIENT_ID"], client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": app.config["OIDC_SCOPES"], "code_challenge_method": "S256"},
    )
    app.extensions["regie.oidc"] = oauth.regie
    app.register_blueprint(bp)


@bp.get("")
def start():
    """To the provider (a GET link: the login page's CSP lets forms post only to Regie)."""
    target = _safe_target(request.args.get("volgende"))
    if target:
        session["sso_volgende"] = target
    try:
        return current_app.extensions["regie.oidc"].authorize_redirect(url_for("sso.callback", _external=True))
    except (OSError, ValueError, RequestException) as err:      # the provider does not answer
        log.error("oidc provider unavailable: %r", err)
        return _refused("Inloggen via uw organisatie lukt nu niet. Probeer het later opnieuw of log in met uw "
                        "wachtwoord.", 503)


@bp.get("/terug")
def callback():
    client = current_app.extensions["regie.oidc"]
    try:
        token = client.authorize_access_token()
    except (OAuthError, RequestException) as err:
        log.warning("login_failed via=oidc address=%s error=%s", client_digest(), getattr(err, "error", type(err).__name__))
        return _refused("Inloggen via uw organisatie is niet gelukt. Probeer het opnieuw.")
    claims = dict(token.get("userinfo") or {})
    if client.load_server_metadata().get("userinfo_endpoint"):
        claims.update(client.userinfo(token=token))
    config = current_app.config
    username = str(claims.get(config["OIDC_USERNAME_CLAIM"]) or claims.get("sub") or "").strip().lower()
    groups = claims.get(config["OIDC_GROUPS_CLAIM"]) or []
    groups = [groups] if isinstance(groups, str) else list(groups)
    roles = _roles(groups, config["OIDC_ROLE_MAP"])
    if not username:
        return _refused("Uw organisatie gaf geen gebruikersnaam door. Meld dit bij functioneel beheer.")
    if not roles:
        log.warning("login_refused via=oidc account=%s reason=no_role", username)
        return _refused("U heeft geen rol in Regie. Vraag functioneel beheer om u toegang te geven.")
    name = str(claims.get(config["OIDC_NAME_CLAIM"]) or username)
    user, problem = sso_account(engine().store, username, name, roles, now())
    if user is None:
        log.warning("login_refused via=oidc account=%s reason=%s", username, problem)
        return _refused({"inactive": "Uw account in Regie staat uit. Vraag functioneel beheer.",
                         "local": "Er is al een account met deze naam dat met een wachtwoord inlogt. Vraag "
                                  "functioneel beheer om het om te zetten."}[problem])
    target = _safe_target(session.pop("sso_volgende", None))
    start_session(user.username, "oidc")
    log.info("login account=%s address=%s via=oidc", user.username, client_digest())
    g.user = CurrentUser(user.username, user.name, frozenset(r for r in user.roles.split(",") if r))
    return redirect(target or landing())


def _roles(groups: list, role_map: dict) -> list[str]:
    found: list[str] = []
    for group in groups:
        mapped = role_map.get(str(group), [])
        for role in [mapped] if isinstance(mapped, str) else mapped:
            if role in ROLES and role not in found:
                found.append(role)
    return found


def _refused(message: str, status: int = 403):
    return render_template("auth/login.html", error=message, username="", target=None, demo=[], sso=True), status
