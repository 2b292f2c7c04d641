"""The coordinator's accountability page (``/overzicht/verantwoording``): cases per source, loket topics next
to the Startscan's, time and costs per leefgebied (also as CSV and as an Excel workbook). The overview
(``/overzicht``) shows the cases per source and the costs per leefgebied from the same facts
(``coordinator/_accountability.html``)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request

from engine import UnknownProcess, accountability
from engine.labels import Labels

from .auth import roles_required
from .services import engine

bp = Blueprint("verantwoording", __name__, url_prefix="/overzicht/verantwoording")
MONTH = re.compile(r"^\d{4}-\d{2}$")


def _period() -> tuple[str, str]:
    start, end = request.args.get("van", ""), request.args.get("tot", "")
    return (start if MONTH.match(start) else ""), (end if MONTH.match(end) else "")


@bp.get("")
@roles_required("coordinator")
def index():
    eng = engine()
    start, end = _period()
    lines = accountability.costs(eng, start, end)
    per_leefgebied = accountability.per_leefgebied(lines)
    most = max((c for _, c in per_leefgebied.values()), default=0)
    return render_template(
        "coordinator/accountability.html", sources=accountability.cases_by_source(eng),
        topics=_topics(eng), lines=lines, per_leefgebied=per_leefgebied, most=most,
        leefgebieden=accountability.LEEFGEBIEDEN, source_names=accountability.SOURCES, start=start, end=end,
    )


def _topics(eng) -> list[tuple[str, int, int, float]]:
    """The loket topics by the label the loket's form gives them ('Hulp bij DigiD', not 'digid')."""
    try:
        labels = Labels.of(eng.current_version("loket").forms.values())
    except UnknownProcess:
        labels = Labels({})
    rows = []
    for topic, scan, count, own in accountability.loket_topics(eng):
        label = labels.value("onderwerpen", topic)          # the code itself when the form has no such option
        rows.append((label if label != topic else topic.replace("_", " "), scan, count, own))
    return rows


@bp.get("/kosten.csv")
@roles_required("coordinator")
def costs_csv():
    start, end = _period()
    body = accountability.costs_csv(accountability.costs(engine(), start, end))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=kosten-per-leefgebied{'-' + start if start else ''}.csv"})


@bp.get("/kosten.xlsx")
@roles_required("coordinator")
def costs_xlsx():
    start, end = _period()
    body = accountability.costs_xlsx(accountability.costs(engine(), start, end))
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
        "Content-Disposition": f"attachment; filename=kosten-per-leefgebied{'-' + start if start else ''}.xlsx"})
