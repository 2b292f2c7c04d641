"""The auditor's workspace (``/controle``): find cases, read a case's timeline, travel to any event,
verify integrity, see the access log, export. Read-only: nothing here changes a case.

Auditors (and coordinators, for the case search) read histories with personal data masked; showing it
takes a reason, and every page that shows a case is recorded in the access log.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from engine.audit.masking import initials
from engine.audit.model_index import index as model_index
from engine.queries import AuditQuery

from ..access import log_read, watermark
from ..auth import roles_required
from ..services import engine, local_tz
from ..views import people, process_names
from . import story

bp = Blueprint("controle", __name__, url_prefix="/controle")

AUDITORS = ("auditor",)
SEARCHERS = ("auditor", "coordinator")
STATUSES = {"": "Alle", "running": "Lopend", "completed": "Afgerond"}
PAGE = 25


@bp.get("/")
@roles_required(*SEARCHERS)
def index():
    form = {k: request.args.get(k, "").strip() for k in ("zoek", "proces", "versie", "status", "van", "tot", "door")}
    page = _page()
    query = AuditQuery(form["zoek"][:100], form["proces"] or None, form["versie"] or None, form["status"] or None,
                       _day(form["van"]), _day(form["tot"], end=True), form["door"] or None)
    rows, total = engine().audit_cases(query, PAGE, (page - 1) * PAGE)
    return render_template("controle/index.html", rows=rows, total=total, form=form, page=page,
                           pages=max(1, math.ceil(min(total, 1000) / PAGE)), processes=process_names(),
                           statuses=STATUSES, initials=initials, people=people())


@bp.get("/zaken/<case_ref>")
@roles_required(*AUDITORS)
def case(case_ref: str):
    state = engine().state(case_ref)
    log_read(state.id, "controle-zaak")
    return _case_page(state)


@bp.post("/zaken/<case_ref>/controleren")
@roles_required(*AUDITORS)
def verify(case_ref: str):
    state = engine().state(case_ref)
    log_read(state.id, "controle-controle")
    return _case_page(state, verification=engine().verify(state.id), anchored=_anchor_problems(state.id))


@bp.post("/zaken/<case_ref>/tonen")
@roles_required(*AUDITORS)
def show_personal(case_ref: str):
    state = engine().state(case_ref)
    target = request.form.get("volgende") or url_for("controle.case", case_ref=state.id)
    if not target.startswith("/controle/"):
        target = url_for("controle.case", case_ref=state.id)
    allowed = _unmask_users()
    if allowed is not None and g.user.username not in allowed:
        abort(403, description="U heeft geen toestemming om persoonsgegevens te tonen. Vraag functioneel beheer "
                               "om u die toestemming te geven.")
    reason = (request.form.get("reden") or "").strip()
    if len(reason) < 5:
        flash("Geef een reden (minstens 5 tekens) om de persoonsgegevens te tonen. Er is niets getoond.", "error")
        return redirect(target)
    log_read(state.id, "controle-tonen", reason[:500])
    shown = set(session.get("controle_tonen", []))
    shown.add(state.id)
    session["controle_tonen"] = sorted(shown)[-50:]
    flash("De persoonsgegevens van deze zaak worden getoond. Uw reden staat in het inzagelog.", "success")
    return redirect(target)


@bp.post("/zaken/<case_ref>/afschermen")
@roles_required(*AUDITORS)
def hide_personal(case_ref: str):
    state = engine().state(case_ref)
    session["controle_tonen"] = [c for c in session.get("controle_tonen", []) if c != state.id]
    return redirect(url_for("controle.case", case_ref=state.id))


@bp.get("/zaken/<case_ref>/moment/<int:seq>")
@roles_required(*AUDITORS)
def moment(case_ref: str, seq: int):
    state = engine().state(case_ref)
    at = engine().case_at(state.id, seq)
    log_read(state.id, "controle-tijdreis")
    version = engine().version(at.version_id)
    model = model_index(version.bundle)
    reader = story.Reader(version, model, people(), _showing(state.id))
    entry = story.entries([at.event], reader, {})[0]
    data = [(reader.labels.label(k), reader.value(k, v)) for k, v in at.data.items()]
    return render_template(
        "controle/moment.html", case=state, at=at, entry=entry, data=data, model=model, reader=reader,
        active_names=[model.name(a) for a in at.active], finished_names=[model.name(a) for a in at.finished],
        process=process_names().get(state.process_id, state.process_id), showing=_showing(state.id),
        subject=at.subject if _showing(state.id) else initials(at.subject),
    )


@bp.get("/zaken/<case_ref>/moment")
@roles_required(*AUDITORS)
def moment_go(case_ref: str):
    """'Ga naar event' without script: the number typed becomes the moment's address."""
    try:
        seq = int(request.args.get("event", "1"))
    except ValueError:
        seq = 1
    return redirect(url_for("controle.moment", case_ref=case_ref, seq=max(1, seq)))


@bp.get("/zaken/<case_ref>/versies/<version_id>/diagram.bpmn")
@roles_required(*AUDITORS)
def diagram(case_ref: str, version_id: str):
    """The BPMN XML of a version the case ran on (for the time-travel viewer)."""
    from flask import Response

    state = engine().state(case_ref)
    version = engine().version(version_id)
    if version.process_id != state.process_id:
        abort(404, description="Deze versie hoort niet bij de zaak.")
    marker = f'id="{state.process_id}"'
    files = version.bundle["bpmn"]
    text = next((t for t in files.values() if marker in t), next(iter(files.values()), ""))
    return Response(text, mimetype="application/xml", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/zaken/<case_ref>/bundel.zip")
@roles_required(*AUDITORS)
def bundle(case_ref: str):
    """The case's audit bundle (``engine.audit.bundle``), for an outside auditor to check offline."""
    from flask import Response

    from engine.audit import bundle as bundles

    state = engine().state(case_ref)
    log_read(state.id, "controle-export")
    anchors = _anchor_file()
    data = bundles.build(engine(), state.id, anchors if anchors and anchors.exists() else None)
    name = bundles.file_name(state.number, state.id)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/export")
@roles_required(*AUDITORS)
def export():
    """Events of a period as CSV (for the accountant); the form first, the file when a period is given."""
    from flask import Response

    from engine.audit.export import write_csv

    since, until = _day(request.args.get("van", "").strip()), _day(request.args.get("tot", "").strip(), end=True)
    if not request.args.get("van") and not request.args.get("tot"):
        return render_template("controle/export.html", error=None, form=request.args)
    if since is None or until is None or until <= since:
        return render_template("controle/export.html", form=request.args,
                               error="Vul twee datums in als dd-mm-jjjj, de eerste niet na de tweede."), 422
    import csv
    import io

    log_read(None, "export", f"events {request.args['van']} tot en met {request.args['tot']}")
    out = io.StringIO()
    write_csv(engine(), since, until, out)
    csv.writer(out).writerow([f"Geëxporteerd door {watermark()}. Vertrouwelijk: bevat persoonsgegevens."])
    name = f"events-{since:%Y%m%d}-{(until - timedelta(days=1)):%Y%m%d}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/inzage")
@roles_required(*AUDITORS)
def access():
    case_ref = request.args.get("zaak", "").strip()
    user = request.args.get("gebruiker", "").strip() or None
    case_id = engine().resolve_case(case_ref) if case_ref else None
    page = _page()
    rows = engine().access_log(case_id=case_id, actor=user, limit=50, offset=(page - 1) * 50)
    return render_template("controle/access.html", rows=rows, case_ref=case_ref, user=user or "", page=page,
                           more=len(rows) == 50, people=people(), numbers=engine().case_numbers({r.case_id for r in rows}))


@bp.app_template_filter("datumtijd_sec")
def datumtijd_sec(value: datetime | None) -> str:
    """'5 januari 2026, 10:00:07' in local time: an audit needs the seconds."""
    from ..filters import datum

    if not value:
        return "–"
    local = value.astimezone(local_tz())
    return f"{datum(local)}, {local:%H:%M:%S}"


# --- helpers -------------------------------------------------------------------------------------

def _case_page(state, verification=None, anchored=()):
    version = engine().version(state.version_id)
    model = model_index(version.bundle)
    size = current_app.config.get("AUDIT_TIMELINE_PAGE_SIZE", 50)
    events, submitted, last, page = engine().event_window(state.id, _page(), size)
    pages = max(1, math.ceil(last / size))
    first = (page - 1) * size + 1
    before = story.entered_before(submitted)
    reader = story.Reader(version, model, people(), _showing(state.id))
    return render_template(
        "controle/case.html", case=state, process=process_names().get(state.process_id, state.process_id),
        entries=story.entries(events, reader, before), page=page, pages=pages, last=last, first=first,
        verification=verification, anchored=list(anchored), anchors_on=bool(_anchor_file()),
        showing=_showing(state.id), may_unmask=_may_unmask(),
        subject=state.subject if _showing(state.id) else initials(state.subject),
        access=engine().access_log(case_id=state.id, limit=10), people=people(), model=model,
    )


def _anchor_file():
    from pathlib import Path

    value = current_app.config.get("AUDIT_ANCHOR_FILE")
    return Path(value) if value else None


def _anchor_problems(case_id: str) -> list[str]:
    """Problems against the signed anchors, when an anchor file and public key are configured."""
    from engine.audit import anchors

    path, public = _anchor_file(), current_app.config.get("AUDIT_ANCHOR_PUBLIC_KEY")
    if not path or not public or not path.exists():
        return []
    return [str(p) for p in engine().check_anchors(path, anchors.load_public(public), case_id)]


def _showing(case_id: str) -> bool:
    return case_id in session.get("controle_tonen", [])


def _unmask_users() -> set[str] | None:
    """Accounts granted to show personal data (``AUDIT_UNMASK_USERS``); None: every auditor, with a reason."""
    value = current_app.config.get("AUDIT_UNMASK_USERS")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.split(",")
    return {v.strip() for v in value if v.strip()}


def _may_unmask() -> bool:
    allowed = _unmask_users()
    return allowed is None or g.user.username in allowed


def _page() -> int:
    try:
        return max(1, int(request.args.get("pagina", "1")))
    except ValueError:
        return 1


def _day(text: str, end: bool = False) -> datetime | None:
    """'31-03-2026' or '2026-03-31' as the start (or, ``end``, the end) of that local day."""
    for pattern in ("%d-%m-%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return datetime.combine(day + timedelta(days=1 if end else 0), time(0), local_tz())
    return None
