"""The event feed and webhook subscriptions over the API (``engine.outbox``; docs/api.md shows a receiver
checking the signature)."""

from __future__ import annotations

from dataclasses import asdict

from flask import g
from marshmallow import Schema, fields, validate

from ..services import engine
from .problems import problem
from .resources import _actor, blp, scope


class FeedQuerySchema(Schema):
    after = fields.String(validate=validate.Length(max=18),
                          metadata={"description": "De cursor (next) van de vorige pagina; leeg: vanaf het begin."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class FeedEventSchema(Schema):
    id = fields.Integer(required=True)
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    process_id = fields.String(required=True)
    seq = fields.Integer(required=True, metadata={"description": "Het volgnummer in de geschiedenis van de zaak."})
    type = fields.String(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    hash = fields.String(required=True)
    payload = fields.Dict(allow_none=True, metadata={"description": "Alleen met scope cases:read-personal (gelogd)."})


class FeedPageSchema(Schema):
    events = fields.List(fields.Nested(FeedEventSchema), required=True)
    next = fields.String(required=True, metadata={"description": "Geef dit als after voor de volgende pagina."})


class WebhookCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    url = fields.String(required=True, validate=validate.Length(min=1, max=500))
    event_types = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list,
                              validate=validate.Length(max=50),
                              metadata={"description": "Alleen deze soorten gebeurtenissen; leeg: alle."})
    process_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    personal = fields.Boolean(load_default=False,
                              metadata={"description": "Inhoud meesturen (persoonsgegevens); vraagt cases:read-personal."})


class WebhookSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    url = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True)
    process_id = fields.String(required=True, allow_none=True)
    personal = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(required=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)
    pending = fields.Integer(required=True, metadata={"description": "Gebeurtenissen die nog wachten op aflevering."})


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(required=True, metadata={"description": "Het geheim voor de handtekening; alleen nu te zien."})


@blp.route("/events")
@blp.arguments(FeedQuerySchema, location="query")
@blp.response(200, FeedPageSchema)
@scope("events:read")
def events(query):
    """Case events after the cursor, oldest first, a page at a time. Payloads only with scope
    cases:read-personal (each case read is logged)."""
    personal = g.api_client.may("cases:read-personal")
    page = engine().event_feed(query.get("after"), query["limit"], personal)
    if personal:
        for case_id in dict.fromkeys(e.case_id for e in page.events):
            engine().record_access(_actor(), case_id, "api")
    return {"events": [asdict(e) for e in page.events], "next": page.next}


@blp.route("/webhooks", methods=["POST"])
@blp.arguments(WebhookCreateSchema)
@blp.response(201, WebhookCreatedSchema)
@scope("webhooks:manage")
def create_webhook(body):
    """Subscribe a receiver: every matching case event is POSTed to its URL, signed with the secret that only
    this answer shows (header Regie-Signature, see docs/api.md)."""
    if body["personal"] and not g.api_client.may("cases:read-personal"):
        return problem(403, "Inhoud met persoonsgegevens meesturen mag alleen met scope 'cases:read-personal'. "
                            "Vraag de beheerder om een sleutel met die scope, of laat personal weg.")
    hook, secret = engine().webhooks.create(body["name"], body["url"], _actor(), body["event_types"],
                                            body["process_id"], body["personal"])
    return {**asdict(hook), "secret": secret}


@blp.route("/webhooks")
@blp.response(200, WebhookSchema(many=True))
@scope("webhooks:manage")
def list_webhooks():
    """Every webhook (never its secret), with how many events still wait for delivery."""
    return [asdict(h) for h in engine().webhooks.list()]


@blp.route("/webhooks/<ref>", methods=["DELETE"])
@blp.response(200, WebhookSchema)
@scope("webhooks:manage")
def revoke_webhook(ref):
    """Stop a webhook (by id or name): nothing more is queued or sent."""
    return asdict(engine().webhooks.revoke(ref, _actor()))
