"""The portal's settings plus the test-only slow run kind (used by the worker-kill test)."""

from ilincs_site.settings import *  # noqa: F403
from ilincs_site.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.reliability.slow_kind.SlowKindConfig"]
