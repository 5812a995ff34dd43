"""schemathesis against the portal's own OpenAPI schema, through the WSGI app (no network).

Bounded: a few generated examples per operation. Checks: no 5xx, and every response matches
the schema (body and content type).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

EXAMPLES_PER_OPERATION = 6
CASES = {"n": 0}

app = get_wsgi_application()
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = app


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_fails_and_always_answers_as_its_schema_says(case, world, low_throttle_off):
    CASES["n"] += 1
    case.call_and_validate(
        app=app,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )


@pytest.fixture
def low_throttle_off(monkeypatch):
    """Fuzzing sends hundreds of requests from one client: lift the rate limits."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute", "user": "100000/minute"}
    )
    # The WSGI app is called directly (not through Django's test client), so, as that client
    # does, keep the request signals from closing the test transaction's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
