"""Who may do what with a task or case. The engine records who did it; the web app decides who may."""

from __future__ import annotations

from flask import abort, g, make_response, render_template

from engine import CasePage, TaskView
from engine.accounts import user_names

from .auth import WORK_ROLES, CurrentUser
from .services import engine

CASE_READERS = WORK_ROLES          # caseworkers, specialists and coordinators open case pages
CASE_STARTERS = ("casemanager", "coordinator")


def work_scope(user: CurrentUser):
    """What ``user`` works on (``engine.teams.WorkScope``: their teams, the processes and lanes those work),
    read once per request."""
    cached = g.get("work_scope")
    if cached is None or cached.username != user.username:
        cached = g.work_scope = engine().teams.scope(user.username, sorted(user.roles))
    return cached


def may_work_on(user: CurrentUser, task: TaskView) -> bool:
    """Open, fill in, claim: the task's team (``engine.teams``; without teams: its role), its candidate users,
    its assignee, or a coordinator of the team (without teams: any coordinator)."""
    return (task.assignee == user.username or user.username in task.candidate_users
            or work_scope(user).works_on(task.process_id, task.role))


def may_claim(user: CurrentUser, task) -> bool:
    """Whether to offer *Oppakken*: an open, unassigned task of the user's team (or its coordinator).
    ``task`` is a TaskView or an inbox row (which has no candidate users)."""
    if getattr(task, "state", "open") != "open" or task.assignee:
        return False
    return user.username in getattr(task, "candidate_users", ()) or work_scope(user).works_on(task.process_id, task.role)


def may_complete(user: CurrentUser, task: TaskView) -> str | None:
    """None when ``user`` may complete ``task``; else why not (Dutch, shown next to the buttons)."""
    if not may_work_on(user, task):
        return "Deze taak hoort niet bij uw team. U kunt hem bekijken, maar niet afronden."
    if task.assignee and task.assignee != user.username and not user.is_coordinator:
        who = user_names(engine().store).get(task.assignee, task.assignee)
        return (f"Deze taak is in behandeling bij {who}. Vraag de coördinator om de taak aan u "
                "te geven als u hem wilt afronden.")
    return None


def claim_refused(user: CurrentUser, task: TaskView) -> str | None:
    """None when ``user`` may take ``task`` into their own inbox; else why not. Only a task nobody has:
    handing over a colleague's task is the coordinator's job (*Toewijzen*)."""
    if not may_work_on(user, task):
        return "Deze taak hoort bij een ander team."
    if task.assignee and task.assignee != user.username:
        return (f"Deze taak is al in behandeling bij {task.assignee}. Alleen de coördinator kan hem aan iemand "
                "anders geven.")
    return None


def require_work(user: CurrentUser, task: TaskView) -> None:
    if not may_work_on(user, task):
        abort(403, description="Deze taak hoort bij een ander team.")


def require_case_access(case_ref: str) -> str:
    """The case's id when the current user may read it (need-to-know, ``Engine.case_access``); otherwise a 403
    page that explains why and offers to break the glass with a reason. Shows nothing of the resident."""
    case_id = engine().resolve_case(case_ref)
    if engine().case_access(case_id, g.user.username, sorted(g.user.roles)) is None:
        abort(make_response(no_access_page(case_id, case_label(case_id)), 403))
    return case_id


def read_case_page(case_ref: str, page: str, before: int | None, limit: int) -> CasePage:
    """What a case page shows, when the current user may read the case (need-to-know): one transaction for
    the check and the reads (``Engine.case_page``), then the access log. Otherwise the 403 page of
    ``require_case_access``, and nothing of the resident is read."""
    found = engine().case_page(case_ref, g.user.username, sorted(g.user.roles), before=before, limit=limit)
    if found.access is None:
        abort(make_response(no_access_page(found.case_id, found.number or found.case_id[:8]), 403))
    log_read(found.case_id, page)
    return found


def case_label(case_id: str) -> str:
    """How a page names a case without showing anything of the resident: its case number (or short id)."""
    return engine().case_numbers([case_id]).get(case_id, case_id[:8])


def no_access_page(case_id: str, label: str, problem: str = "", reason: str = "") -> str:
    from engine.runtime import BREAK_GLASS_HOURS

    return render_template("cases/no_access.html", case_id=case_id, label=label, problem=problem, reason=reason,
                           hours=BREAK_GLASS_HOURS)


def watermark() -> str:
    """Who prints or exports a resident's data, and when: '<name> (<username>) op 5 januari 2026, 10:00'. On
    prints of the case and task pages, the appointment card and the CSV exports (AVG, issue #14)."""
    from .filters import datumtijd
    from .services import now

    return f"{g.user.name} ({g.user.username}) op {datumtijd(now())}"


def log_read(case_id: str | None, page: str, reason: str | None = None) -> None:
    """Record in the access log that the current user reads ``case_id``'s personal data on ``page``
    (AVG). Call it on every page that shows a resident's data, before rendering it."""
    engine().record_access(g.user.username, case_id, page, reason)
