"""The REST API's JSON shapes (marshmallow): the OpenAPI document is generated from these."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class FieldProblemSchema(Schema):
    field = fields.String(required=True, metadata={"description": "Het veld (of '-' voor het geheel)."})
    message = fields.String(required=True, metadata={"description": "Wat er mis is en wat te doen (Nederlands)."})


class ProblemSchema(Schema):
    """RFC 9457 problem details, with the same Dutch message a caseworker reads in the app."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldProblemSchema), metadata={"description": "Per veld: wat te verbeteren."})


class ProcessSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    version_id = fields.String(required=True, metadata={"description": "SHA-256 van de huidige versie."})


class CaseSchema(Schema):
    id = fields.String(required=True)
    number = fields.String(required=True, metadata={"description": "Het zaaknummer, bijvoorbeeld HO-2026-000123."})
    process_id = fields.String(required=True)
    version_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "running, completed of een andere eindstand."})
    active = fields.List(fields.String(), required=True, metadata={"description": "Waar de zaak nu staat."})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    revision = fields.Integer(required=True)
    business_key = fields.String(required=True, allow_none=True, metadata={
        "description": "Uw eigen kenmerk van de zaak (business key), zoals gegeven bij de start; anders null."})
    subject = fields.String(metadata={"description": "Naam van de bewoner; alleen met scope cases:read-personal."})
    data = fields.Dict(metadata={"description": "De gegevens van de zaak; alleen met scope cases:read-personal."})


class CaseStartSchema(Schema):
    process_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(load_default=dict, metadata={"description": "De velden van het startformulier."})
    business_key = fields.String(validate=validate.Length(min=1, max=200), allow_none=True, metadata={
        "description": "Uw eigen kenmerk van de zaak (business key); berichten vinden de zaak ermee."})


class CaseQuerySchema(Schema):
    process_id = fields.String(validate=validate.Length(max=200))
    business_key = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "Alleen de zaak (of zaken) met dit kenmerk."})
    status = fields.String(validate=validate.Length(max=20))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class HistoryEntrySchema(Schema):
    seq = fields.Integer(required=True)
    type = fields.String(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    payload = fields.Dict(required=True)
    hash = fields.String(required=True)


class TaskSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "Het element-id in het model."})
    title = fields.String(required=True)
    role = fields.String(required=True, allow_none=True)
    assignee = fields.String(required=True, allow_none=True)
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    due = fields.DateTime(required=True, allow_none=True)
    follow_up = fields.DateTime(required=True, allow_none=True)
    form = fields.String(required=True, allow_none=True)
    process_id = fields.String(required=True)
    state = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    candidate_users = fields.List(fields.String(), required=True)


class TaskDetailSchema(TaskSchema):
    form_schema = fields.Dict(required=True, allow_none=True,
                              metadata={"description": "JSON Schema van het formulier, of null zonder formulier."})


class TaskQuerySchema(Schema):
    case = fields.String(validate=validate.Length(max=100), metadata={"description": "Zaak-id of zaaknummer."})
    role = fields.String(validate=validate.Length(max=100))
    assignee = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ClaimSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "De gebruikersnaam van wie de taak oppakt."})


class CompleteSchema(Schema):
    data = fields.Dict(load_default=dict, metadata={"description": "De velden van het formulier van de taak."})


class IncidentSchema(Schema):
    id = fields.Integer(required=True)
    case_id = fields.String(required=True)
    element = fields.String(required=True)
    kind = fields.String(required=True)
    message = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    resolved_at = fields.DateTime(required=True, allow_none=True)
