"""orjson parser and renderer for API endpoints whose payloads are large arrays of numbers.

The connectivity API receives ~1,000 genes with two float lists (~47 KB) and returns 100 rows
of floats: the stdlib ``json`` used by DRF spends ~0.7 ms decoding such a body and ~0.4 ms
encoding the answer, orjson ~0.15 and ~0.05 ms. Only views whose data are plain JSON types
(str, int, float, bool, None, lists, dicts) use these: orjson encodes no Decimal or lazy
translation string, which catalogue responses contain.
"""

import orjson
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from ilincs_site.parsers import check_json_values, read_body


class OrjsonParser(BaseParser):
    """JSON request bodies (strict: NaN and Infinity are not JSON, as with DRF's parser), read
    within ``PORTAL_MAX_REQUEST_BYTES``; orjson refuses nesting past 1,024 levels itself."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            body = read_body(stream)
            check_json_values(body)
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class OrjsonRenderer(BaseRenderer):
    """Compact UTF-8 JSON; non-finite floats become null."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b"" if data is None else orjson.dumps(data)
