"""The inbox (``/taken``): my tasks, my team's tasks, all tasks (coordinators); claim, give back, assign."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, render_template, request, url_for

from engine.errors import RegieError
from engine.queries import COUNT_CAP, InboxQuery

from . import assigning
from .access import claim_refused, may_work_on
from .auth import WORK_ROLES, login_required, roles_required
from .services import day_end, engine, now
from .views import back, element_ids, process_names, task_names
from .views import people as people_names

bp = Blueprint("inbox", __name__, url_prefix="/taken")

VIEWS = {"mijn": ("mine", "Mijn taken"), "team": ("team", "Taken van mijn team"), "alle": ("all", "Alle taken")}
DUE = {"": "Alle termijnen", "verlopen": "Te laat", "vandaag": "Uiterlijk vandaag", "week": "Binnen 7 dagen",
       "geen": "Zonder termijn"}
MAX_PAGE = 10_000          # a page number beyond any real list; larger ones would overflow the OFFSET
_DUE_QUERY = {"verlopen": "overdue", "vandaag": "today", "week": "week", "geen": "none"}


@bp.get("")
@login_required
def index():
    user = g.user
    view = request.args.get("weergave", "mijn")
    if view not in VIEWS or (view == "alle" and not user.is_coordinator):
        view = "mijn"
    page = min(max(request.args.get("pagina", 1, type=int) or 1, 1), MAX_PAGE)
    size = _page_size()
    filters = {k: request.args.get(k, "").strip() for k in ("proces", "taak", "termijn", "zoek")}
    # The filter offers task titles (each once); the overview's links name an element id.
    by_element = filters["taak"] in element_ids(filters["proces"] or None)
    query = InboxQuery(
        view=VIEWS[view][0], user=user.username, roles=tuple(r for r in user.roles if r in WORK_ROLES),
        process_id=filters["proces"] or None, task_name=filters["taak"] if by_element else None,
        task_title=filters["taak"] or None if not by_element else None,
        due=_DUE_QUERY.get(filters["termijn"]), search=filters["zoek"][:100] or None,
    )
    rows, total = engine().inbox(query, day_end(), size, (page - 1) * size, now=now())
    people = engine().colleagues() if user.is_coordinator else []
    names = people_names()
    return render_template(
        "inbox/index.html", rows=rows, total=total, capped=total > COUNT_CAP, page=page, size=size,
        view=view, views=VIEWS, filters=filters, due_options=DUE, processes=process_names(),
        tasks=task_names(filters["proces"] or None), colleagues=people, names=names,
        has_work_role=user.has(*WORK_ROLES), my_teams=engine().teams.of_user(user.username) if view == "team" else [],
    )


def _page_size() -> int:
    from flask import current_app

    return current_app.config["PAGE_SIZE"]


@bp.post("/<task_id>/oppakken")
@login_required
def claim(task_id: str):
    found = engine().task_page(task_id, g.user.username, sorted(g.user.roles), case_access=False)   # one read
    task, g.work_scope = found.task, found.scope
    refused = claim_refused(g.user, task)
    if refused:
        abort(403, description=refused)
    try:
        engine().claim(task_id, g.user.username)
        flash(f"U heeft de taak '{task.title}' opgepakt. Hij staat nu bij Mijn taken.", "success")
    except RegieError as err:
        flash(str(err), "error")
    return back()


@bp.post("/<task_id>/teruggeven")
@login_required
def unclaim(task_id: str):
    task = engine().task(task_id)
    if task.assignee != g.user.username and not (g.user.is_coordinator and may_work_on(g.user, task)):
        abort(403, description="Alleen wie de taak heeft, of de coördinator, kan hem teruggeven.")
    try:
        engine().unclaim(task_id, g.user.username)
        flash(f"De taak '{task.title}' staat weer bij het team.", "success")
    except RegieError as err:
        flash(str(err), "error")
    return back()


@bp.post("/toewijzen")
@roles_required("coordinator")
def assign():
    """Give one or more tasks to a colleague, with a reason that lands in each case's history.

    A missing choice or an unknown colleague keeps what was chosen and says so at the field; a task
    outside the colleague's team asks for confirmation (Toch toewijzen) first."""
    task_ids = list(dict.fromkeys(request.form.getlist("taak")))
    colleague = request.form.get("collega", "").strip()
    reason = request.form.get("reden", "").strip()
    errors = assigning.check(task_ids, colleague, reason)
    user = engine().colleague(colleague) if colleague else None
    if colleague and "collega" not in errors and (user is None or not user.active):
        errors["collega"] = f"De gebruiker '{colleague}' bestaat niet. Controleer de naam."
    if errors:
        assigning.keep(task_ids, colleague, reason, errors)
        return back(url_for("inbox.index", weergave="alle"))
    name = user.name or colleague
    if request.form.get("bevestigd") != colleague:
        tasks = []
        for task_id in task_ids:
            try:
                tasks.append(engine().task(task_id))
            except RegieError:
                pass          # the engine names it below
        warning = assigning.outside_team(tasks, name, set(user.roles.split(",")))
        if warning:
            assigning.keep(task_ids, colleague, reason, warning=warning)
            return back(url_for("inbox.index", weergave="alle"))
    done, failed = 0, []
    for task_id in task_ids:
        try:
            engine().assign(task_id, colleague, g.user.username, reason[:500])
            done += 1
        except RegieError as err:
            failed.append(str(err))
    if done:
        flash(f"{done} {'taak' if done == 1 else 'taken'} toegewezen aan {name}.", "success")
    for message in failed:
        flash(message, "error")
    return back(url_for("inbox.index", weergave="alle"))
