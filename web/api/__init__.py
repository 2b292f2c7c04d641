"""The REST API under ``/api/v1`` for other systems (zaaksysteem, KCC, letter services): JSON in and out,
described by an OpenAPI 3.1 document generated from the code (flask-smorest) at ``/api/v1/openapi.json``,
readable at ``/api/v1/docs``. Clients authenticate with a key (``regie apikeys``) and act within its scopes;
errors are RFC 9457 problem details carrying the same Dutch messages as the app.
"""

from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api as SmorestApi
from flask_smorest.utils import prepare_response

from .problems import PROBLEM_JSON
from .schemas import ProblemSchema


class Api(SmorestApi):
    """flask-smorest confined to the API: it documents errors as ``application/problem+json`` and leaves the
    web app's error pages alone (its own handlers are registered on the API blueprint only)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """None app-wide: an HTML page's 400 stays an HTML page (see ``problems.init_blueprint``)."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Probleem (RFC 9457), met een Nederlandse uitleg", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_app(app: Flask) -> None:
    from .. import csrf
    from . import docs, events, external, lists, messages, resources  # noqa: F401  (they add routes to resources.blp)

    app.config.setdefault("API_TITLE", "Regie API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": __doc__.strip().replace("\n", " ")},
        "security": [{"sleutel": []}],
        "servers": [{"url": "/"}],
    })
    api = Api(app)
    api.spec.components.security_scheme("sleutel", {
        "type": "http", "scheme": "bearer",
        "description": "Een sleutel van 'regie apikeys add': Authorization: Bearer regie_<id>_<geheim>",
    })
    api.register_blueprint(resources.blp)
    csrf.exempt(resources.blp)
    app.register_blueprint(docs.bp)
    app.extensions["regie.api"] = api
