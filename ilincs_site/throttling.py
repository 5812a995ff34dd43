"""API rate limits that cost one cache operation per request.

DRF's ``AnonRateThrottle``/``UserRateThrottle`` keep each client's request timestamps as one
list in the cache, read, unpickled, trimmed, re-pickled and written whole on every request:
O(rate) work (at 600/minute a list of up to 600 floats; 0.2 ms per throttle at 5,000). These
count requests per client in fixed windows of the rate's period with ``cache.add`` and
``cache.incr`` (atomic on Redis and in the local-memory cache; the database cache's incr reads
then writes, so two requests of one client at the same instant may count once). The cache is
the shared one of settings.CACHES, so every worker process adds to the same count. Same
settings and scopes
(``DEFAULT_THROTTLE_RATES`` anon/user) and the same 429 with Retry-After; a fixed window lets a
client burst up to twice the rate across a window boundary, which is the usual trade.
"""

import math
from functools import wraps

from django.http import HttpResponse
from django.shortcuts import render
from rest_framework import throttling
from rest_framework.settings import api_settings


class _WindowCounter:
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        try:  # one operation for every request of the window but its first
            count = self.cache.incr(key)
        except ValueError:  # the window's first request (or another worker's, just now)
            count = 1 if self.cache.add(key, 1, self.duration + 1) else self.cache.incr(key)
        return count <= self.num_requests

    def wait(self):
        return max(self.window_end - self.now, 0)


class AnonRateThrottle(_WindowCounter, throttling.AnonRateThrottle):
    """Anonymous clients, by address (scope "anon")."""


class UserRateThrottle(_WindowCounter, throttling.UserRateThrottle):
    """Signed-in users, by id; anonymous ones by address (scope "user")."""


class UserOnlyRateThrottle(UserRateThrottle):
    """Signed-in users only: an anonymous client is counted once, by its address, under
    "anon" (whose rate is the lower one), not a second time under "user"."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


def throttle_posts(view):
    """An HTML view whose POSTs (analysis submissions) count against the API's rates.

    The same throttles, scopes and shared cache as ``DEFAULT_THROTTLE_CLASSES``, so a
    client's submissions through the pages and through the API draw on one budget. Over it
    the answer is a 429 page saying when to try again.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES:
                throttle = throttle_class()
                if not throttle.allow_request(request, None):
                    return _too_many(request, throttle.wait())
        return view(request, *args, **kwargs)

    return wrapper


def _too_many(request, wait: float | None) -> HttpResponse:
    seconds = max(1, math.ceil(wait or 1))
    message = (
        f"You have submitted more analyses than the portal accepts per client in a short "
        f"time. Please wait {seconds} seconds and submit again; runs already submitted go on."
    )
    response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def client_address(request) -> str:
    """The client's address as the throttles see it (REMOTE_ADDR, or behind the TLS proxy the
    one it appended to X-Forwarded-For): the login lockout (django-axes) uses the same."""
    return throttling.BaseThrottle().get_ident(request)
