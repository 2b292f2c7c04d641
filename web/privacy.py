"""Data-subject requests in the web app (``/privacy``), for the coordinator on behalf of the privacy officer (FG).

*Inzage* (AVG art. 15): the coordinator fills in the resident's name (and birth date, to leave out a
namesake); the page shows every case of that resident with its data, its history and who looked at it,
and offers the same as a JSON file and as a readable HTML page to hand over. Every case shown is written
to the access log. The name travels in a POST body, never in a URL (URLs end up in server logs).

*Correctie* (art. 16): one field of one case gets a new value with a reason; the engine records it as a
``data_rectified`` event (the correction, who, why), which replay and verify follow.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request

from engine.errors import InvalidData, RegieError
from engine.privacy import subjects

from .auth import roles_required
from .services import engine
from .views import people

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
ROLE = "coordinator"


def _request() -> tuple[str, str | None]:
    name = (request.form.get("naam") or "").strip()
    birth = (request.form.get("geboortedatum") or "").strip() or None
    return name, birth


@bp.get("")
@roles_required(ROLE)
def index():
    return render_template("privacy/index.html", naam="", geboortedatum="", error=None)


@bp.post("/inzage")
@roles_required(ROLE)
def search():
    name, birth = _request()
    try:
        data = subjects.export(engine(), g.user.username, name, birth)
    except RegieError as err:
        return render_template("privacy/index.html", naam=name, geboortedatum=birth or "", error=str(err)), 400
    return render_template("privacy/index.html", naam=name, geboortedatum=birth or "", error=None, data=data,
                           corrected=None)


@bp.post("/inzage/bestand")
@roles_required(ROLE)
def download():
    name, birth = _request()
    try:
        data = subjects.export(engine(), g.user.username, name, birth)
    except RegieError as err:
        return render_template("privacy/index.html", naam=name, geboortedatum=birth or "", error=str(err)), 400
    stem = "inzage-" + "-".join(name.lower().split())[:60]
    if request.form.get("soort") == "html":
        body, mimetype, suffix = subjects.to_html(data), "text/html", "html"
    else:
        body, mimetype, suffix = subjects.to_json(data), "application/json", "json"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{suffix}"'})


@bp.post("/correctie")
@roles_required(ROLE)
def correct():
    name, birth = _request()
    case, field = request.form.get("zaak", ""), request.form.get("veld", "")
    value, reason = request.form.get("waarde", ""), request.form.get("reden", "")
    eng = engine()
    error = None
    try:
        subjects.rectify(eng, case, field, value, reason, g.user.username)
    except InvalidData as err:
        error = "; ".join(p.message for p in err.problems)
    except RegieError as err:
        error = str(err)
    data = None
    for wanted in (name, value if not error else ""):      # a corrected name finds the case under its new name
        if wanted and data is None:
            try:
                found = subjects.export(eng, g.user.username, wanted, birth)
                data = found if found["zaken"] else None
                name = wanted if data else name
            except RegieError:
                data = None
    return render_template("privacy/index.html", naam=name, geboortedatum=birth or "", error=error, data=data,
                           corrected=None if error else (data_number(data, case) or case, field)), 400 if error else 200


def data_number(data, case_id: str) -> str | None:
    """The case number the page shows for ``case_id``."""
    for zaak in (data or {}).get("zaken", []):
        if zaak["id"] == case_id:
            return zaak["zaak"]
    return None


@bp.app_template_filter("privacy_value")
def privacy_value(value) -> str:
    return subjects.shown(value)


@bp.app_template_filter("privacy_fields")
def privacy_fields(data) -> list[tuple[str, str]]:
    """(field, label) of every field the resident's cases hold, each once, in the order found."""
    seen: dict[str, str] = {}
    for zaak in (data or {}).get("zaken", []):
        for v in zaak["gegevens"]:
            seen.setdefault(v["veld"], v["label"])
    return list(seen.items())


@bp.app_context_processor
def _categories():
    from engine.forms import CATEGORIES

    return {"privacy_categories": CATEGORIES, "privacy_wie": _who}


def _who(username: str | None) -> str:
    """'Naam (gebruikersnaam)' as elsewhere in the app; a name the app does not know stays as it is."""
    names = g.get("privacy_names")
    if names is None:
        names = g.privacy_names = people()
    name = names.get(username or "")
    return f"{name} ({username})" if name and name != username else (username or "")
