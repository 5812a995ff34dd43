"""Loopback load test (``make loadtest``; not part of the test suite).

Starts the production server (gunicorn, 2 workers, DEBUG off) on a scratch SQLite database and
data directory, with a SYNTHETIC catalogue: one library of 5,000 signatures x 978 genes, their
catalogue rows, the genes and a few datasets. Then N client threads send requests for 60 s,
keep-alive, mixing catalogue reads (API lists and details, HTML lists, search) with
connectivity queries (POST /api/v1/connectivity/, 100-gene signatures, pearson and updown).
Prints throughput, p50/p99 per request class and the errors (any status >= 400 or a dropped
connection); the goal is zero errors and p99 under 5x p50. Rate limits are lifted for the run.

    python -m benchmarks.loadtest [--seconds 60] [--clients 8] [--port 8197]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks.server import scratch_env, wait_for

ROOT = Path(__file__).resolve().parent.parent
N_GENES, N_SIGNATURES = 978, 5000


def _env(work: Path) -> dict:
    return scratch_env(work, database="load.sqlite3")


def setup_catalogue() -> None:
    """Runs inside a child process with the scratch settings: library, catalogue rows, genes."""
    import django

    django.setup()
    from catalog.models import Collection, Dataset
    from signatures import io
    from signatures.models import Gene, Perturbagen, Signature, SignatureLibrary

    rng = np.random.default_rng(7)
    genes = np.arange(1, N_GENES + 1) * 7 + 1000
    ids = [f"LOADSIG_{j}" for j in range(N_SIGNATURES)]
    writer = io.LibraryWriter(
        slug="load-lib", genes=genes, n_signatures=N_SIGNATURES, has_pvalues=True
    )
    for start in range(0, N_SIGNATURES, 1000):
        block = slice(start, start + 1000)
        logfc = rng.standard_normal((N_GENES, 1000))
        writer.add_block(
            signature_ids=ids[block], logfc=logfc, pvalue=rng.uniform(1e-8, 1, logfc.shape)
        )
    version = writer.commit()
    collection = Collection.objects.create(slug="load", name="Load test")
    library = SignatureLibrary.objects.create(
        slug="load-lib",
        name="Load library",
        version=version,
        collection=collection,
        n_signatures=N_SIGNATURES,
        n_genes=N_GENES,
        has_pvalues=True,
    )
    drugs = Perturbagen.objects.bulk_create(
        Perturbagen(accession=f"BRD-LOAD-{k}", name=f"loadinib-{k}", kind="compound")
        for k in range(200)
    )
    Signature.objects.bulk_create(
        Signature(accession=acc, library=library, column=j, perturbagen=drugs[j % 200])
        for j, acc in enumerate(ids)
    )
    Gene.objects.bulk_create(Gene(entrez_id=int(g), symbol=f"LG{g}") for g in genes)
    Dataset.objects.bulk_create(
        Dataset(accession=f"GSE{700000 + k}", title=f"Load dataset {k}", collection=collection)
        for k in range(50)
    )


def _requests(genes: list[int]):
    """An endless mix: 70% catalogue reads, 30% connectivity queries."""
    rng = random.Random(11)
    while True:
        roll = rng.random()
        if roll < 0.30:
            chosen = rng.sample(genes, 100)
            if rng.random() < 0.5:
                query = {
                    "genes": [str(g) for g in chosen],
                    "logFC": [rng.gauss(0, 1) for _ in chosen],
                }
                metric = "pearson"
            else:
                query = {"up": [str(g) for g in chosen[:50]], "down": [str(g) for g in chosen[50:]]}
                metric = "updown"
            body = {"library": "load-lib", "metric": metric, "top": 50, "query": query}
            yield "connectivity", "POST", "/api/v1/connectivity/", json.dumps(body)
        elif roll < 0.55:
            yield "api list", "GET", f"/api/v1/signatures/?page={rng.randint(1, 100)}", None
        elif roll < 0.70:
            yield (
                "api detail",
                "GET",
                f"/api/v1/signatures/LOADSIG_{rng.randrange(N_SIGNATURES)}/",
                None,
            )
        elif roll < 0.85:
            yield "html list", "GET", f"/signatures/?page={rng.randint(1, 50)}", None
        else:
            yield "search", "GET", f"/api/v1/perturbagens/?q=loadinib-{rng.randrange(200)}", None


def _client(port: int, stop: float, genes: list[int], out: dict, lock: threading.Lock, seed: int):
    random.seed(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    local: dict = defaultdict(list)
    errors: dict = defaultdict(int)
    for kind, method, path, body in _requests(genes):
        if time.monotonic() >= stop:
            break
        headers = {"Content-Type": "application/json"} if body else {}
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        elapsed = time.perf_counter() - t0
        local[kind].append(elapsed)
        if status == 0 or status >= 400:
            errors[f"{kind} {status}"] += 1
    with lock:
        for kind, values in local.items():
            out["latency"][kind].extend(values)
        for key, n in errors.items():
            out["errors"][key] += n


def _report(out: dict, seconds: float) -> None:
    every = [v for values in out["latency"].values() for v in values]
    total = len(every)
    print(f"\n{total} requests in {seconds:.0f} s: {total / seconds:.1f} req/s")
    print(f"{'class':14} {'n':>7} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>8}")
    for kind, values in sorted(out["latency"].items()) + [("all", every)]:
        p50, p99 = np.percentile(values, [50, 99]) * 1000
        print(f"{kind:14} {len(values):7d} {p50:8.1f} {p99:8.1f} {p99 / p50:8.1f}")
    n_errors = sum(out["errors"].values())
    print(f"errors: {n_errors}" + (f" {dict(out['errors'])}" if n_errors else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=8197)
    parser.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_only:
        setup_catalogue()
        return
    with tempfile.TemporaryDirectory(prefix="portal-load-") as tmp:
        work = Path(tmp)
        env = _env(work)
        manage = [sys.executable, "manage.py"]
        print("preparing a scratch database and a 5,000-signature synthetic library ...")
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [sys.executable, "-m", "benchmarks.loadtest", "--setup-only"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "ilincs_site.wsgi",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{args.port}",
                "--keep-alive",
                "30",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        try:
            wait_for(args.port)
            genes = [int(g) for g in np.arange(1, N_GENES + 1) * 7 + 1000]
            out = {"latency": defaultdict(list), "errors": defaultdict(int)}
            lock = threading.Lock()
            # Warm-up (not counted): each worker maps the library and compiles its kernels once.
            warm = {"latency": defaultdict(list), "errors": defaultdict(int)}
            _client(args.port, time.monotonic() + 5, genes, warm, lock, 99)
            print(
                f"{args.clients} clients for {args.seconds:.0f} s against gunicorn (2 workers) ..."
            )
            stop = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=_client, args=(args.port, stop, genes, out, lock, k))
                for k in range(args.clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            _report(out, args.seconds)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
