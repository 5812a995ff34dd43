"""Settings of the test suite: the portal's own, plus what makes plain ``pytest`` work.

No secret is needed (a test-only key, development mode as ``make run`` has it) and passwords
are hashed with a fast hasher, since the suite creates and logs in many users.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-never-used-by-the-portal")

from ilincs_site.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
