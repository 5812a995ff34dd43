"""The portal's processes run one BLAS thread unless the operator says otherwise
(``ilincs_site/settings.py``: OpenBLAS's spinning pool would slow the engine's numba scans)."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROBE = (
    "import ilincs_site.wsgi, analysis.connectivity.services;"
    "from threadpoolctl import threadpool_info;"
    "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))"
)


@pytest.mark.parametrize(("given", "threads"), [(None, "[1]"), ("2", "[2]")])
def test_the_web_process_runs_one_blas_thread_unless_the_operator_sets_it(given, threads):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="blas-threads-test-" + "x" * 40)
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [threads]
