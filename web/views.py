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


def task_names(process_id: str | None = None) -> list[tuple[str, str]]:
    """(element id, title) of the user tasks of the current versions, for the inbox's task filter."""
    found: dict[str, str] = {}
    for p in engine().processes():
        if process_id and p["id"] != process_id:
            continue
        for info in engine().version(p["version_id"]).user_tasks.values():
            found.setdefault(info.element_id, info.title)
    return sorted(found.items(), key=lambda item: item[1].lower())


def people() -> dict[str, str]:
    """Username -> full name."""
    return user_names(engine().store)
