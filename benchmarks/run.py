"""Connectivity benchmark on a SYNTHETIC library of the real shape (``make bench``).

1. Builds once, and caches in benchmarks/cache/ (outside git), a synthetic library of 250,000
   signatures × 978 genes (``--genome``: 250,000 × 12,000, pearson only, no p-values: 26 GB on
   disk, built in ~4 min, more than RAM but only the int8 layout (3 GB) is scanned) drawn from
   a few latent factors so that signatures correlate as real L1000 ones do; a terminal
   progress bar shows the build.
2. Starts the production server (gunicorn, 2 workers, loopback) on a scratch SQLite database
   and PORTAL_DATA_DIR under benchmarks/cache/, with the library and its catalogue rows.
3. Per metric: HTTP p50 and p99 over ``--queries`` warm POST /api/v1/connectivity/ calls
   (top 100), the engine-only p50 in this process, a plain pandas/numpy baseline measured on
   a slice of 10,000 signatures and scaled linearly to the library size, the machine's
   measured read bandwidth and the floor (bytes the metric must read / bandwidth), and the
   resident memory of each worker (file-backed pages are the shared memory-mapped store).
4. Prints a Markdown table and writes benchmarks/results/latest.json (genome: genome.json).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache"
METRICS = ("extreme", "updown", "pearson", "weighted")


def progress(done: int, total: int, label: str) -> None:
    width = 40
    filled = int(width * done / total)
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def synthetic_block(rng, factors, n: int, with_p: bool):
    from scipy.special import ndtr

    load = rng.standard_normal((factors.shape[1], n)).astype(np.float32) * 0.5
    z = factors @ load + rng.standard_normal((factors.shape[0], n), dtype=np.float32)
    return z, (2 * ndtr(-np.abs(z.astype(np.float64))) if with_p else None)


def build(slug: str, n_sig: int, n_genes: int, with_p: bool):
    """Open the cached synthetic library, or write it (progress bar on stderr)."""
    from signatures import io

    try:
        return io.library_open(slug=slug)
    except (FileNotFoundError, io.LibraryCorrupt):
        io.library_delete(slug=slug)
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    factors = rng.standard_normal((n_genes, 8)).astype(np.float32)
    writer = io.LibraryWriter(
        slug=slug, genes=np.arange(1, n_genes + 1), n_signatures=n_sig, has_pvalues=with_p
    )
    block = 8192 if n_genes < 5000 else 1024
    for start in range(0, n_sig, block):
        stop = min(start + block, n_sig)
        z, p = synthetic_block(rng, factors, stop - start, with_p)
        writer.add_block(signature_ids=[f"SYN_{j}" for j in range(start, stop)], logfc=z, pvalue=p)
        progress(stop, n_sig, "writing the synthetic library")
    sys.stderr.write("hashing, deriving the int8 layouts, manifest...\n")
    writer.commit()
    sys.stderr.write(f"built in {time.perf_counter() - started:.0f} s\n")
    return io.library_open(slug=slug)


def catalogue(lib) -> None:
    """The library's catalogue rows in the scratch database (genes, perturbagens, signatures)."""
    from django.core.management import call_command

    from signatures.models import Gene, Perturbagen, Signature, SignatureLibrary

    call_command("migrate", verbosity=0, interactive=False)
    row, created = SignatureLibrary.objects.update_or_create(
        slug=lib.slug,
        defaults={
            "name": f"Synthetic {lib.n_signatures} x {len(lib.genes)} (benchmark)",
            "version": lib.version,
            "n_signatures": lib.n_signatures,
            "n_genes": len(lib.genes),
            "has_pvalues": lib.pvalue is not None,
            "is_public": True,
        },
    )
    if Signature.objects.filter(library=row).count() == lib.n_signatures:
        return
    Signature.objects.filter(library=row).delete()
    Gene.objects.bulk_create(
        [Gene(entrez_id=int(g), symbol=f"SYNG{g}") for g in lib.genes], ignore_conflicts=True
    )
    drugs = Perturbagen.objects.bulk_create(
        [
            Perturbagen(accession=f"SYN-BRD-{i}", name=f"synthetinib-{i}", kind="compound")
            for i in range(100)
        ],
        ignore_conflicts=True,
    )
    drugs = list(Perturbagen.objects.filter(accession__startswith="SYN-BRD-"))
    batch = 20_000
    for start in range(0, lib.n_signatures, batch):
        stop = min(start + batch, lib.n_signatures)
        Signature.objects.bulk_create(
            Signature(
                accession=lib.signature_ids[j],
                library=row,
                column=j,
                perturbagen=drugs[j % len(drugs)],
                dose=10,
                dose_unit="uM",
                time=24,
                time_unit="h",
            )
            for j in range(start, stop)
        )
        progress(stop, lib.n_signatures, "catalogue rows")


def queries(lib, n: int = 10) -> list[dict]:
    """n query signatures (noisy copies of library signatures), as API payloads."""
    rng = np.random.default_rng(1)
    out = []
    for j in rng.integers(lib.n_signatures, size=n).tolist():
        logfc = np.asarray(lib.logfc[:, j]) + rng.standard_normal(len(lib.genes))
        query = {"genes": [str(g) for g in lib.genes.tolist()], "logFC": logfc.round(6).tolist()}
        if lib.pvalue is not None:
            from scipy.special import ndtr

            query["pvalue"] = (2 * ndtr(-np.abs(logfc))).tolist()
        out.append(query)
    return out


def engine_query(payload: dict):
    from analysis.engine.connectivity import FullSignature

    return FullSignature(
        genes=np.asarray(payload["genes"], dtype=np.int64),
        logfc=np.asarray(payload["logFC"]),
        pvalue=None if "pvalue" not in payload else np.asarray(payload["pvalue"]),
    )


# --- the machine: read bandwidth ---------------------------------------------------------


def bandwidth(array: np.ndarray, threads: int = 2) -> float:
    """GB/s of one pass over a large array in the page cache with both cores (median of 7):
    each thread sums its half as int64 words (numpy releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    words = array.reshape(-1).view(np.int64)
    parts = np.array_split(words, threads)
    times = []
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(np.sum, parts))
        for _ in range(7):
            started = time.perf_counter()
            list(pool.map(np.sum, parts))
            times.append(time.perf_counter() - started)
    return words.nbytes / float(np.median(times)) / 1e9


# --- timings -------------------------------------------------------------------------------


def timed(fn, n: int) -> np.ndarray:
    fn()
    times = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - started)
    return 1000 * np.asarray(times)


def baseline(lib, payload: dict, metric: str, n_slice: int) -> float:
    """The straightforward pandas/numpy a user would write, on a slice, scaled linearly (ms)."""
    import pandas as pd

    frame = pd.DataFrame(np.array(lib.logfc[:, :n_slice]), index=lib.genes, copy=False)
    x = pd.Series(payload["logFC"], index=np.asarray(payload["genes"], dtype=np.int64))
    x = x.reindex(frame.index)
    qp = pd.Series(payload.get("pvalue", np.ones(len(x))), index=x.index)
    # in memory before the clock starts, as a user's matrices would be
    pl = None if lib.pvalue is None else np.array(lib.pvalue[:, :n_slice])
    started = time.perf_counter()
    if metric == "weighted":
        w = -np.log10(np.maximum(pl, 1e-38)) - np.log10(np.maximum(qp.to_numpy(), 1e-38))[:, None]
        xv, y = x.to_numpy()[:, None], frame.to_numpy()
        mx = (w * xv).sum(0) / w.sum(0)
        my = (w * y).sum(0) / w.sum(0)
        r = (w * (xv - mx) * (y - my)).sum(0) / np.sqrt(
            (w * (xv - mx) ** 2).sum(0) * (w * (y - my) ** 2).sum(0)
        )
    elif metric == "extreme":
        s = -np.log10(np.maximum(pl, 1e-38)) * np.sign(frame)
        keep = (s.rank(ascending=False) <= 100) | (s.rank() <= 100)
        qs = np.sign(x) * -np.log10(np.maximum(qp, 1e-38))
        qs = qs.where((qs.rank(ascending=False) <= 100) | (qs.rank() <= 100), 0.0)
        r = s.where(keep, 0.0).corrwith(qs)
    elif metric == "updown":
        chosen = qp.nsmallest(100).index
        r = frame.loc[chosen].corrwith(np.sign(x.loc[chosen]))
    else:
        r = frame.corrwith(x)
    pd.Series(np.asarray(r)).abs().nlargest(100)
    return 1000 * (time.perf_counter() - started) * lib.n_signatures / n_slice


# --- the production server -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "ilincs_site.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--timeout=120",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/", timeout=2)
            return server
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError("gunicorn did not start")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def worker_memory(server: subprocess.Popen) -> list[dict]:
    """VmRSS of each gunicorn worker, split into private (anon) and shared file pages (MB)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    out = []
    for pid in children:
        fields = {}
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                fields[key] = round(int(value.split()[0]) / 1024, 1)
        out.append(
            {
                "pid": int(pid),
                "rss_mb": fields["VmRSS"],
                "anon_mb": fields["RssAnon"],
                "file_mb": fields["RssFile"],
            }
        )
    return out


def post(port: int, body: bytes) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/connectivity/",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


# --- main -------------------------------------------------------------------------------------


def setup_django(slug: str) -> dict:
    CACHE.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="ilincs_site.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="benchmark-only-" + "x" * 40,
        DATABASE_URL=f"sqlite:///{CACHE / f'bench-{slug}.sqlite3'}",  # one per library
        PORTAL_DATA_DIR=str(CACHE),
        PORTAL_THROTTLE_ANON="100000/minute",
        DB_CONN_MAX_AGE="600",  # persistent connections, as a production deployment sets
    )
    os.environ.update(env)
    import django
    from threadpoolctl import threadpool_limits

    django.setup()
    # the server's one BLAS thread (ilincs_site/settings.py) for the engine-only timings here
    # too: numpy was loaded before the settings could set it for this process
    threadpool_limits(limits=1, user_api="blas")
    return env


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genome", action="store_true", help="12,000 genes, pearson only")
    parser.add_argument(
        "--signatures",
        type=int,
        help="default 250,000 (with --genome too: the raw float64 file is 24 GB, read only for "
        "the re-scored rows; the scan reads the 3 GB int8 layout)",
    )
    parser.add_argument("--queries", type=int, default=100, help="warm queries per metric")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)
    n_genes = 12_000 if args.genome else 978
    args.signatures = args.signatures or 250_000
    slug = f"synthetic-{args.signatures}x{n_genes}"
    env = setup_django(slug)
    lib = build(slug, args.signatures, n_genes, with_p=not args.genome)
    if args.build_only:
        return
    catalogue(lib)
    metrics = ("pearson",) if args.genome else METRICS
    payloads = queries(lib)
    bw = bandwidth(lib.layouts["y"])
    cases = run_cases(lib, env, args, metrics, payloads, bw)
    report(lib, bw, cases, args.genome)


def run_cases(lib, env, args, metrics, payloads, bw):
    from analysis.engine.connectivity.fast import fast_connectivity

    reads = {  # bytes each metric must read: int8 rows of the genes it uses
        "pearson": len(lib.genes),
        "extreme": 200,
        "updown": 100,
        "weighted": 2 * len(lib.genes),
    }
    engine_queries = [engine_query(q) for q in payloads]
    port = free_port()
    server = start_server(env, port, args.workers)
    cases = []
    try:
        for metric in metrics:
            bodies = [
                json.dumps({"library": lib.slug, "metric": metric, "top": 100, "query": q}).encode()
                for q in payloads
            ]
            for body in bodies * 2:  # both workers load the library and compile the kernels
                post(port, body)
            http = timed(lambda i=0, b=bodies: post(port, b[i % len(b)]), args.queries)
            engine = timed(
                lambda i=0, m=metric: fast_connectivity(
                    engine_queries[i % len(engine_queries)], lib, metric=m, top=100
                ),
                args.queries,
            )
            base = baseline(lib, payloads[0], metric, min(10_000, lib.n_signatures))
            cases.append(
                {
                    "name": metric,
                    "http_p50_ms": round(float(np.percentile(http, 50)), 2),
                    "http_p99_ms": round(float(np.percentile(http, 99)), 2),
                    "engine_p50_ms": round(float(np.percentile(engine, 50)), 2),
                    "floor_ms": round(1000 * reads[metric] * lib.n_signatures / 1e9 / bw, 2),
                    "baseline_ms": round(base, 1),
                    "baseline": f"pandas/numpy {BASELINES[metric]} on 10,000 signatures, "
                    f"scaled linearly to {lib.n_signatures}",
                }
            )
            progress(len(cases), len(metrics), "metrics")
        memory = worker_memory(server)
    finally:
        stop_server(server)
    for case in cases:
        case["workers_memory"] = memory
    return cases


BASELINES = {
    "pearson": "DataFrame.corrwith",
    "updown": "DataFrame.corrwith over the query's 100 smallest-p genes",
    "extreme": "rank-masked top/bottom-100 then DataFrame.corrwith",
    "weighted": "weighted Pearson formula",
}


def report(lib, bw, cases, genome: bool) -> None:
    memory = cases[0]["workers_memory"]
    result = {
        "library": {"signatures": lib.n_signatures, "genes": len(lib.genes)},
        "bandwidth_gb_s": round(bw, 1),
        "cases": [{k: v for k, v in c.items() if k != "workers_memory"} for c in cases],
        "synthetic": True,
        "library_version": lib.version,
        "workers": [{k: v for k, v in w.items() if k != "pid"} for w in memory],
    }
    (HERE / "results").mkdir(exist_ok=True)
    name = "genome.json" if genome else "latest.json"
    (HERE / "results" / name).write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"\nSYNTHETIC library {lib.n_signatures:,} x {len(lib.genes):,}; measured read "
        f"bandwidth {bw:.1f} GB/s; baseline measured on 10,000 signatures, scaled linearly\n"
    )
    print(
        "| metric | HTTP p50 ms | HTTP p99 ms | engine p50 ms | floor ms | baseline ms | speed-up |"
    )
    print("|---|---|---|---|---|---|---|")
    for c in result["cases"]:
        speedup = c["baseline_ms"] / c["http_p50_ms"]
        print(
            f"| {c['name']} | {c['http_p50_ms']} | {c['http_p99_ms']} | {c['engine_p50_ms']} | "
            f"{c['floor_ms']} | {c['baseline_ms']:,} | {speedup:,.0f}x |"
        )
    print(
        "\nworkers (MB): "
        + "; ".join(
            f"RSS {w['rss_mb']} = private {w['anon_mb']} + shared file pages {w['file_mb']}"
            for w in result["workers"]
        )
    )


if __name__ == "__main__":
    main()
