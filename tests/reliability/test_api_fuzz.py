"""schemathesis against the portal's own OpenAPI schema, through the WSGI app (no network).

Bounded: a few generated examples per operation. Checks: no 5xx, every response matches the
schema (body and content type), and every error answer is JSON. Then every operation gets the
hostile inputs that random generation does not reach: bodies nested thousands of levels deep
(they gave an HTML 500 from a RecursionError), and NUL characters in gene lists, parameters,
path and query values (PostgreSQL cannot store them; on SQLite they were silently accepted).
Each must be refused with a JSON 4xx.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
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
OPERATIONS = [result.ok() for result in schema.get_all_operations()]
JSON_MEDIA = ("application/json", "application/vnd.oai.openapi+json")


def _content_type(response) -> str:
    values = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])
    return values[0] if isinstance(values, list) else values


@schemathesis.check
def api_errors_are_json(ctx, response, case):
    """Every 4xx/5xx under /api/ is a JSON object with a message (never an HTML page)."""
    if response.status_code < 400:
        return None
    content_type = _content_type(response)
    if not content_type.startswith("application/json"):
        raise AssertionError(f"{response.status_code} answered as {content_type!r}, not JSON")
    body = json.loads(response.content)
    if not isinstance(body, dict) or not body:
        raise AssertionError(f"{response.status_code} with no message: {body!r}")
    return None


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
        checks=[
            not_a_server_error,
            response_schema_conformance,
            content_type_conformance,
            api_errors_are_json,
        ],
    )


def _nested(depth: int, *, open_: bytes = b'{"a": ', leaf: bytes = b"null", close: bytes = b"}"):
    return open_ * depth + leaf + close * depth


def _body(prefix: dict, **raw: bytes) -> bytes:
    text = json.dumps(prefix)[:-1].encode()
    return text + b"".join(b', "%s": %s' % (k.encode(), v) for k, v in raw.items()) + b"}"


GENES = ["RELG1", "RELG2", "RELG3"]
HOSTILE_BODIES = {
    "an object nested 5,000 deep": _nested(5000),
    "a list nested 5,000 deep": _nested(5000, open_=b"[", leaf=b"", close=b"]"),
    "params nested 5,000 deep": _body({"kind": "connectivity"}, params=_nested(5000)),
    "a query nested 5,000 deep": _body(
        {"library": "public-lib", "metric": "pearson"}, query=_nested(5000)
    ),
    "a NUL in a gene": json.dumps(
        {
            "library": "public-lib",
            "metric": "pearson",
            "query": {"genes": ["RELG1\x00", *GENES], "logFC": [1.0, 2.0, 3.0, 4.0]},
        }
    ).encode(),
    "a NUL in an up gene": json.dumps(
        {"library": "public-lib", "metric": "updown", "query": {"up": ["RELG1\x00"], "down": GENES}}
    ).encode(),
    "a NUL in a parameter": json.dumps(
        {"kind": "connectivity", "params": {"library": "public\x00lib", "source": {"run": 1}}}
    ).encode(),
}


def _hostile_cases():
    """(operation, what, keyword arguments of a schemathesis Case) for every operation."""
    for op in OPERATIONS:
        if any(body.media_type == "application/json" for body in op.body):
            for what, body in HOSTILE_BODIES.items():
                yield op, what, {"body": body, "media_type": "application/json"}
        strings = [
            p.name
            for p in op.path_parameters
            if p.definition.get("schema", {}).get("type") == "string"
        ]
        if strings:
            values = {p.name: "1" for p in op.path_parameters}
            values.update({name: "GSE1\x00" for name in strings})
            yield op, "a NUL in the path", {"path_parameters": values}
        if op.method == "get" and not op.path_parameters:
            yield op, "a NUL in a query parameter", {"query": {"q": "TP53\x00"}}


HOSTILE = list(_hostile_cases())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "operation, what, kwargs",
    HOSTILE,
    ids=[f"{op.method} {op.path}: {what}" for op, what, _ in HOSTILE],
)
def test_hostile_input_gets_a_json_4xx_on_every_operation(
    operation, what, kwargs, world, low_throttle_off
):
    token = Token.objects.create(user=world.users["owner"])  # past the permission checks
    case = operation.Case(**kwargs, headers={"Authorization": f"Token {token.key}"})
    response = case.call(app=app)
    CASES["n"] += 1
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert _content_type(response).startswith("application/json")
    assert json.loads(response.content)


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
