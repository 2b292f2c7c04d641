"""RFC 9457 problem details for the API: every error a client can cause, with the app's Dutch message."""

from __future__ import annotations

import json

from flask import Response, request
from werkzeug.exceptions import HTTPException

from engine.errors import ConflictError, InvalidData, NotFoundError, PermissionDenied, RegieError

PROBLEM_JSON = "application/problem+json"

# RegieError subclass -> HTTP status (the first match in this order wins; lookup table, not an if-chain).
STATUS_OF = ((NotFoundError, 404), (InvalidData, 422), (ConflictError, 409), (PermissionDenied, 403), (RegieError, 400))


def problem(status: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None) -> Response:
    from http import HTTPStatus

    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
            "instance": request.path}
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON, headers=headers)


def from_regie_error(err: RegieError) -> Response:
    status = next(code for kind, code in STATUS_OF if isinstance(err, kind))
    errors = [{"field": p.field, "message": p.message} for p in err.problems] if isinstance(err, InvalidData) else None
    return problem(status, str(err), errors)


def from_http_exception(err: HTTPException) -> Response:
    """webargs' 422 (a request that does not match the schema) names each field; other HTTP errors say what to do."""
    status = err.code or 500
    messages = (getattr(err, "data", None) or {}).get("messages")
    if messages:
        errors = [{"field": ".".join(str(p) for p in path), "message": _message(text)}
                  for path, text in _flatten(messages)]
        return problem(status, "Het verzoek klopt niet. Verbeter de genoemde velden.", errors)
    return problem(status, DETAILS.get(status, err.description or "Dat lukte niet."))


DETAILS = {
    404: "Dit adres bestaat niet in de API. Zie /api/v1/docs voor de adressen.",
    405: "Deze methode kan niet op dit adres. Zie /api/v1/docs welke wel.",
    400: "Het verzoek is niet te lezen. Stuur geldige JSON met Content-Type application/json.",
    415: "Stuur de gegevens als JSON met Content-Type application/json.",
}


def _flatten(messages, path=()):
    """webargs nests messages per location and field: yield (path, message) pairs."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            inner = path if key in ("json", "query", "path", "form", "headers") else (*path, key)
            yield from _flatten(value, inner)
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        yield (path or ("-",)), "; ".join(messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            yield from _flatten(value, (*path, i))
    else:
        yield (path or ("-",)), str(messages)


_DUTCH = {
    "Missing data for required field.": "Dit veld is verplicht.",
    "Not a valid string.": "Geef tekst.",
    "Not a valid integer.": "Geef een heel getal.",
    "Not a valid mapping type.": "Geef een JSON-object.",
    "Unknown field.": "Dit veld kent de API niet.",
    "Field may not be null.": "Dit veld mag niet leeg (null) zijn.",
    "Invalid input type.": "Stuur een JSON-object.",
}


def _message(text: str) -> str:
    if text in _DUTCH:
        return _DUTCH[text]
    if text.startswith("Must be greater than or equal to") or text.startswith("Length must be between"):
        return f"Waarde buiten de grenzen ({text})."
    return text


def init_blueprint(blp) -> None:
    blp.register_error_handler(RegieError, from_regie_error)
    blp.register_error_handler(HTTPException, from_http_exception)
