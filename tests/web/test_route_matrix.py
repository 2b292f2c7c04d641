"""Every route x every role: who gets in, who is refused (a table, so a new route without a rule fails).

How to add a row for a route you add: one ``Route(endpoint, method, path, allowed, ok=...)`` in ``ROUTES``.
``path`` may use the placeholders that ``world()`` fills in (``{task}``, ``{case}``, ``{process}``; add your
own there). ``allowed`` are the roles that pass the route's rule and get ``ok``; every other logged-in
role gets ``refused`` (403), and a visitor who is not logged in gets ``anonymous`` ("login": a redirect to
the login page). ``data`` is the form posted (CSRF is off in this app; it has tests of its own).

``test_every_route_has_a_row`` fails when the app has a route (endpoint + method) that the table does not
name, or the table names one the app no longer has.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from engine import SequentialIds
from engine.store import UserRow
from tests.conftest import MODELS
from web import create_app

ROLES = ("anonymous", "casemanager", "specialist", "coordinator", "policy", "auditor", "admin")
USERS = ROLES[1:]                   # one account per role, named after it, holding only that role
EVERYONE = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
LOGGED_IN = frozenset(USERS)
WORK = frozenset({"casemanager", "specialist", "coordinator"})
CASE_STARTERS = frozenset({"casemanager", "coordinator"})
ADMIN = frozenset({"admin"})
TEAM = frozenset({"casemanager", "coordinator"})
POLICY = frozenset({"policy"})
AUDIT = frozenset({"auditor"})
AUDIT_SEARCH = frozenset({"auditor", "coordinator"})     # the test task is in the casemanager lane


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str
    allowed: frozenset[str]
    ok: int = 200                   # status for the allowed roles
    refused: int = 403              # status for the other logged-in roles
    anonymous: int | str = "login"  # "login": a redirect to /login; else a status
    data: dict = field(default_factory=dict)


ROUTES: list[Route] = [
    # public
    Route("static", "GET", "/static/regie.css", EVERYONE, anonymous=200),
    Route("home", "GET", "/", EVERYONE, ok=302, anonymous=302),
    Route("auth.login", "GET", "/login", EVERYONE, anonymous=200),
    Route("auth.login", "POST", "/login", EVERYONE, ok=401, anonymous=401,
          data={"gebruikersnaam": "niemand", "wachtwoord": "fout-fout-fout"}),
    Route("auth.logout", "POST", "/uitloggen", EVERYONE, ok=302, anonymous=302),
    # single sign-on (the matrix app names a provider that does not answer)
    Route("sso.start", "GET", "/login/sso", EVERYONE, ok=503, anonymous=503),
    Route("sso.callback", "GET", "/login/sso/terug?code=x&state=y", EVERYONE, ok=403, anonymous=403),
    # caseworkers
    Route("inbox.index", "GET", "/taken", LOGGED_IN),
    Route("inbox.claim", "POST", "/taken/{task}/oppakken", TEAM, ok=302),
    Route("inbox.unclaim", "POST", "/taken/{task}/teruggeven", frozenset({"coordinator"}), ok=302),
    Route("inbox.assign", "POST", "/taken/toewijzen", frozenset({"coordinator"}), ok=302,
          data={"taak": "{task}", "collega": "casemanager", "reden": "Verlof"}),
    Route("tasks.show", "GET", "/taken/{task}", TEAM),
    Route("tasks.submit", "POST", "/taken/{task}", TEAM, ok=302, data={"actie": "concept"}),
    Route("cases.index", "GET", "/zaken", WORK),
    Route("cases.show", "GET", "/zaken/{case}", TEAM),    # need-to-know: the open task's team
    Route("cases.diagram", "GET", "/zaken/{case}/diagram.bpmn", TEAM),
    Route("cases.timeline_more", "GET", "/zaken/{case}/tijdlijn?voor=3", TEAM),
    Route("cases.break_glass", "POST", "/zaken/{case}/doorbraak", WORK, ok=302,
          data={"reden": "Bewoner belt, casemanager is ziek"}),
    Route("files.download", "GET", "/zaken/{case}/bestanden/geen-bestand", TEAM, ok=404),   # need-to-know first
    Route("afspraakkaart.card", "GET", "/zaken/{case}/afspraakkaart", TEAM),    # need-to-know, like the case page
    Route("casemanager.hand_over", "POST", "/zaken/{case}/overdragen", frozenset({"coordinator"}), ok=302,
          data={"collega": "casemanager", "reden": "Verlof"}),
    Route("cases.new", "GET", "/zaken/nieuw", CASE_STARTERS),
    Route("cases.start", "GET", "/zaken/nieuw/{process}", CASE_STARTERS),
    Route("cases.start", "POST", "/zaken/nieuw/{process}", CASE_STARTERS, ok=302, data={"naam": "Demo Ouder"}),
    # coordinators
    Route("coordinator.index", "GET", "/overzicht", frozenset({"coordinator"})),
    Route("lijsten.form", "GET", "/overzicht/lijst", frozenset({"coordinator"})),
    Route("lijsten.upload", "POST", "/overzicht/lijst", frozenset({"coordinator"}), ok=400),
    Route("verantwoording.index", "GET", "/overzicht/verantwoording", frozenset({"coordinator"})),
    Route("verantwoording.costs_csv", "GET", "/overzicht/verantwoording/kosten.csv", frozenset({"coordinator"})),
    Route("verantwoording.costs_xlsx", "GET", "/overzicht/verantwoording/kosten.xlsx", frozenset({"coordinator"})),
    # data-subject requests (the coordinator, on behalf of the privacy officer)
    Route("privacy.index", "GET", "/privacy", frozenset({"coordinator"})),
    Route("privacy.search", "POST", "/privacy/inzage", frozenset({"coordinator"}), data={"naam": "Demo Ouder"}),
    Route("privacy.download", "POST", "/privacy/inzage/bestand", frozenset({"coordinator"}),
          data={"naam": "Demo Ouder", "soort": "json"}),
    Route("privacy.correct", "POST", "/privacy/correctie", frozenset({"coordinator"}),
          data={"naam": "Demo Ouder", "zaak": "{case}", "veld": "naam", "waarde": "Demo Ouder",
                "reden": "Naam nagekeken"}),
    # functioneel beheer: accounts
    Route("beheer.index", "GET", "/beheer", ADMIN),
    Route("beheer.new", "GET", "/beheer/nieuw", ADMIN),
    Route("beheer.new", "POST", "/beheer/nieuw", ADMIN, ok=302,
          data={"gebruikersnaam": "nieuw", "naam": "Nieuwe Collega", "rollen": "casemanager",
                "wachtwoord": "paars fietsje op de dijk"}),
    Route("beheer.user", "GET", "/beheer/casemanager", ADMIN),
    Route("beheer.roles", "POST", "/beheer/casemanager/rollen", ADMIN, ok=302, data={"rollen": "casemanager"}),
    Route("beheer.password", "POST", "/beheer/casemanager/wachtwoord", ADMIN, ok=302,
          data={"wachtwoord": "groene tram naar het strand"}),
    Route("beheer.active", "POST", "/beheer/casemanager/actief", ADMIN, ok=302, data={"actief": "nee"}),
    Route("beheer.teams", "GET", "/beheer/teams", ADMIN),
    Route("beheer.add_team", "POST", "/beheer/teams", ADMIN, ok=302, data={"team": "loket", "naam": "Loket"}),
    Route("beheer.team_member", "POST", "/beheer/teams/loket/leden", ADMIN, ok=302,
          data={"gebruiker": "casemanager", "rol": "casemanager"}),
    Route("beheer.team_member_remove", "POST", "/beheer/teams/loket/leden/casemanager/weg", ADMIN, ok=302,
          data={"bevestigd": "ja"}),
    Route("beheer.team_process", "POST", "/beheer/teams/loket/processen", ADMIN, ok=302, data={"proces": "aanvraag"}),
    Route("beheer.api_keys", "GET", "/beheer/api-sleutels", ADMIN),
    Route("beheer.api_keys", "POST", "/beheer/api-sleutels", ADMIN, ok=422, data={"naam": "", "scopes": "cases:read"}),
    Route("beheer.revoke_api_key", "POST", "/beheer/api-sleutels/000000000000/intrekken", ADMIN, ok=404),
    Route("beheer.webhooks", "GET", "/beheer/webhooks", ADMIN),
    Route("beheer.webhooks", "POST", "/beheer/webhooks", ADMIN, ok=422, data={"naam": "x", "adres": "https://a.nl/"}),
    Route("beheer.revoke_webhook", "POST", "/beheer/webhooks/000000000000/intrekken", ADMIN, ok=404,
          data={"bevestigd": "ja"}),
    # policy staff (model library)
    Route("processes", "GET", "/processen", EVERYONE, ok=302, anonymous=302),
    Route("modellen.index", "GET", "/modellen/", POLICY),
    Route("modellen.process", "GET", "/modellen/{process}", POLICY),
    Route("modellen.version", "GET", "/modellen/{process}/versies/1", POLICY),
    Route("modellen.file", "GET", "/modellen/{process}/versies/1/bestanden/aanvraag.bpmn", POLICY),
    Route("modellen.deploy", "POST", "/modellen/{process}/uitrollen", POLICY, ok=302, data={"toelichting": ""}),
    Route("modellen.approve", "POST", "/modellen/{process}/versies/1/goedkeuren", POLICY, ok=400),
    Route("modellen.validate", "POST", "/modellen/{process}/controleren", POLICY, ok=400),
    Route("modellen.draft", "GET", "/modellen/{process}/concept", POLICY),
    Route("modellen.modeler", "GET", "/modellen/{process}/bewerken", POLICY),
    Route("modellen.decision_editor", "GET", "/modellen/{process}/beslistabellen/onbekend.dmn", POLICY, ok=404),
    Route("modellen.form_editor", "GET", "/modellen/{process}/formulieren/intake", POLICY),
    Route("modellen.form_preview", "POST", "/modellen/{process}/formulieren/intake/voorbeeld", POLICY, ok=400),
    Route("modellen.migrate", "GET", "/modellen/{process}/overzetten", POLICY),
    Route("modellen.migrate", "POST", "/modellen/{process}/overzetten", POLICY, ok=302, data={"naar": "1"}),
    Route("modellen.compare", "GET", "/modellen/{process}/vergelijk?van=1&naar=1", POLICY),
    Route("modellen.draft", "PUT", "/modellen/{process}/concept", POLICY, ok=400),
    # the REST API: an API key, never a login session (tests/web/test_api.py covers keys and scopes)
    Route("api-docs.openapi_json", "GET", "/api/v1/openapi.json", EVERYONE, anonymous=200),
    Route("api_docs.index", "GET", "/api/v1/docs", EVERYONE, anonymous=200),
    Route("api.processes", "GET", "/api/v1/processes", NOBODY, refused=401, anonymous=401),
    Route("api.list_cases", "GET", "/api/v1/cases", NOBODY, refused=401, anonymous=401),
    Route("api.start_case", "POST", "/api/v1/cases", NOBODY, refused=401, anonymous=401),
    Route("api.get_case", "GET", "/api/v1/cases/{case}", NOBODY, refused=401, anonymous=401),
    Route("api.history", "GET", "/api/v1/cases/{case}/history", NOBODY, refused=401, anonymous=401),
    Route("api.case_file", "GET", "/api/v1/cases/{case}/files/abc", NOBODY, refused=401, anonymous=401),
    Route("api.list_tasks", "GET", "/api/v1/tasks", NOBODY, refused=401, anonymous=401),
    Route("api.get_task", "GET", "/api/v1/tasks/{task}", NOBODY, refused=401, anonymous=401),
    Route("api.claim", "POST", "/api/v1/tasks/{task}/claim", NOBODY, refused=401, anonymous=401),
    Route("api.complete", "POST", "/api/v1/tasks/{task}/complete", NOBODY, refused=401, anonymous=401),
    Route("api.incidents", "GET", "/api/v1/incidents", NOBODY, refused=401, anonymous=401),
    Route("api.deliver_message", "POST", "/api/v1/messages", NOBODY, refused=401, anonymous=401),
    Route("api.broadcast_signal", "POST", "/api/v1/signals", NOBODY, refused=401, anonymous=401),
    Route("api.import_list", "POST", "/api/v1/lists", NOBODY, refused=401, anonymous=401),
    Route("api.fetch_and_lock", "POST", "/api/v1/external-tasks/fetch-and-lock", NOBODY, refused=401, anonymous=401),
    Route("api.list_external_tasks", "GET", "/api/v1/external-tasks", NOBODY, refused=401, anonymous=401),
    Route("api.complete_external", "POST", "/api/v1/external-tasks/{task}/complete", NOBODY, refused=401,
          anonymous=401),
    Route("api.external_failure", "POST", "/api/v1/external-tasks/{task}/failure", NOBODY, refused=401,
          anonymous=401),
    Route("api.external_bpmn_error", "POST", "/api/v1/external-tasks/{task}/bpmn-error", NOBODY, refused=401,
          anonymous=401),
    Route("api.external_retries", "POST", "/api/v1/external-tasks/{task}/retries", NOBODY, refused=401,
          anonymous=401),
    Route("api.events", "GET", "/api/v1/events", NOBODY, refused=401, anonymous=401),
    Route("api.create_webhook", "POST", "/api/v1/webhooks", NOBODY, refused=401, anonymous=401),
    Route("api.list_webhooks", "GET", "/api/v1/webhooks", NOBODY, refused=401, anonymous=401),
    Route("api.revoke_webhook", "DELETE", "/api/v1/webhooks/zaaksysteem", NOBODY, refused=401, anonymous=401),
    # auditors (controle)
    Route("controle.index", "GET", "/controle/", AUDIT_SEARCH),
    Route("controle.case", "GET", "/controle/zaken/{case}", AUDIT),
    Route("controle.verify", "POST", "/controle/zaken/{case}/controleren", AUDIT),
    Route("controle.show_personal", "POST", "/controle/zaken/{case}/tonen", AUDIT, ok=302,
          data={"reden": "Onderzoek 2026-1"}),
    Route("controle.hide_personal", "POST", "/controle/zaken/{case}/afschermen", AUDIT, ok=302),
    Route("controle.moment", "GET", "/controle/zaken/{case}/moment/1", AUDIT),
    Route("controle.moment_go", "GET", "/controle/zaken/{case}/moment?event=1", AUDIT, ok=302),
    Route("controle.diagram", "GET", "/controle/zaken/{case}/versies/{version}/diagram.bpmn", AUDIT),
    Route("controle.access", "GET", "/controle/inzage", AUDIT),
    Route("controle.bundle", "GET", "/controle/zaken/{case}/bundel.zip", AUDIT),
    Route("controle.export", "GET", "/controle/export?van=01-01-2026&tot=31-12-2026", AUDIT),
]


def world(engine) -> dict[str, str]:
    """The objects the paths name: one case of the test model, waiting at an unassigned casemanager task."""
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="casemanager")
    task = engine.tasks(case_id=case_id)[0]
    return {"case": case_id, "task": task.id, "process": "aanvraag", "version": engine.state(case_id).version_id}


@pytest.fixture
def matrix_app(tmp_path, clock, password_hash):
    app = create_app({
        "TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'regie.db'}", "CLOCK": clock,
        "IDS": SequentialIds(), "SECRET_KEY": "test-secret", "DEMO": False, "WTF_CSRF_ENABLED": False,
        "OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "regie", "OIDC_CLIENT_SECRET": "x",
    })
    eng = app.extensions["regie.engine"]
    eng.deploy([MODELS])
    with eng.store.write() as tx:
        for role in USERS:
            tx.save_user(UserRow(username=role, name=f"Test {role}", password_hash=password_hash, roles=role,
                                 active=True))
    yield app
    eng.store.dispose()


def _key(route: Route) -> str:
    return f"{route.method} {route.endpoint}"


def test_every_route_has_a_row(matrix_app):
    in_app = {f"{method} {rule.endpoint}" for rule in matrix_app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    in_table = [_key(r) for r in ROUTES]
    assert sorted(k for k in set(in_table) if in_table.count(k) > 1) == [], "a route is in the table twice"
    assert sorted(in_app - set(in_table)) == [], "routes without a row in ROUTES (add who may use them)"
    assert sorted(set(in_table) - in_app) == [], "rows for routes the app no longer has"


def _fill(value, names: dict[str, str]):
    return value.format(**names) if isinstance(value, str) else value


@pytest.mark.parametrize("role", ROLES)
def test_every_route_refuses_each_role_that_may_not_use_it(matrix_app, role):
    """One app per role (building one per route and role is slow); each route gets a fresh case and client."""
    from .conftest import PASSWORD

    engine = matrix_app.extensions["regie.engine"]
    wrong = []
    for route in ROUTES:
        names = world(engine)
        client = matrix_app.test_client()
        if role != "anonymous":
            login = client.post("/login", data={"gebruikersnaam": role, "wachtwoord": PASSWORD})
            assert login.status_code == 302, f"{role} could not log in"
        data = {k: _fill(v, names) for k, v in route.data.items()}
        response = client.open(route.path.format(**names), method=route.method, data=data or None)
        response.close()
        if role == "anonymous" and route.anonymous == "login":
            if response.status_code != 302 or not response.location.startswith("/login"):
                wrong.append(f"{route.method} {route.path}: {response.status_code}, expected a redirect to /login")
            continue
        expected = (route.anonymous if role == "anonymous" else
                    route.ok if role in route.allowed else route.refused)
        if response.status_code != expected:
            wrong.append(f"{route.method} {route.path} ({route.endpoint}): {response.status_code}, expected {expected}")
    assert wrong == [], f"as {role}"
