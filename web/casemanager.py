"""Who holds a case (its casemanager, or meitinker) and the coordinator's hand-over of a whole case
(``POST /zaken/<id>/overdragen``). The rule itself lives in ``engine.casemanagers``."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, request, url_for

from engine.errors import RegieError

from .auth import roles_required
from .services import engine
from .views import people

bp = Blueprint("casemanager", __name__, url_prefix="/zaken")


@bp.app_template_global()
def casemanager_label() -> str:
    """The name of the role in this municipality (Casemanager; Meitinker in Heerenveen)."""
    return current_app.config.get("CASEMANAGER_LABEL") or "Casemanager"


@bp.post("/<case_id>/overdragen")
@roles_required("coordinator")
def hand_over(case_id: str):
    """Hand the whole case to a colleague: the casemanager changes and the open casemanager tasks move along."""
    colleague = request.form.get("collega", "").strip()
    reason = request.form.get("reden", "").strip()[:500]
    if not colleague:
        flash("Kies de collega die de zaak overneemt.", "error")
        return redirect(url_for("cases.show", case_id=case_id))
    try:
        moved = engine().hand_over(case_id, colleague, actor=g.user.username, reason=reason)
    except RegieError as err:
        flash(str(err), "error")
        return redirect(url_for("cases.show", case_id=case_id))
    name = people().get(colleague, colleague)
    flash(f"De zaak is overgedragen aan {name}. {len(moved)} open {'taak ging' if len(moved) == 1 else 'taken gingen'} mee.",
          "success")
    return redirect(url_for("cases.show", case_id=case_id))
