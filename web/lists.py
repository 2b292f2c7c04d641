"""The coordinator imports the Belastingdienst list (``/overzicht/lijst``): one case per new parent."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from engine.errors import RegieError
from engine.forms import local_date
from engine.lists import PROCESS, import_rows, read_bytes

from .auth import roles_required
from .services import engine

bp = Blueprint("lijsten", __name__, url_prefix="/overzicht/lijst")


@bp.get("")
@roles_required("coordinator")
def form():
    return render_template("coordinator/list_import.html", today=local_date(engine().clock.now()).isoformat(),
                           report=None, error=None)


@bp.post("")
@roles_required("coordinator")
def upload():
    eng = engine()
    list_date = request.form.get("datum") or local_date(eng.clock.now()).isoformat()
    upload = request.files.get("bestand")
    error = None
    report = None
    if upload is None or not upload.filename:
        error = "Kies het bestand met de lijst van de Belastingdienst (CSV of Excel)."
    else:
        try:
            eng.current_version(PROCESS)
            rows = read_bytes(upload.read(), upload.filename)
            report = import_rows(eng, rows, list_date, g.user.username, dry_run=bool(request.form.get("proef")))
        except RegieError as err:
            error = str(err)
    return render_template("coordinator/list_import.html", today=list_date, report=report, error=error,
                           dry_run=bool(request.form.get("proef"))), 400 if error else 200
