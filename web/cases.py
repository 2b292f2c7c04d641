"""Case pages (``/zaken/<id>``): status, current tasks, diagram, timeline, data; starting a case."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from engine.errors import InvalidData, RegieError
from engine.queries import CASE_COUNT_CAP as COUNT_CAP
from engine.queries import CaseQuery
from engine.runtime import BREAK_GLASS_HOURS

from .access import (
    CASE_READERS,
    CASE_STARTERS,
    case_label,
    log_read,
    no_access_page,
    read_case_page,
    require_case_access,
)
from .auth import WORK_ROLES, roles_required
from .diagram import current_steps, dutch_lanes
from .history import before_arg, read_limit, timeline_page
from .referrals import named_links
from .safe_xml import xml_download
from .services import engine, today
from .timeline import data_by_domain
from .views import process_names
from .widgets import WIDGETS, initial_values, raw_values, read_form, sections, shown_fields

bp = Blueprint("cases", __name__, url_prefix="/zaken")


VIEWS = {"mijn": ("mine", "Mijn zaken"), "team": ("team", "Zaken van mijn team"), "alle": ("all", "Alle zaken")}
STATUSES = {"lopend": ("running", "Lopend"), "afgerond": ("completed", "Afgerond"), "alle": (None, "Lopend en afgerond")}


@bp.get("")
@roles_required(*CASE_READERS)
def index():
    """The case list: my cases, my team's, all (coordinators); running or closed; search by name or number."""
    user = g.user
    view = request.args.get("weergave", "mijn")
    if view not in VIEWS or (view == "alle" and not user.is_coordinator):
        view = "mijn"
    status = request.args.get("status", "lopend")
    status = status if status in STATUSES else "lopend"
    filters = {k: request.args.get(k, "").strip() for k in ("proces", "zoek")}
    page = max(request.args.get("pagina", 1, type=int) or 1, 1)
    size = current_app.config["PAGE_SIZE"]
    query = CaseQuery(view=VIEWS[view][0], user=user.username, roles=tuple(r for r in user.roles if r in WORK_ROLES),
                      status=STATUSES[status][0], process_id=filters["proces"] or None,
                      search=filters["zoek"][:100] or None)
    rows, total = engine().case_list(query, size, (page - 1) * size)
    return render_template(
        "cases/list.html", rows=rows, total=total, capped=total > COUNT_CAP, page=page, size=size, view=view,
        views=VIEWS, status=status, statuses=STATUSES, filters=filters, processes=process_names(),
    )


@bp.get("/<case_id>")
@roles_required(*CASE_READERS)
def show(case_id: str):
    before = before_arg(request.args.get("voor"))
    # a case id, a case number or the short id; need-to-know and every read in one transaction, then the access log
    found = read_case_page(case_id, "zaak", before, read_limit())
    state, names = found.view.state, found.people
    version = engine().version(state.version_id)
    steps = current_steps(version, state.active, found.timers)
    return render_template(
        "cases/case.html", case=state, process=found.process_name, tasks=found.view.tasks,
        timeline=timeline_page(found.view.history, version, names, before=before),
        domains=data_by_domain(state.data, version), names=names, steps=steps,
        active_titles=[s.title for s in steps], done=found.completed,
        holder=names.get(found.casemanager, found.casemanager) if found.casemanager else "",
        links=named_links(found.links),
    )


@bp.get("/<case_id>/tijdlijn")
@roles_required(*CASE_READERS)
def timeline_more(case_id: str):
    """Older moments of the timeline (``voor``: an event number), as a fragment the case page's script
    adds under the list; the same page of moments is on ``/zaken/<id>?voor=...`` without script."""
    before = before_arg(request.args.get("voor"))
    found = read_case_page(case_id, "tijdlijn", before, read_limit())
    version = engine().version(found.view.state.version_id)
    page = timeline_page(found.view.history, version, found.people, before=before)
    return render_template("cases/timeline_more.html", case=found.view.state, timeline=page)


@bp.post("/<case_id>/doorbraak")
@roles_required(*CASE_READERS)
def break_glass(case_id: str):
    """Open a case outside one's own work, with a reason that lands in the access log (need-to-know)."""
    case_id = engine().resolve_case(case_id)
    reason = request.form.get("reden", "")
    try:
        engine().break_glass(case_id, g.user.username, reason)
    except InvalidData as err:
        return no_access_page(case_id, case_label(case_id), err.problems[0].message, reason), 400
    flash(f"U kunt deze zaak {BREAK_GLASS_HOURS} uur inzien. Uw reden staat in het inzagelog.", "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.get("/<case_id>/diagram.bpmn")
@roles_required(*CASE_READERS)
def diagram(case_id: str):
    """The BPMN XML of the version the case runs on, for the viewer on the case page."""
    state = engine().state(require_case_access(case_id))
    log_read(state.id, "diagram")
    files = engine().version(state.version_id).bundle["bpmn"]
    marker = f'id="{state.process_id}"'
    text = next((t for t in files.values() if marker in t), next(iter(files.values()), ""))
    return xml_download(dutch_lanes(text), f"{state.process_id}.bpmn")


@bp.get("/nieuw")
@roles_required(*CASE_STARTERS)
def new():
    startable = []
    for p in engine().processes():
        form = engine().version(p["version_id"]).start_form()
        if form is not None:
            startable.append((p["id"], p["name"], form))
    return render_template("cases/new.html", processes=startable)


@bp.route("/nieuw/<process_id>", methods=["GET", "POST"])
@roles_required(*CASE_STARTERS)
def start(process_id: str):
    version = engine().current_version(process_id)
    form = version.start_form()
    if form is None:
        abort(404, description="Dit proces start niet met een formulier.")
    raw, problems = initial_values(form), {}
    if request.method == "POST":
        raw = raw_values(form, request.form)
        data, problems = read_form(form, raw, today=today())
        if not problems:
            try:
                case_id = engine().start(process_id, data, actor=g.user.username)
            except InvalidData as err:
                problems = err.by_field()
            except RegieError as err:
                flash(str(err), "error")
            else:
                flash("De zaak is gestart.", "success")
                return redirect(url_for("cases.show", case_id=case_id))
    return render_template(
        "cases/start.html", process_id=process_id, process=version.name, form=form, sections=sections(form),
        raw=raw, problems=problems, shown=shown_fields(form, raw), widgets=WIDGETS,
    ), (422 if problems else 200)
