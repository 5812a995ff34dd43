"""Process-wide settings of the numeric engine, applied once by ``configure()``.

Importing an engine module never changes the process: the web server, the worker and the
command-line tools get these settings from the Django settings module (``ilincs_site.settings``
calls ``configure()``), and code that runs the engine without Django (tests, scripts) calls it
itself. Each setting is a default: a value the operator set in the environment wins.
"""

from __future__ import annotations

import os

#: Environment defaults, read by the libraries when they start their thread pools.
ENVIRONMENT = {
    # One BLAS thread per process. The connectivity kernels run their numba threads on every
    # core, and after a large dot product (a genome-wide query's moments) an idle OpenBLAS
    # thread spins on a core and slows the next scan (measurements: docs/engine.md). numpy
    # reads it when it loads, so this must run before numpy is imported to take effect.
    "OPENBLAS_NUM_THREADS": "1",
    # Idle OpenMP threads sleep at once instead of spinning: with several web workers on few
    # cores, one worker's spinning pool steals the core another worker's query needs. Read
    # when the pool starts (the first parallel kernel call).
    "OMP_WAIT_POLICY": "PASSIVE",
}

#: LLVM options for the numba kernels. Kernels with several accumulators need more runtime
#: alias checks than LLVM's default (8) allows before it gives up vectorising the inner loop.
#: Read when a kernel is compiled, so before the first call of a kernel.
LLVM_OPTIONS = ("-runtime-memory-check-threshold=128",)

_configured = False


def configure() -> None:
    """Apply the engine's process-wide settings (idempotent; a second call does nothing)."""
    global _configured
    if _configured:
        return
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    import llvmlite.binding as llvm

    for option in LLVM_OPTIONS:
        llvm.set_option("", option)
    _configured = True
