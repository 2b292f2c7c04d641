"""Small helpers the blueprints share: where to go back to, names of processes, tasks and people."""

from __future__ import annotations

from flask import redirect, request, url_for

from engine.accounts import user_names

from .auth import _safe_target
from .services import engine


def back(default: str | None = None):
    """Redirect to the page the form came from (``volgende``), else ``default``, else the inbox."""
    target = _safe_target(request.form.get("volgende") or request.args.get("volgende"))
    return redirect(target or default or url_for("inbox.index"))


def process_names() -> dict[str, str]:
    """Process id -> its name, for every deployed process."""
    return {p["id"]: p["name"] for p in engine().processes()}


def task_names(process_id: str | None = None) -> list[str]:
    """The titles of the user tasks of the current versions, each once, for the inbox's task filter.
    Two elements with one title ("Contactmoment met de ouder" in two phases) are one choice."""
    titles: set[str] = set()
    for p in engine().processes():
        if process_id and p["id"] != process_id:
            continue
        titles.update(info.title for info in engine().version(p["version_id"]).user_tasks.values())
    return sorted(titles, key=str.lower)


def element_ids(process_id: str | None = None) -> set[str]:
    """The element ids of the user tasks (the overview's links filter on one)."""
    return {element for p in engine().processes() if not process_id or p["id"] == process_id
            for element in engine().version(p["version_id"]).user_tasks}


def people() -> dict[str, str]:
    """Username -> full name."""
    return user_names(engine().store)
