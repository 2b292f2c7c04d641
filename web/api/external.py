"""External tasks over the API (Camunda 7's pattern): workers fetch-and-lock service tasks by topic, then
complete them with variables, report a failure (retries, back-off) or throw a BPMN error. See
``engine.external`` and docs/api.md for a worker in a few lines of httpx."""

from __future__ import annotations

from dataclasses import asdict

from marshmallow import Schema, fields, validate

from ..services import engine
from .resources import _actor, blp, scope

SCOPE = "external-tasks"
_WORKER = {"required": True, "validate": validate.Length(min=1, max=200),
           "metadata": {"description": "De naam van de werker; steeds dezelfde voor vasthouden en afronden."}}


class FetchAndLockSchema(Schema):
    worker_id = fields.String(**_WORKER)
    topics = fields.List(fields.String(validate=validate.Length(min=1, max=200)), required=True,
                         validate=validate.Length(min=1, max=50),
                         metadata={"description": "De topics (camunda:topic of regie:topic) waarvoor de werker werk doet."})
    max_tasks = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    lock_duration = fields.Integer(load_default=60, validate=validate.Range(min=1, max=7 * 24 * 3600),
                                   metadata={"description": "Seconden dat de werker de taak vasthoudt."})


class LockedTaskSchema(Schema):
    id = fields.String(required=True)
    topic = fields.String(required=True)
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    process_id = fields.String(required=True)
    element = fields.String(required=True)
    worker_id = fields.String(required=True)
    locked_until = fields.DateTime(required=True)
    retries = fields.Integer(required=True, allow_none=True,
                             metadata={"description": "Pogingen over na eerdere mislukkingen; null: nog geen. Een "
                                                      "job worker uit Camunda 8 begint met de retries uit het model."})
    variables = fields.Dict(required=True, metadata={"description": "De gegevens van de zaak (gelogd), met de "
                                                                     "invoer (zeebe:input) van een job worker."})
    headers = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                          metadata={"description": "De zeebe:taskHeaders van de taak in het model; {} zonder."})


class CompleteExternalSchema(Schema):
    worker_id = fields.String(**_WORKER)
    variables = fields.Dict(load_default=dict, metadata={"description": "Wat de werker teruggeeft aan de zaak."})


class FailureSchema(Schema):
    worker_id = fields.String(**_WORKER)
    error_message = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    retries = fields.Integer(required=True, validate=validate.Range(min=0, max=100),
                             metadata={"description": "Pogingen die nog over zijn; 0: stoppen met een incident."})
    retry_timeout = fields.Integer(load_default=0, validate=validate.Range(min=0, max=7 * 24 * 3600),
                                   metadata={"description": "Seconden wachten voor de volgende poging."})


class BpmnErrorSchema(Schema):
    worker_id = fields.String(**_WORKER)
    error_code = fields.String(required=True, validate=validate.Length(min=1, max=200),
                               metadata={"description": "De errorCode die een foutgebeurtenis in het model opvangt."})
    error_message = fields.String(load_default="", validate=validate.Length(max=2000))
    variables = fields.Dict(load_default=dict)


class RetriesSchema(Schema):
    retries = fields.Integer(required=True, validate=validate.Range(min=1, max=100))


class ExternalTaskQuerySchema(Schema):
    topic = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ExternalTaskSchema(Schema):
    id = fields.String(required=True)
    topic = fields.String(required=True)
    case_id = fields.String(required=True)
    process_id = fields.String(required=True)
    element = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open, of incident als de pogingen op zijn."})
    worker_id = fields.String(required=True, allow_none=True)
    locked_until = fields.DateTime(required=True, allow_none=True)
    retries = fields.Integer(required=True, allow_none=True)
    retry_at = fields.DateTime(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class DoneSchema(Schema):
    task_id = fields.String(required=True)
    case_id = fields.String(required=True)


@blp.route("/external-tasks/fetch-and-lock", methods=["POST"])
@blp.arguments(FetchAndLockSchema)
@blp.response(200, LockedTaskSchema(many=True))
@scope(SCOPE)
def fetch_and_lock(body):
    """Hold up to ``max_tasks`` free tasks of the topics for ``lock_duration`` seconds, oldest first. Two
    workers never get the same task; a lock that runs out frees it. The case data come along (logged)."""
    locked = engine().external_tasks.fetch_and_lock(body["worker_id"], body["topics"], body["max_tasks"],
                                                    body["lock_duration"], actor=_actor())
    for case_id in dict.fromkeys(t.case_id for t in locked):
        engine().record_access(_actor(), case_id, "api")
    return [asdict(t) for t in locked]


@blp.route("/external-tasks")
@blp.arguments(ExternalTaskQuerySchema, location="query")
@blp.response(200, ExternalTaskSchema(many=True))
@scope(SCOPE)
def list_external_tasks(query):
    """Waiting external tasks (free, held or stopped with an incident), oldest first; without case data."""
    return [asdict(t) for t in engine().external_tasks.list(query.get("topic"), None, query["limit"])]


@blp.route("/external-tasks/<task_id>/complete", methods=["POST"])
@blp.arguments(CompleteExternalSchema)
@blp.response(200, DoneSchema)
@scope(SCOPE)
def complete_external(body, task_id):
    """The worker that holds the task finished it; the variables go into the case. Another worker: 409."""
    case_id = engine().external_tasks.complete(task_id, body["worker_id"], body["variables"], actor=_actor())
    return {"task_id": task_id, "case_id": case_id}


@blp.route("/external-tasks/<task_id>/failure", methods=["POST"])
@blp.arguments(FailureSchema)
@blp.response(200, ExternalTaskSchema)
@scope(SCOPE)
def external_failure(body, task_id):
    """The worker could not do it: free again after ``retry_timeout`` seconds while retries are left; with
    0 the task stops and an incident is shown to the coordinator."""
    return asdict(engine().external_tasks.failure(task_id, body["worker_id"], body["error_message"], body["retries"],
                                                  body["retry_timeout"], actor=_actor()))


@blp.route("/external-tasks/<task_id>/bpmn-error", methods=["POST"])
@blp.arguments(BpmnErrorSchema)
@blp.response(200, DoneSchema)
@scope(SCOPE)
def external_bpmn_error(body, task_id):
    """A business error: the model's error boundary event for ``error_code`` takes over. None: 422."""
    case_id = engine().external_tasks.bpmn_error(task_id, body["worker_id"], body["error_code"],
                                                 body["error_message"], body["variables"], actor=_actor())
    return {"task_id": task_id, "case_id": case_id}


@blp.route("/external-tasks/<task_id>/retries", methods=["POST"])
@blp.arguments(RetriesSchema)
@blp.response(200, ExternalTaskSchema)
@scope(SCOPE)
def external_retries(body, task_id):
    """New retries for a task that stopped with an incident (after the cause was fixed); resolves it."""
    return asdict(engine().external_tasks.retry(task_id, body["retries"], actor=_actor()))
