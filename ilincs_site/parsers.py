"""JSON request bodies read within the portal's size limit, and checked for shape.

DRF parsers read ``request.stream`` directly, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
(``PORTAL_MAX_REQUEST_BYTES``), which only guards ``request.body`` and form parsing, never
applies to them: a 190 MB JSON body was read and decoded whole. ``read_body`` reads at most the
limit plus one byte (so a body without a Content-Length, or one longer than it announced, is
cut off as well) and answers 413. ``check_json_values`` caps the number of values before
decoding (decoded JSON takes up to ~16x its text); ``check_json_shape`` refuses what the stdlib
decoder and the code after it cannot hold: nesting past ``MAX_JSON_DEPTH`` (RecursionError)
and NUL characters (PostgreSQL text and jsonb refuse them).
"""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError

MAX_JSON_DEPTH = 32  # analysis params nest 4 deep ({"source": {"query": {"genes": [...]}}})
# Decoded JSON costs ~30-60 bytes per value (a float 32, a short string 60, a list 64), 8-16x
# the 4 bytes "0.1," takes in the body: a cap on the number of values keeps a body at the size
# limit from growing a worker by more than the limit twice (bytes + strings) plus ~64 MB. A
# genome-wide query with p-values holds ~180,000 values.
MAX_JSON_VALUES = 1_000_000
READ_CHUNK_BYTES = 64 * 1024


class RequestTooLarge(APIException):
    status_code = 413
    default_code = "request_too_large"


def too_large_message(length: int | None, limit: int) -> str:
    size = f"{length:,} bytes" if length is not None else f"more than {limit:,} bytes"
    return (
        f"The request body is {size}; the portal accepts at most {limit:,} bytes of JSON or "
        "form data per request (PORTAL_MAX_REQUEST_BYTES). Send fewer genes, or upload the "
        "signature as a file on the query page."
    )


def read_body(stream, *, limit: int | None = None) -> bytearray:
    """The request body, at most ``limit`` bytes (default ``DATA_UPLOAD_MAX_MEMORY_SIZE``).

    Read a chunk at a time into one buffer: a single large read() through the WSGI server
    costs a transient two or three copies of the body (gunicorn buffers and slices it)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
    body = bytearray()
    if stream is None:
        return body
    while chunk := stream.read(
        READ_CHUNK_BYTES if limit is None else min(READ_CHUNK_BYTES, limit + 1 - len(body))
    ):
        body += chunk
        if limit is not None and len(body) > limit:
            raise RequestTooLarge(too_large_message(None, limit))
    return body


def check_json_values(body: bytes | bytearray, *, max_values: int | None = None) -> None:
    """413 when the body may hold more than ``max_values`` JSON values, before it is decoded.

    An upper bound counted at C speed: one value per comma, per list and (a dict costs ~4x a
    list) four per object; brackets and commas inside strings only make it larger."""
    max_values = MAX_JSON_VALUES if max_values is None else max_values
    n = body.count(b",") + body.count(b"[") + 4 * body.count(b"{")
    if n > max_values:
        raise RequestTooLarge(
            f"The JSON body holds about {n:,} values; the portal decodes at most "
            f"{max_values:,} per request (a genome-wide query with p-values needs ~180,000)."
        )


def check_json_shape(data, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """ParseError for nesting deeper than ``max_depth`` or a NUL in any key or string."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError("JSON strings must not contain NUL (\\u0000) characters")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > max_depth:
            raise ParseError(f"JSON nested deeper than {max_depth} levels")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                raise ParseError("JSON keys must not contain NUL (\\u0000) characters")
            if isinstance(item, dict | list | str):
                stack.append((item, depth + 1))


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (strict: no NaN/Infinity), bounded in size, depth and content."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        body = read_body(stream)
        check_json_values(body)
        try:
            text = body.decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None
        check_json_shape(data)
        return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
