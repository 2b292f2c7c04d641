"""The API's resources: processes, cases, history, tasks, incidents. Each view checks its scope, calls the
engine facade once or twice, and returns plain data; the schemas in ``schemas.py`` shape and document it."""

from __future__ import annotations

from dataclasses import asdict
from functools import wraps

from flask import g, make_response, request
from flask_smorest import Blueprint

from engine import uploads

from ..services import engine
from .problems import init_blueprint, problem
from .schemas import (
    CaseQuerySchema,
    CaseSchema,
    CaseStartSchema,
    ClaimSchema,
    CompleteSchema,
    HistoryEntrySchema,
    IncidentSchema,
    ProcessSchema,
    TaskDetailSchema,
    TaskQuerySchema,
    TaskSchema,
)

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="Regie voor andere systemen")
init_blueprint(blp)


@blp.before_request
def _authenticate():
    """Every call needs a valid, unrevoked key; the web app's login session does not count."""
    g.api_client = None
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    client = engine().api_clients.authenticate(key) if scheme.lower() == "bearer" else None
    if client is None:
        return problem(401, "Geef een geldige API-sleutel: Authorization: Bearer regie_<id>_<geheim>. Een sleutel "
                            "maakt de beheerder met 'regie apikeys add'.", headers={"WWW-Authenticate": "Bearer"})
    g.api_client = client


@blp.after_request
def _log_call(response):
    """Every call of a known client is logged: client, method, path, status (never a body)."""
    client = g.get("api_client")
    if client is not None:
        engine().api_clients.record_call(client.id, request.method, request.path, response.status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def scope(name: str):
    """Only for clients whose key has scope ``name``; others get 403 naming the scope."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not g.api_client.may(name):
                return problem(403, f"Deze sleutel mag dit niet: daarvoor is scope '{name}' nodig. Vraag de "
                                    "beheerder om een sleutel met die scope.")
            return view(*args, **kwargs)

        wrapped.__doc__ = f"{(view.__doc__ or '').rstrip()}\n\nScope: {name}."
        return wrapped

    return decorator


def _actor() -> str:
    return f"api:{g.api_client.name}"


def _case(state, personal: bool) -> dict:
    body = {k: getattr(state, k) for k in ("id", "number", "process_id", "version_id", "status", "active",
                                          "created_at", "updated_at", "revision", "business_key")}
    if personal:
        body.update(subject=state.subject, data=state.data)
        engine().record_access(_actor(), state.id, "api")
    return body


# --- processes ----------------------------------------------------------------------------------

@blp.route("/processes")
@blp.response(200, ProcessSchema(many=True))
@scope("processes:read")
def processes():
    """Deployed processes with their current version."""
    return engine().processes()


# --- cases --------------------------------------------------------------------------------------

@blp.route("/cases", methods=["POST"])
@blp.arguments(CaseStartSchema)
@blp.response(201, CaseSchema)
@scope("cases:start")
def start_case(body):
    """Start a case on the process's current version, with the data of its start form."""
    case_id = engine().start(body["process_id"], body["data"], actor=_actor(), business_key=body.get("business_key"))
    return _case(engine().state(case_id), personal=g.api_client.may("cases:read-personal"))


@blp.route("/cases")
@blp.arguments(CaseQuerySchema, location="query")
@blp.response(200, CaseSchema(many=True))
@scope("cases:read")
def list_cases(query):
    """The newest cases, by process, status and business key. Without personal data (the list is for finding
    cases)."""
    states = engine().cases(query.get("process_id"), query.get("status"), query["limit"],
                            business_key=query.get("business_key"))
    return [_case(s, personal=False) for s in states]


@blp.route("/cases/<ref>")
@blp.response(200, CaseSchema)
@scope("cases:read")
def get_case(ref):
    """One case, by id or case number. Name and data only with scope cases:read-personal (logged)."""
    return _case(engine().state(ref), personal=g.api_client.may("cases:read-personal"))


@blp.route("/cases/<ref>/history")
@blp.response(200, HistoryEntrySchema(many=True))
@scope("cases:read-personal")
def history(ref):
    """Every event of the case's hash-chained log, oldest first (events carry form data: logged)."""
    case_id = engine().resolve_case(ref)
    entries = engine().history(case_id)
    engine().record_access(_actor(), case_id, "api")
    return [asdict(e) for e in entries]


@blp.route("/cases/<ref>/files/<file_id>")
@blp.response(200, {"format": "binary", "type": "string"}, content_type="application/octet-stream")
@scope("cases:read-personal")
def case_file(ref, file_id):
    """A file sent with one of the case's task forms, as a download (logged)."""
    case_id, found = engine().stored_file(ref, file_id)
    if found is None:
        return problem(404, "Deze zaak heeft geen bestand met dit id. De ids staan in de gegevens van de zaak.")
    engine().record_access(_actor(), case_id, f"bestand {found.id}")
    response = make_response(found.content)
    response.headers["Content-Type"] = found.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{found.id}{uploads.EXTENSIONS[found.media_type]}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- tasks --------------------------------------------------------------------------------------

@blp.route("/tasks")
@blp.arguments(TaskQuerySchema, location="query")
@blp.response(200, TaskSchema(many=True))
@scope("tasks:read")
def list_tasks(query):
    """Open user tasks, by case (id or number), role or assignee."""
    tasks = engine().tasks(case_id=query.get("case"), role=query.get("role"), user=query.get("assignee"),
                           limit=query["limit"])
    return [asdict(t) for t in tasks]


@blp.route("/tasks/<task_id>")
@blp.response(200, TaskDetailSchema)
@scope("tasks:read")
def get_task(task_id):
    """One task, with the JSON Schema of its form (what ``complete`` accepts)."""
    task = engine().task(task_id)
    form = engine().form(task_id)
    return {**asdict(task), "form_schema": form.schema if form is not None else None}


@blp.route("/tasks/<task_id>/claim", methods=["POST"])
@blp.arguments(ClaimSchema)
@blp.response(200, TaskSchema)
@scope("tasks:complete")
def claim(body, task_id):
    """Give an unassigned task to a user. A task someone already has is refused (409): only a coordinator
    moves work between people, in the app."""
    task = engine().task(task_id)
    if task.state == "open" and task.assignee and task.assignee != body["user"]:
        return problem(409, f"De taak '{task.title}' is al in behandeling bij {task.assignee}. Alleen een "
                            "coördinator kan hem aan iemand anders geven.")
    return asdict(engine().claim(task_id, body["user"], actor=_actor()))


@blp.route("/tasks/<task_id>/complete", methods=["POST"])
@blp.arguments(CompleteSchema)
@blp.response(200, TaskSchema)
@scope("tasks:complete")
def complete(body, task_id):
    """Complete a ready task with its form data; the case moves on. Wrong data: 422 with every field.
    A file field gets ``{"filename": "brief.pdf", "content_base64": "..."}`` (PDF, PNG or JPG, at most
    ``REGIE_UPLOAD_MAX_MB``); the case data then holds its reference."""
    data, files = uploads.from_json(body["data"])
    return asdict(engine().complete(task_id, data, actor=_actor(), files=files or None))


# --- incidents ----------------------------------------------------------------------------------

@blp.route("/incidents")
@blp.response(200, IncidentSchema(many=True))
@scope("cases:read")
def incidents():
    """Open incidents: failed timers and refused steps, oldest first."""
    return [asdict(i) for i in engine().incidents()]
