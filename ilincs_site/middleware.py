"""When the database is unreachable, answer 503 with a clear page instead of a 500 trace.

The same middleware answers ``ilincs_site.errors.ServiceUnavailable`` (the task queue down, a
library's files damaged), raised by any view, with a 503 that carries its message.

Catches ``OperationalError`` and ``InterfaceError`` raised by views (``process_exception``) and
by the middleware below this one (session, auth: Django turns their exceptions into a 500
response after sending ``got_request_exception``, which is where they are recognised). The
page is rendered without a request context, so it needs no database itself. Django closes the
broken connection at the end of the request and the next request reconnects: the portal
recovers on its own when the database is back.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

from ilincs_site.errors import ServiceUnavailable
from ilincs_site.parsers import too_large_message

logger = logging.getLogger(__name__)

DB_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
MESSAGE = (
    "The portal's database is not reachable right now. Nothing you submitted was lost; "
    f"please try again in {RETRY_AFTER_SECONDS} seconds."
)
_FLAG = "_portal_database_unavailable"


def database_unavailable_response(request, message: str = MESSAGE, **page) -> HttpResponse:
    """The 503 answer: JSON under /api/, an HTML page elsewhere (``page``: its title)."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        html = loader.get_template("503.html").render({"message": message, **page})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _remember_database_error(sender, request=None, **kwargs) -> None:
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DB_ERRORS):
        setattr(request, _FLAG, True)


got_request_exception.connect(_remember_database_error, dispatch_uid="portal-database-503")


class DatabaseUnavailableMiddleware:
    """Turns database connection failures anywhere below it into a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, _FLAG, False):
            return database_unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, ServiceUnavailable):
            logger.warning("service unavailable for %s: %s", request.path, exception)
            return database_unavailable_response(
                request, str(exception), title=exception.title, submitted=True
            )
        if not isinstance(exception, DB_ERRORS):
            return None
        logger.warning("database unavailable for %s: %s", request.path, exception)
        return database_unavailable_response(request)


class UploadSizeLimitMiddleware:
    """Refuses an oversized request body before reading it (413): a file upload (multipart)
    over ``PORTAL_MAX_UPLOAD_BYTES``, any other body (JSON, form fields) over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``PORTAL_MAX_REQUEST_BYTES``). Bodies without a
    Content-Length are bounded where they are read (``ilincs_site.parsers.read_body``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.content_type == "multipart/form-data":
            limit = settings.PORTAL_MAX_UPLOAD_BYTES
            message = (
                f"The upload is {length:,} bytes; the portal accepts at most {limit:,} bytes "
                "per upload. Remove unneeded columns or rows, or ask a curator to import it."
            )
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            message = too_large_message(length, limit or 0)
        if limit is not None and length > limit:
            return too_large_response(request, message)
        return self.get_response(request)


def too_large_response(request, message: str) -> HttpResponse:
    """413: JSON under /api/ or when JSON is asked for, plain text elsewhere."""
    if request.path.startswith("/api/") or request.headers.get("Accept", "").startswith(
        "application/json"
    ):
        return JsonResponse({"detail": message, "error": message}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain")


class RejectNulMiddleware:
    """Refuses a NUL character in the URL path or the query string (400): no identifier holds
    one, and PostgreSQL raises on one in any look-up (an HTML 500 from every detail view)."""

    MESSAGE = "The address holds a NUL (%00) character, which no identifier of the portal has."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": self.MESSAGE}, status=400)
            return HttpResponse(self.MESSAGE, status=400, content_type="text/plain")
        return self.get_response(request)
