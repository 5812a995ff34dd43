"""Connectivity benchmark on a SYNTHETIC library of the real shape (python -m benchmarks.run).

Builds (once, cached in benchmarks/cache/, outside git) a synthetic library of 250,000
signatures x 978 genes (--genome: 12,000 genes; --signatures to shrink it) with a few latent
factors so that signatures correlate as real L1000 ones do, then measures per metric the
engine p50 (warm, >= 100 queries), a plain pandas/numpy baseline on a 10,000-signature slice
scaled linearly to the library size, the machine's read bandwidth and the resulting floor.
Writes benchmarks/results/latest.json and prints a Markdown table. HTTP timings through
gunicorn are not measured yet (see the report).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def progress(done: int, total: int, label: str) -> None:
    width = 40
    filled = int(width * done / total)
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")


def build(slug: str, n_sig: int, n_genes: int):
    from signatures import io

    try:
        return io.library_open(slug=slug)
    except FileNotFoundError:
        pass
    rng = np.random.default_rng(0)
    genes = np.arange(1, n_genes + 1)
    factors = rng.standard_normal((n_genes, 8)).astype(np.float32)
    writer = io.LibraryWriter(slug=slug, genes=genes, n_signatures=n_sig, has_pvalues=True)
    block = 8192
    for start in range(0, n_sig, block):
        stop = min(start + block, n_sig)
        load = rng.standard_normal((8, stop - start)).astype(np.float32) * 0.5
        z = factors @ load + rng.standard_normal((n_genes, stop - start), dtype=np.float32)
        from scipy.special import ndtr

        p = 2 * ndtr(-np.abs(z.astype(np.float64)))
        writer.add_block(signature_ids=[f"SYN_{j}" for j in range(start, stop)], logfc=z, pvalue=p)
        progress(stop, n_sig, "writing synthetic library")
    sys.stderr.write("deriving layouts and hashing...\n")
    writer.commit()
    return io.library_open(slug=slug)


def bandwidth(array: np.ndarray) -> float:
    array.sum(axis=0)
    started = time.perf_counter()
    v = np.ones(array.shape[0], dtype=np.float32)
    for _ in range(3):
        v @ array
    return 3 * array.nbytes / (time.perf_counter() - started) / 1e9


def p50(fn, n: int) -> float:
    fn()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times))


def baseline(lib, query, metric: str, n_slice: int) -> float:
    """Straightforward pandas/numpy: per-library DataFrame correlation / weighted formula."""
    import pandas as pd

    frame = pd.DataFrame(np.asarray(lib.logfc[:, :n_slice]), index=lib.genes)
    x = pd.Series(query.logfc, index=query.genes).reindex(frame.index)
    started = time.perf_counter()
    if metric == "weighted":
        pl = np.asarray(lib.pvalue[:, :n_slice])
        w = -np.log10(np.maximum(pl, 1e-38)) - np.log10(np.maximum(query.pvalue, 1e-38))[:, None]
        xv, y = x.to_numpy()[:, None], frame.to_numpy()
        mx = (w * xv).sum(0) / w.sum(0)
        my = (w * y).sum(0) / w.sum(0)
        ((w * (xv - mx) * (y - my)).sum(0)) / np.sqrt(
            (w * (xv - mx) ** 2).sum(0) * (w * (y - my) ** 2).sum(0)
        )
    else:
        frame.corrwith(x)
    return 1000 * (time.perf_counter() - started) * lib.n_signatures / n_slice


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--genome", action="store_true")
    parser.add_argument("--signatures", type=int, default=250_000)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args(argv)
    n_genes = 12_000 if args.genome else 978
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ilincs_site.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("PORTAL_DATA_DIR", str(HERE / "cache"))
    import django

    django.setup()
    from analysis.engine.connectivity import FullSignature
    from analysis.engine.fastconn import fast_connectivity

    lib = build(f"synthetic-{args.signatures}x{n_genes}", args.signatures, n_genes)
    rng = np.random.default_rng(1)
    j = int(rng.integers(lib.n_signatures))
    query = FullSignature(
        genes=lib.genes,
        logfc=np.asarray(lib.logfc[:, j]) + rng.standard_normal(n_genes),
        pvalue=np.asarray(lib.pvalue[:, j]),
    )
    bw = bandwidth(lib.layouts["z"])
    layer_bytes = lib.layouts["z"].nbytes
    reads = {
        "pearson": layer_bytes,
        "extreme": layer_bytes * 200 / n_genes,
        "updown": 2 * layer_bytes * 100 / n_genes,
        "weighted": 6 * layer_bytes,
    }
    cases = []
    for metric in ("extreme", "updown", "pearson", "weighted"):
        engine = p50(
            lambda m=metric: fast_connectivity(query, lib, metric=m, top=100), args.queries
        )
        base_metric = "weighted" if metric == "weighted" else "pearson"
        base = baseline(lib, query, base_metric, min(10_000, lib.n_signatures))
        cases.append(
            {
                "name": metric,
                "http_p50_ms": None,
                "http_p99_ms": None,
                "engine_p50_ms": round(engine, 2),
                "floor_ms": round(1000 * reads[metric] / 1e9 / bw, 2),
                "baseline_ms": round(base, 1),
                "baseline": f"pandas {'weighted formula' if metric == 'weighted' else 'DataFrame.corrwith'} on 10,000 signatures, scaled linearly",
            }
        )
    result = {
        "library": {"signatures": lib.n_signatures, "genes": n_genes, "synthetic": True},
        "bandwidth_gb_s": round(bw, 1),
        "cases": cases,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "latest.json").write_text(json.dumps(result, indent=2))
    print(f"Synthetic library {lib.n_signatures} x {n_genes}; read bandwidth {bw:.1f} GB/s\n")
    print("| metric | engine p50 ms | floor ms | baseline ms | speed-up |\n|---|---|---|---|---|")
    for c in cases:
        print(
            f"| {c['name']} | {c['engine_p50_ms']} | {c['floor_ms']} | {c['baseline_ms']} | {c['baseline_ms'] / c['engine_p50_ms']:.0f}x |"
        )


if __name__ == "__main__":
    main()
