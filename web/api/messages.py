"""The API's messages and signals (``engine.messages``): another system tells Regie that something happened —
a decision arrived, a letter went out, a list came in. Scope ``messages:deliver``."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..services import engine
from .resources import _actor, blp, scope


class MessageSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "De naam van het bericht, zoals in het model (bpmn:message name)."})
    message_id = fields.String(required=True, validate=validate.Length(min=1, max=200),
                               metadata={"description": "Uw eigen id van dit bericht (bijvoorbeeld een UUID). "
                                                        "Hetzelfde id nog eens geeft hetzelfde antwoord en levert "
                                                        "niets dubbel af."})
    business_key = fields.String(validate=validate.Length(max=100), allow_none=True,
                                 metadata={"description": "Het zaaknummer (of zaak-id) van de zaak die wacht."})
    correlation = fields.Dict(load_default=dict, metadata={
        "description": "Gegevens van de zaak die moeten kloppen, bijvoorbeeld {\"dossier\": \"D-12\"}."})
    variables = fields.Dict(load_default=dict, metadata={
        "description": "Gegevens die het bericht meebrengt; ze worden gegevens van de zaak."})


class DeliverySchema(Schema):
    message_id = fields.String(required=True)
    name = fields.String(required=True)
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    started = fields.Boolean(required=True, metadata={"description": "Het bericht startte deze zaak."})
    elements = fields.List(fields.String(), required=True,
                           metadata={"description": "De elementen in het model die het bericht opvingen."})
    repeated = fields.Boolean(required=True, metadata={
        "description": "Dit id kwam al eerder: dit is het eerste antwoord, er is niets opnieuw gedaan."})


class SignalSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "De naam van het signaal, zoals in het model (bpmn:signal name)."})
    signal_id = fields.String(validate=validate.Length(min=1, max=200), allow_none=True, metadata={
        "description": "Uw eigen id van dit signaal; hetzelfde id nog eens bereikt geen zaak twee keer."})


class BroadcastSchema(Schema):
    name = fields.String(required=True)
    signal_id = fields.String(required=True, allow_none=True)
    reached = fields.Integer(required=True, metadata={"description": "Hoeveel zaken het signaal kregen of startte."})
    cases = fields.List(fields.String(), required=True, metadata={"description": "Zaaknummers die het kregen."})
    started = fields.List(fields.String(), required=True, metadata={"description": "Zaaknummers die het startte."})
    failed = fields.List(fields.String(), required=True, metadata={
        "description": "Zaken (of processen) waar de stap werd geweigerd; zie de incidenten."})
    repeated = fields.Boolean(required=True)


@blp.route("/messages", methods=["POST"])
@blp.arguments(MessageSchema)
@blp.response(200, DeliverySchema)
@scope("messages:deliver")
def deliver_message(body):
    """Deliver a message to the one case that waits for it (by case number and/or case data), or start a case
    of the process that starts with it. No case waits: 404 ("geen zaak wacht op dit bericht"); several: 409
    naming them; a case that stopped waiting a moment ago: 409. Nothing is written then."""
    delivery = engine().correlate_message(body["name"], body["message_id"], body.get("business_key"),
                                          body["correlation"], body["variables"], actor=_actor())
    return delivery.to_dict()


@blp.route("/signals", methods=["POST"])
@blp.arguments(SignalSchema)
@blp.response(200, BroadcastSchema)
@scope("messages:deliver")
def broadcast_signal(body):
    """Send a signal to every case that waits for it, and start a case of every process that starts with it;
    the answer says which cases it reached (0 when none waits)."""
    return engine().broadcast_signal(body["name"], body.get("signal_id"), actor=_actor()).to_dict()
