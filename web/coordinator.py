"""The coordinator's overview (``/overzicht``): open work per process and stage, overdue, escalations,
workload per colleague."""

from __future__ import annotations

from flask import Blueprint, render_template

from .auth import roles_required
from .services import engine, now
from .views import people, process_names

bp = Blueprint("coordinator", __name__, url_prefix="/overzicht")


@bp.get("")
@roles_required("coordinator")
def index():
    data = engine().overview(now())
    processes = process_names()
    running = {p: 0 for p in processes}
    completed = dict(running)
    for process_id, status, count in data.cases:
        (running if status == "running" else completed)[process_id] = count
    busiest = max((n for _, n, _ in data.workload), default=0)
    stages_max = max((n for *_, n, _ in data.stages), default=0)
    return render_template(
        "coordinator/overview.html", data=data, processes=processes, running=running, completed=completed,
        busiest=busiest, stages_max=stages_max, names=people(), break_glass=engine().break_glass_log(days=30),
    )
