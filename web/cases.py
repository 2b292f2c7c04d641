"""Case pages (``/zaken/<id>``): status, current tasks, diagram, timeline, data; starting a case."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine.errors import InvalidData, RegieError

from .access import CASE_READERS, CASE_STARTERS, log_read
from .auth import roles_required
from .history import before_arg, timeline_page
from .safe_xml import xml_download
from .services import engine, today
from .timeline import data_by_domain
from .views import people, process_names
from .widgets import WIDGETS, initial_values, raw_values, read_form, sections, shown_fields

bp = Blueprint("cases", __name__, url_prefix="/zaken")


@bp.get("/<case_id>")
@roles_required(*CASE_READERS)
def show(case_id: str):
    state = engine().state(case_id)       # a case id, a case number or the short id
    case_id = state.id
    log_read(state.id, "zaak")
    version = engine().version(state.version_id)
    names = people()
    return render_template(
        "cases/case.html", case=state, process=process_names().get(state.process_id, state.process_id),
        tasks=engine().tasks(case_id=case_id),
        timeline=timeline_page(case_id, version, names, before=before_arg(request.args.get("voor"))),
        domains=data_by_domain(state.data, version), names=names,
        active_titles=[_title(version, e) for e in state.active],
    )


@bp.get("/<case_id>/tijdlijn")
@roles_required(*CASE_READERS)
def timeline_more(case_id: str):
    """Older moments of the timeline (``voor``: an event number), as a fragment the case page's script
    adds under the list; the same page of moments is on ``/zaken/<id>?voor=...`` without script."""
    state = engine().state(case_id)
    log_read(state.id, "tijdlijn")
    version = engine().version(state.version_id)
    page = timeline_page(case_id, version, people(), before=before_arg(request.args.get("voor")))
    return render_template("cases/timeline_more.html", case=state, timeline=page)


def _title(version, element_id: str) -> str:
    for spec in (version.spec, *version.subprocess_specs.values()):
        task_spec = spec.task_specs.get(element_id)
        if task_spec is not None:
            return getattr(task_spec, "bpmn_name", None) or element_id
    return element_id


@bp.get("/<case_id>/diagram.bpmn")
@roles_required(*CASE_READERS)
def diagram(case_id: str):
    """The BPMN XML of the version the case runs on, for the viewer on the case page."""
    state = engine().state(case_id)
    log_read(state.id, "diagram")
    files = engine().version(state.version_id).bundle["bpmn"]
    marker = f'id="{state.process_id}"'
    text = next((t for t in files.values() if marker in t), next(iter(files.values()), ""))
    return xml_download(text, f"{state.process_id}.bpmn")


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
