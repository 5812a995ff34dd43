"""API rate limits that cost one cache operation per request.

DRF's ``AnonRateThrottle``/``UserRateThrottle`` keep each client's request timestamps as one
list in the cache, read, unpickled, trimmed, re-pickled and written whole on every request:
O(rate) work (at 600/minute a list of up to 600 floats; 0.2 ms per throttle at 5,000). These
count requests per client in fixed windows of the rate's period with ``cache.add`` and
``cache.incr`` (atomic on Redis and in the local-memory cache). Same settings and scopes
(``DEFAULT_THROTTLE_RATES`` anon/user) and the same 429 with Retry-After; a fixed window lets a
client burst up to twice the rate across a window boundary, which is the usual trade.
"""

from rest_framework import throttling


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
        if self.cache.add(key, 1, self.duration + 1):
            return True
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.set(key, 1, self.duration + 1)
            count = 1
        return count <= self.num_requests

    def wait(self):
        return max(self.window_end - self.now, 0)


class AnonRateThrottle(_WindowCounter, throttling.AnonRateThrottle):
    """Anonymous clients, by address (scope "anon")."""


class UserRateThrottle(_WindowCounter, throttling.UserRateThrottle):
    """Signed-in users, by id; anonymous ones by address (scope "user")."""
