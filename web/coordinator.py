"""The coordinator's overview (``/overzicht``): open work per process and stage, overdue, escalations,
workload per colleague."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from engine import accountability

from .auth import roles_required
from .services import engine, now

bp = Blueprint("coordinator", __name__, url_prefix="/overzicht")


@bp.get("")
@roles_required("coordinator")
def index():
    # One statement (and one for a team coordinator's scope): the counts from the overview's projection.
    data = engine().overview(now(), user=g.user.username, roles=tuple(sorted(g.user.roles)))
    processes = data.processes
    running = {p: 0 for p in processes}
    completed = dict(running)
    for process_id, status, count in data.cases:
        (running if status == "running" else completed)[process_id] = count
    busiest = max((n for _, n, _ in data.workload), default=0)
    stages_max = max((n for *_, n, _ in data.stages), default=0)
    return render_template(
        "coordinator/overview.html", data=data, processes=processes, running=running, completed=completed,
        busiest=busiest, stages_max=stages_max, names=data.people, break_glass=data.break_glass,
        accountability=accountability.overview(engine()), leefgebieden=accountability.LEEFGEBIEDEN,
    )
