"""The coordinator imports the Belastingdienst list (``/overzicht/lijst``): one case per new parent.

Without JavaScript the form posts and the page comes back with the report. With it (``list-import.js``),
the same post asks for progress (header ``X-Regie-Voortgang: 1``): the answer is a stream of JSON lines,
``{"klaar": n, "totaal": m}`` while the rows are worked through, then ``{"html": <the report>}`` or
``{"fout": <message>}``, so the page shows a progress bar during a long import.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, g, render_template, request, stream_with_context

from engine.errors import RegieError
from engine.forms import local_date
from engine.lists import PROCESS, import_rows, read_bytes

from .auth import roles_required
from .services import engine

bp = Blueprint("lijsten", __name__, url_prefix="/overzicht/lijst")
PROGRESS_HEADER = "X-Regie-Voortgang"
STEPS = 100          # at most this many progress lines per import


@bp.get("")
@roles_required("coordinator")
def form():
    return render_template("coordinator/list_import.html", today=local_date(engine().clock.now()).isoformat(),
                           report=None, error=None)


@bp.post("")
@roles_required("coordinator")
def upload():
    eng = engine()
    list_date = request.form.get("datum") or local_date(eng.clock.now()).isoformat()
    dry_run = bool(request.form.get("proef"))
    upload = request.files.get("bestand")
    streamed = request.headers.get(PROGRESS_HEADER) == "1"
    error = None
    report = None
    rows = []
    if upload is None or not upload.filename:
        error = "Kies het bestand met de lijst van de Belastingdienst (CSV of Excel)."
    else:
        try:
            eng.current_version(PROCESS)
            rows = read_bytes(upload.read(), upload.filename)
            if not streamed:
                report = import_rows(eng, rows, list_date, g.user.username, dry_run=dry_run)
        except RegieError as err:
            error = str(err)
    if streamed:
        if error:
            return Response(json.dumps({"fout": error}) + "\n", status=400, mimetype="application/x-ndjson")
        return Response(stream_with_context(_progress(eng, rows, list_date, g.user.username, dry_run)),
                        mimetype="application/x-ndjson", headers={"Cache-Control": "no-store",
                                                                  "X-Accel-Buffering": "no"})
    return render_template("coordinator/list_import.html", today=list_date, report=report, error=error,
                           dry_run=dry_run), 400 if error else 200


def _progress(eng, rows, list_date: str, actor: str, dry_run: bool) -> Iterator[str]:
    """Run the import in a worker thread and pass its progress on as JSON lines."""
    lines: queue.Queue = queue.Queue()
    app = current_app._get_current_object()    # type: ignore[attr-defined]
    last = [-1]

    def progress(done: int, total: int) -> None:
        step = done * STEPS // max(total, 1)
        if step != last[0] or done == total:
            last[0] = step
            lines.put({"klaar": done, "totaal": total})

    def work() -> None:
        try:
            lines.put({"rapport": import_rows(eng, rows, list_date, actor, dry_run=dry_run, progress=progress)})
        except RegieError as err:
            lines.put({"fout": str(err)})
        except Exception:      # noqa: BLE001 - the page must hear that it failed; the log has the details
            app.logger.exception("list import failed")
            lines.put({"fout": "Er ging iets mis bij het inlezen; er is niets ingelezen. Probeer het opnieuw."})

    worker = threading.Thread(target=work, name="lijst-inlezen", daemon=True)
    worker.start()
    try:
        while True:
            line = lines.get()
            if "rapport" in line:
                html = render_template("coordinator/_list_report.html", report=line["rapport"], dry_run=dry_run)
                yield json.dumps({"html": html}) + "\n"
                return
            yield json.dumps(line) + "\n"
            if "fout" in line:
                return
    finally:
        worker.join()
