"""The Belastingdienst list over the API (``engine.lists``, as ``regie import lijst`` and the coordinator's page):
the file (CSV or Excel) is checked row by row against the start form, and every new parent gets one case.
Importing the same list again adds nothing. Scope ``lists:import``."""

from __future__ import annotations

import base64
import binascii

from marshmallow import Schema, fields, validate

from engine.errors import FieldProblem, InvalidData
from engine.forms import local_date
from engine.lists import PROCESS, import_rows, read_bytes

from ..services import engine
from .resources import _actor, blp, scope

MAX_FILE = 20 * 1024 * 1024     # bytes of the file itself


class ListImportSchema(Schema):
    filename = fields.String(required=True, validate=validate.Regexp(r"(?i)^[^/\\]{1,200}\.(csv|txt|xlsx|xlsm)$"),
                             metadata={"description": "De bestandsnaam; de extensie zegt of het CSV of Excel is."})
    content_base64 = fields.String(required=True, validate=validate.Length(min=1, max=MAX_FILE * 4 // 3 + 4),
                                   metadata={"description": "De inhoud van het bestand, base64-gecodeerd."})
    list_date = fields.Date(load_default=None, allow_none=True,
                            metadata={"description": "De datum van de lijst; standaard vandaag."})
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "Alleen controleren: zeggen wat er zou gebeuren, niets starten."})


class _Line(Schema):
    regel = fields.Integer(required=True, metadata={"description": "Regelnummer in het bestand (1 = de kolomnamen)."})
    zaak = fields.String(required=True)


class _Changed(_Line):
    velden = fields.List(fields.String(), required=True)


class _Rejected(Schema):
    regel = fields.Integer(required=True)
    reden = fields.String(required=True, metadata={"description": "Wat er mis is met de regel (Nederlands)."})


class ListReportSchema(Schema):
    regels = fields.Integer(required=True, metadata={"description": "Regels met een ouder in het bestand."})
    nieuw = fields.List(fields.Nested(_Line), required=True, metadata={"description": "Nieuwe ouders: hun zaak."})
    bekend = fields.List(fields.Nested(_Line), required=True, metadata={"description": "Al bekend: geen nieuwe zaak."})
    gewijzigd = fields.List(fields.Nested(_Changed), required=True,
                            metadata={"description": "Al bekend, maar met andere gegevens op de lijst."})
    afgewezen = fields.List(fields.Nested(_Rejected), required=True,
                            metadata={"description": "Afgewezen regels; die starten niets."})
    proef = fields.Boolean(required=True, metadata={"description": "Alleen gecontroleerd; niets gestart."})


@blp.route("/lists", methods=["POST"])
@blp.arguments(ListImportSchema)
@blp.response(200, ListReportSchema)
@scope("lists:import")
def import_list(body):
    """Import a Belastingdienst list: one case per new parent; the report names the new, known, changed and
    rejected rows by line number. The valid rows are imported all at once or not at all."""
    eng = engine()
    try:
        content = base64.b64decode(body["content_base64"], validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidData([FieldProblem("content_base64", "Dit is geen geldige base64. Codeer het bestand met "
                                                          "base64 (bijvoorbeeld base64.b64encode).")]) from err
    if len(content) > MAX_FILE:
        raise InvalidData([FieldProblem("content_base64", "Het bestand is groter dan 20 MB. Splits de lijst.")])
    eng.current_version(PROCESS)
    rows = read_bytes(content, body["filename"])
    list_date = (body["list_date"] or local_date(eng.clock.now())).isoformat()
    report = import_rows(eng, rows, list_date, _actor(), dry_run=body["dry_run"])
    return {**report.to_dict(), "proef": body["dry_run"]}
