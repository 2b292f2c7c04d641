"""Files sent with task forms (``engine.uploads``): a download for the case team, written to the access log.

A file is never shown in the browser: it comes as an attachment (``Content-Disposition: attachment``), with
``nosniff`` and a sandboxing Content-Security-Policy, so even a file that slipped past the type check could
not run as a page of Regie.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Flask, abort, g, make_response, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from engine import uploads

from .access import case_label, log_read, no_access_page
from .auth import login_required
from .services import engine

bp = Blueprint("files", __name__, url_prefix="/zaken")

FILES_PER_FORM = 4      # a task form's post may carry this many files of the maximum size


def init_app(app: Flask) -> None:
    """Room for files in a task form's post, and only there (elsewhere ``MAX_CONTENT_LENGTH``, 2 MB, holds).
    Registered before CSRF protection, which reads the post first."""

    app.register_error_handler(RequestEntityTooLarge, _too_large)

    @app.before_request
    def room_for_files():
        if request.endpoint == "tasks.submit" and request.method == "POST":
            request.max_content_length = uploads.max_bytes() * FILES_PER_FORM + app.config["MAX_CONTENT_LENGTH"]
        elif request.endpoint == "api.complete" and request.method == "POST":          # base64: 4 bytes per 3
            request.max_content_length = uploads.max_bytes() * 4 // 3 * FILES_PER_FORM + app.config["MAX_CONTENT_LENGTH"]


def _too_large(err):
    """A post larger than the server takes (with files: several at the maximum size): say what to do."""
    if request.path.startswith("/api/"):
        return err
    megabytes = f"{uploads.max_bytes() / 1_000_000:g}".replace(".", ",")
    return render_template("errors/page.html", status=413, title="Te groot om te versturen",
                           message=f"Wat u verstuurde is te groot. Een bestand mag hoogstens {megabytes} MB zijn. "
                                   "Ga terug, kies een kleiner bestand en verstuur het formulier opnieuw. "
                                   "Er is niets opgeslagen."), 413


@bp.get("/<case_ref>/bestanden/<file_id>")
@login_required
def download(case_ref: str, file_id: str):
    case_id, access, found = engine().case_file(case_ref, file_id, g.user.username, sorted(g.user.roles))
    if access is None:
        abort(make_response(no_access_page(case_id, case_label(case_id)), 403))
    if found is None:
        abort(404, description="Dit bestand hoort niet bij deze zaak.")
    log_read(case_id, f"bestand {found.id}")
    response = make_response(found.content)
    response.headers["Content-Type"] = found.media_type
    ascii_name = found.name.encode("ascii", "replace").decode().replace("?", "_")
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(found.name)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
