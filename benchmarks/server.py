"""What the benchmarks that start a real portal server share: its scratch environment and
waiting for it to answer."""

from __future__ import annotations

import http.client
import os
import secrets
import time
from pathlib import Path


def scratch_env(work: Path, *, database: str, **extra: str) -> dict:
    """A production-mode portal (DEBUG off) on a scratch SQLite database and data folder,
    with rate limits out of the way; ``extra`` adds or overrides variables."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ilincs_site.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_COOKIES": "0",
        "DATABASE_URL": f"sqlite:///{work / database}",
        "PORTAL_DATA_DIR": str(work / "data"),
        "PORTAL_THROTTLE_ANON": "1000000/minute",
        "PORTAL_THROTTLE_USER": "1000000/minute",
        "LOG_LEVEL": "ERROR",
        **extra,
    }


def wait_for(port: int, timeout: float = 60) -> None:
    """Return once the server on ``port`` answers /healthz with 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")
