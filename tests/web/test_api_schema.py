"""Schemathesis against the served OpenAPI document: for every operation, generated requests (valid and not)
never get a server error or an answer that breaks the documented schema, status codes or content types."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.apiclients import SCOPES

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app):
    engine = app.extensions["regie.engine"]
    engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")      # something to find, claim and complete
    _, key = engine.api_clients.create("schemathesis", list(SCOPES), actor="test")
    app.config["TEST_API_KEY"] = key
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_errors_and_no_schema_violations(case, app):
    case.call_and_validate(headers={"Authorization": f"Bearer {app.config['TEST_API_KEY']}"}, checks=CHECKS)
