"""manage.py precompute_connections LIBRARY: top-100 +/- Pearson connections of every signature."""

import sys
import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from signatures.io import library_open


class Command(BaseCommand):
    help = (
        "For every signature of a library, its 100 most positively and 100 most negatively "
        "correlated signatures (all pairs, blocked GEMM); stored as connections.npz next to "
        "the library version."
    )

    def add_arguments(self, parser):
        parser.add_argument("library", help="library slug")
        parser.add_argument("--top", type=int, default=100)
        parser.add_argument("--block", type=int, default=2048, help="signatures per block")

    def handle(self, *args, library, top, block, **options):
        # the engine is imported here so that `manage.py help` loads no numeric code
        from analysis.engine.fastconn import connections_block, standardised

        try:
            lib = library_open(slug=library)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        n_sig = lib.n_signatures
        raw = np.asarray(lib.logfc).T  # signature-major (S, G)
        z = np.empty(raw.shape, dtype=np.float32)
        for start in range(0, n_sig, 8192):
            z[start : start + 8192] = standardised(raw[start : start + 8192])
        k = min(top, n_sig - 1)
        out = {
            name: np.zeros((n_sig, k), dtype=dtype)
            for name, dtype in (
                ("pos_idx", np.int32),
                ("pos_r", np.float32),
                ("neg_idx", np.int32),
                ("neg_r", np.float32),
            )
        }
        started = time.perf_counter()
        for start in range(0, n_sig, block):
            stop = min(start + block, n_sig)
            part = connections_block(z, start, stop, k)
            for name, values in part.items():
                out[name][start:stop] = values
            sys.stderr.write(f"\r{stop}/{n_sig} signatures")
        sys.stderr.write("\n")
        tmp = lib.path / ".connections.tmp.npz"
        np.savez(tmp, **out)
        tmp.replace(lib.path / "connections.npz")
        self.stdout.write(
            f"{library}: connections of {n_sig} signatures in {time.perf_counter() - started:.1f} s"
        )
