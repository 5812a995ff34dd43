"""manage.py precompute_connections LIBRARY: top-k +/- Pearson connections of every signature.

Every signature is standardised (``analysis.engine.allpairs.topk.standardised``: centred over its
finite values, NaN → 0 after centring, unit norm, float32), then the all-pairs engine
(``analysis.engine.allpairs.topk``) computes the upper-triangle tiles of the Gram matrix and keeps,
per signature, the k most positively and k most negatively correlated others (self excluded).
Stored r is the float32 GEMM value (see the engine for its precision); ties go to the lower
signature index. By default the tiles run on ``--threads`` threads here (each tile's GEMM and
selection on one thread: BLAS is capped at one thread per call for the run); with ``--dask``
they are mapped over a dask.distributed cluster (z scattered once), same result.

Output: ``connections.npz`` next to the library version, arrays pos_idx, pos_r, neg_idx, neg_r
of shape (S, k) (int32 signature columns / float32 r; positive by r descending, negative
ascending), written atomically.
"""

import logging
import os
import sys
import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from signatures.io import library_open

STANDARDISE_ROWS = 8192


class _Progress:
    """A `\\r` bar with elapsed time and ETA on stderr, drawn only on a terminal."""

    def __init__(self, stream, label: str, every: float = 0.5):
        self.stream, self.label, self.every = stream, label, every
        self.started = time.perf_counter()
        self.drawn = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.stream.isatty() or (done < total and now - self.drawn < self.every):
            return
        self.drawn = now
        self.stream.write(
            "\r" + progress_line(self.label, done, total, now - self.started),
            style_func=_plain,  # not the error colour stderr gets on a terminal
            ending="\n" if done >= total else "",
        )
        self.stream.flush()


def _plain(text: str) -> str:
    return text


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return (
        f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
        if minutes >= 60
        else (f"{minutes}:{seconds:02d}")
    )


def progress_line(label: str, done: int, total: int, elapsed: float, width: int = 30) -> str:
    """``label [#####-----]  50%  0:10 elapsed  ETA 0:10`` (ETA from the pairs done so far)."""
    share = done / total if total else 1.0
    filled = int(width * share)
    eta = _clock(elapsed * (1 - share) / share) if share > 0 else "?"
    return (
        f"{label} [{'#' * filled}{'-' * (width - filled)}] {share:4.0%}  "
        f"{_clock(elapsed)} elapsed  ETA {eta}"
    )


def _standardised_library(lib) -> np.ndarray:
    from analysis.engine.allpairs import standardised

    raw = np.asarray(lib.logfc).T  # signature-major (S, G) view of the stored rows
    z = np.empty(raw.shape, dtype=np.float32)
    for start in range(0, raw.shape[0], STANDARDISE_ROWS):
        z[start : start + STANDARDISE_ROWS] = standardised(raw[start : start + STANDARDISE_ROWS])
    return z


def _dask_client(address: str, threads: int):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CommandError(
            "--dask needs dask.distributed: pip install -e '.[cluster]'", returncode=2
        ) from None
    logging.getLogger("distributed").setLevel(logging.WARNING)  # no start/stop chatter
    if address == "local":
        cluster = LocalCluster(
            n_workers=1, threads_per_worker=threads, processes=False, dashboard_address=None
        )
        return Client(cluster), cluster
    try:
        return Client(address, timeout="20s"), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise CommandError(
            f"cannot reach the dask scheduler at {address}: {exc}", returncode=2
        ) from None


def _one_line_error(message: str) -> None:
    sys.stderr.write(f"precompute_connections: error: {message}\n")
    sys.exit(2)


class Command(BaseCommand):
    help = (
        "For every signature of a library, its --top most positively and most negatively "
        "correlated signatures (Pearson r of all pairs: the symmetric blocked GEMM, on this "
        "machine's threads or a dask.distributed cluster); stored as connections.npz next to "
        "the library version."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = _one_line_error
        return parser

    def add_arguments(self, parser):
        parser.add_argument("library", help="library slug")
        parser.add_argument("--top", type=int, default=100, help="connections kept per sign")
        parser.add_argument(
            "--block", type=int, default=2048, help="signatures per block (a tile is two blocks)"
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=os.cpu_count() or 1,
            help="tiles computed at once here (default: all cores)",
        )
        parser.add_argument(
            "--dask",
            metavar="SCHEDULER",
            help="map the tiles over the dask.distributed scheduler at this address "
            "('local': start an in-process LocalCluster with --threads threads)",
        )

    def handle(self, *args, library, top, block, threads, dask, **options):
        # the engine is imported here so that `manage.py help` loads no numeric code
        from threadpoolctl import threadpool_limits

        from analysis.engine.allpairs import NAMES, run_tiles, tile_top_k

        for name, value in (("--top", top), ("--block", block), ("--threads", threads)):
            if value < 1:
                raise CommandError(f"{name} must be at least 1", returncode=2)
        try:
            lib = library_open(slug=library)
        except FileNotFoundError as exc:
            raise CommandError(str(exc), returncode=2) from None
        client = cluster = pool = None
        if dask:
            client, cluster = _dask_client(dask, threads)
        started = time.perf_counter()
        z = _standardised_library(lib)
        n_sig = z.shape[0]
        progress = _Progress(self.stderr, library)
        try:
            with threadpool_limits(1, user_api="blas"):
                if client is not None:
                    z_remote = client.scatter(z, broadcast=True)

                    def submit(tile, k, floor):
                        return client.submit(tile_top_k, z_remote, *tile, k, floor, pure=False)

                    depth = 2 * max(sum(client.nthreads().values()), 1)
                else:
                    from concurrent.futures import ThreadPoolExecutor

                    pool = ThreadPoolExecutor(max_workers=threads)

                    def submit(tile, k, floor):
                        return pool.submit(tile_top_k, z, *tile, k, floor)

                    depth = 2 * threads
                out = run_tiles(n_sig, top, block, submit, depth=depth, progress=progress)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
        tmp = lib.path / ".connections.tmp.npz"
        np.savez(tmp, **{name: np.ascontiguousarray(out[name]) for name in NAMES})
        tmp.replace(lib.path / "connections.npz")
        self.stdout.write(
            f"{library}: connections of {n_sig} signatures in {time.perf_counter() - started:.1f} s"
        )
