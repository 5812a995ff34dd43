"""The test settings plus the test-only slow run kind (used by the worker-kill test)."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.reliability.slow_kind.SlowKindConfig"]
