"""analysis.engine.configure: process settings happen on request, never at import."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

# Run in a fresh interpreter: this test process has already been configured. set_option is
# recorded instead of applied, so the child can report whether importing called it.
PROBE = """
import json, os, sys
import llvmlite.binding as llvm
calls = []
llvm.set_option = lambda *args: calls.append(list(args))
before = dict(os.environ)
import analysis.engine.allpairs.kernels
import analysis.engine.connectivity.fast.kernels
after_import = dict(os.environ), list(calls)
from analysis.engine import configure
configure()
configure()
json.dump({"import_env": after_import[0] == before, "import_llvm": after_import[1],
           "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")},
           "llvm": calls}, sys.stdout)
"""


def probe(env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    return json.loads(out.stdout)


def clean_environment() -> dict[str, str]:
    drop = {"OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_importing_the_kernels_changes_no_environment_variable_and_no_llvm_option():
    seen = probe(clean_environment())
    assert seen["import_env"] is True
    assert seen["import_llvm"] == []


def test_configure_sets_the_thread_defaults_and_the_llvm_option_once():
    seen = probe(clean_environment())
    assert seen["env"] == {"OPENBLAS_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    assert seen["llvm"] == [["", "-runtime-memory-check-threshold=128"]]


def test_configure_keeps_the_operators_own_values():
    env = {**clean_environment(), "OPENBLAS_NUM_THREADS": "4", "OMP_WAIT_POLICY": "ACTIVE"}
    assert probe(env)["env"] == {"OPENBLAS_NUM_THREADS": "4", "OMP_WAIT_POLICY": "ACTIVE"}
