"""The appointment card of 004 Bijlage D (``/zaken/<id>/afspraakkaart``): printable, or saved as PDF by the
browser, and sent to the parent. Filled from the case's "Kennismakingsgesprek voorbereiden" form."""

from __future__ import annotations

from flask import Blueprint, render_template

from .access import CASE_READERS, log_read, require_case_access
from .auth import roles_required
from .services import engine

bp = Blueprint("afspraakkaart", __name__, url_prefix="/zaken")

# Bijlage D's grid: six themes, each with its topics (value in the form -> label on the card).
GRID = [
    ("Geldzaken", [("inkomen", "Inkomen"), ("schulden", "Schulden")]),
    ("Woonruimte", [("woonruimte_betaalbaar", "Betaalbaar"), ("woonruimte_geschikt", "Geschikt")]),
    ("Gezondheid", [("gezondheid_geestelijk", "Geestelijk"), ("gezondheid_lichamelijk", "Lichamelijk")]),
    ("Tijdsbesteding", [("werk", "Werk"), ("studie", "Studie"), ("vrije_tijd", "Vrije tijd")]),
    ("Zorg voor/over", [("zorg_kinderen", "Kinderen"), ("zorg_anderen", "Anderen")]),
    ("Steun van", [("steun_bekenden", "Bekenden"), ("steun_professionals", "Professionals")]),
]
FORMS = {"telefonisch": "Telefonisch", "digitaal": "Digitaal", "op_kantoor": "Op kantoor", "thuis": "Bij u thuis"}


@bp.get("/<case_id>/afspraakkaart")
@roles_required(*CASE_READERS)
def card(case_id: str):
    state = engine().state(require_case_access(case_id))
    log_read(state.id, "afspraakkaart")
    data = state.data
    return render_template("cases/appointment_card.html", case=state, data=data, grid=GRID, forms=FORMS,
                           chosen=set(data.get("afspraak_onderwerpen") or []),
                           ready=bool(data.get("afspraak_datum")))
