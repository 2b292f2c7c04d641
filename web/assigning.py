"""The coordinator's "give to a colleague" form: its checks, a warning before giving a task to someone
outside the task's team, and what was chosen kept after an error.

The form posts to ``/taken/toewijzen`` and the app redirects back to the page it came from (inbox or
task page). What the coordinator chose, the errors per field and a warning travel in the session to
that page (``pending()``), so the selection, the colleague and the reason are still there, and each
message sits at its own field.
"""

from __future__ import annotations

from typing import Any

from flask import session

from engine.accounts import ROLES

KEY = "toewijzen"


def check(task_ids: list[str], colleague: str, reason: str) -> dict[str, str]:
    """What is missing, per field of the form (empty when the form is complete)."""
    errors = {}
    if not task_ids:
        errors["taak"] = "Kies eerst een of meer taken met de vakjes in de lijst."
    if not colleague:
        errors["collega"] = "Kies een collega aan wie u de taken geeft."
    if not reason:
        errors["reden"] = "Vul een reden in. De reden komt in de geschiedenis van de zaak."
    return errors


def outside_team(tasks: list, colleague_name: str, colleague_roles: set[str]) -> str | None:
    """A warning when a task's team (role) is not one of the colleague's roles, else None."""
    outside = [t for t in tasks if t.role and t.role not in colleague_roles]
    if not outside:
        return None
    teams = ", ".join(dict.fromkeys(ROLES.get(t.role, t.role) for t in outside))
    titles = ", ".join(dict.fromkeys(f"'{t.title}'" for t in outside))
    return (f"{colleague_name} hoort niet bij het team {teams} van de taak {titles}. Weet u zeker dat u de "
            f"taak aan {colleague_name} wilt geven? Kies dan Toch toewijzen.")


def keep(task_ids: list[str], colleague: str, reason: str, errors: dict[str, str] | None = None,
         warning: str | None = None) -> None:
    """Hold the choices for the page the redirect lands on."""
    session[KEY] = {"taken": task_ids, "collega": colleague, "reden": reason, "fouten": errors or {},
                    "waarschuwing": warning}


def pending() -> dict[str, Any]:
    """The choices of a refused or warned assignment (once), or an empty dict."""
    return session.pop(KEY, None) or {}
