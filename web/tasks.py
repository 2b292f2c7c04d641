"""The task page (``/taken/<id>``): the task's form, drafts, server-side checks, completing the task."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for

from engine import uploads
from engine.errors import ConflictError, InvalidData, RegieError, TaskNotReady
from engine.uploads import Upload

from .access import log_read, may_complete, no_access_page, require_work
from .auth import login_required
from .services import engine, today
from .views import people, process_names
from .widgets import WIDGETS, initial_values, raw_values, read_form, sections, shown_fields

bp = Blueprint("tasks", __name__, url_prefix="/taken")


def _open(task_id: str):
    """The task and its form when the current user may work on it and read its case (need-to-know: the task
    shows the case's personal data); else 403. One transaction (``Engine.task_page``)."""
    found = engine().task_page(task_id, g.user.username, sorted(g.user.roles))
    g.work_scope = found.scope                        # access.work_scope() uses what this read already
    require_work(g.user, found.task)
    if found.access is None:
        task = found.task
        abort(make_response(no_access_page(task.case_id, task.case_number or task.case_id[:8]), 403))
    return found.task, found.form


@bp.get("/<task_id>")
@login_required
def show(task_id: str):
    task, form = _open(task_id)
    saved = engine().draft(task_id)
    raw = saved.values if saved else (initial_values(form) if form else {})
    return _render(task, form, raw, draft_row=saved)


@bp.post("/<task_id>")
@login_required
def submit(task_id: str):
    task, form = _open(task_id)
    raw = raw_values(form, request.form) if form else {}
    if task.state != "open":
        return _render(task, form, raw, conflict=_closed(task), status=409)
    if request.form.get("actie") == "concept":
        refused = may_complete(g.user, task)       # a draft of someone else's task would overwrite theirs
        if refused:
            return _render(task, form, raw, conflict=refused, status=403)
        try:
            engine().save_draft(task_id, raw, g.user.username)
        except ConflictError:
            return _render(task, form, raw, conflict=_closed(engine().task(task_id)), status=409)
        flash("Uw concept is opgeslagen. U kunt later verder gaan waar u was.", "success")
        return redirect(url_for("tasks.show", task_id=task_id))
    refused = may_complete(g.user, task)
    if refused:
        return _render(task, form, raw, conflict=refused, status=403)
    files = _files(form)
    data, problems = read_form(form, raw, today=today(), files=set(files)) if form else ({}, {})
    if problems:
        return _render(task, form, raw, problems=problems, status=422)
    try:
        done = engine().complete(task_id, data, actor=g.user.username, files=files or None)
    except InvalidData as err:
        return _render(task, form, raw, problems=err.by_field(), status=422)
    except ConflictError as err:
        return _render(task, form, raw, conflict=str(err), status=409)
    except RegieError as err:
        return _render(task, form, raw, conflict=str(err), status=400)
    flash(f"De taak '{done.title}' is afgerond.", "success")
    return redirect(url_for("cases.show", case_id=done.case_id))


def _files(form) -> dict[str, Upload]:
    """The files sent for the form's ``file`` fields (a field left empty sends none)."""
    found = {}
    for f in (form.fields if form else ()):
        sent = request.files.get(f.name) if f.type == "file" else None
        if sent is not None and sent.filename:
            found[f.name] = Upload(sent.filename, sent.read(uploads.max_bytes() + 1))  # the engine refuses more
    return found


def _closed(task) -> str:
    """The engine's own words for a task that someone else finished first."""
    row = engine().task(task.id)
    who = people().get(row.completed_by or "", row.completed_by or "")
    detail = f"afgerond door {who}" if row.state == "completed" else "vervallen"
    return str(TaskNotReady(task.id, task.title, detail))


def _render(task, form, raw, problems=None, conflict=None, draft_row=None, status=200):
    state = engine().state(task.case_id)
    log_read(state.id, "taak")
    team = engine().colleagues() if g.user.is_coordinator else []
    return render_template(
        "tasks/task.html", task=task, case=state, process=process_names().get(task.process_id, task.process_id),
        form=form, sections=sections(form) if form else [], raw=raw, problems=problems or {},
        shown=shown_fields(form, raw) if form else set(), widgets=WIDGETS, conflict=conflict,
        draft=draft_row, refused=may_complete(g.user, task) if task.state == "open" else None,
        colleagues=team, names=people(),
    ), status
