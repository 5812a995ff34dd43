"""Exceptions the web layer turns into answers; plain Python, so any app may raise them."""


class ServiceUnavailable(RuntimeError):
    """Something a request needs is down or damaged (the task queue, a library's files).

    ``ilincs_site.middleware`` answers it with a 503 carrying the message: JSON under /api/, a
    page elsewhere. The message must say what happened and what the user can do."""

    title = "This part of the portal is temporarily unavailable"
