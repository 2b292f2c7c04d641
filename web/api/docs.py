"""``/api/v1/docs``: the OpenAPI document as a readable page (no outside scripts, like every page here)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/api/v1/docs")
def index():
    """Public, like the OpenAPI document itself: it describes the API, not anyone's data."""
    spec = current_app.extensions["regie.api"].spec.to_dict()
    operations = [
        (path, method.upper(), op) for path, item in spec["paths"].items()
        for method, op in item.items() if method in ("get", "post", "put", "patch", "delete")
    ]
    return render_template("api/docs.html", spec=spec, operations=operations)
