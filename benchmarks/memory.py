"""Worker memory under the largest accepted and too-large inputs (``make bench-memory``).

Starts the production server (gunicorn, one sync worker, DEBUG off) on a scratch SQLite
database and data directory with a small synthetic library, then sends, one at a time: JSON
bodies to ``POST /api/v1/connectivity/`` and uploads to ``POST /query/recognise/`` (the query
page's reader), each the largest the limits accept or larger than they allow. Before each
request the worker's peak RSS is reset (``/proc/PID/clear_refs``); after it, the growth of the
peak over the resting RSS (``VmHWM`` - ``VmRSS``) is the figure, compared with the configured
limit of that input. The goal: no request raises the peak by more than ~2x its limit (plus a
fixed overhead for the response and Python's allocator); it exits 1 when a case misses it.

    python -m benchmarks.memory [--request-mb 10] [--upload-mb 200] [--rows 100000] [--port 8102]

Prints one row per case and writes ``benchmarks/results/memory.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.server import scratch_env, wait_for

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
N_GENES, N_SIGNATURES = 978, 500
FIXED_MB = 100  # a generous allowance: ~64 MB for a million decoded JSON values, the answer
GENES = [int(g) for g in np.arange(1, N_GENES + 1) * 7 + 1000]


def _env(work: Path, args) -> dict:
    return scratch_env(
        work,
        database="memory.sqlite3",
        PORTAL_MAX_REQUEST_BYTES=str(args.request_mb * MB),
        PORTAL_MAX_UPLOAD_BYTES=str(args.upload_mb * MB),
        PORTAL_MAX_UPLOAD_ROWS=str(args.rows),
    )


def setup_catalogue() -> None:
    """Runs inside a child process with the scratch settings: one library and its genes."""
    import django

    django.setup()
    from signatures import io
    from signatures.models import Gene, Signature, SignatureLibrary

    rng = np.random.default_rng(3)
    ids = [f"MEMSIG_{j}" for j in range(N_SIGNATURES)]
    writer = io.LibraryWriter(
        slug="mem-lib", genes=np.asarray(GENES), n_signatures=N_SIGNATURES, has_pvalues=True
    )
    logfc = rng.standard_normal((N_GENES, N_SIGNATURES))
    writer.add_block(signature_ids=ids, logfc=logfc, pvalue=rng.uniform(1e-8, 1, logfc.shape))
    version = writer.commit()
    library = SignatureLibrary.objects.create(
        slug="mem-lib", name="Memory library", version=version, n_signatures=N_SIGNATURES,
        n_genes=N_GENES, has_pvalues=True,
    )  # fmt: skip
    Signature.objects.bulk_create(
        Signature(accession=acc, library=library, column=j) for j, acc in enumerate(ids)
    )
    Gene.objects.bulk_create(Gene(entrez_id=g, symbol=f"MG{g}") for g in GENES)


# --- inputs -------------------------------------------------------------------------------


def _query_body(size: int, *, strings: bool = False) -> bytes:
    """A pearson query of the library's genes, padded to ``size`` bytes by an unknown field
    (ignored): numbers, JSON's worst shape (~8x its size once decoded), or 48-byte strings."""
    query = {"genes": [str(g) for g in GENES], "logFC": [0.5] * N_GENES}
    head = json.dumps({"library": "mem-lib", "metric": "pearson", "query": query})[:-1]
    head = (head + ', "padding": [').encode()
    item = b'"' + b"s" * 48 + b'",' if strings else b"0.1,"
    n = max(1, (size - len(head) - 2) // len(item))
    return head + item * (n - 1) + item[:-1] + b"]}"


def _table(size: int, *, rows: int | None = None) -> bytes:
    """A gene / logFC / p-value TSV of ``size`` bytes (or ``rows`` rows, padded wide)."""
    header = b"gene\tlogFC\tpvalue\tnote\n"
    if rows is None:
        line = b"7007\t0.5\t0.01\tx\n"
        return header + line * ((size - len(header)) // len(line))
    pad = max(1, (size - len(header)) // rows - 16)
    return header + b"".join(
        b"%d\t0.5\t0.01\t" % GENES[i % N_GENES] + b"y" * pad + b"\n" for i in range(rows)
    )


def _gct(size: int) -> bytes:
    lines = (size - 40) // 14
    head = f"#1.2\n{lines}\t1\nName\tDescription\tA\n".encode()
    return head + b"7007\tx\t0.5\n" * lines


# --- the server and its worker --------------------------------------------------------------


def _worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise SystemExit("gunicorn started no worker")


def _status_kb(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1))


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS (Linux >= 4.0)


def _csrf(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/query/")
    response = conn.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie") or ""
    return re.search(r"csrftoken=([^;]+)", cookie).group(1)


def _multipart(name: str, data: bytes, fields: dict) -> tuple[bytes, str]:
    boundary = "portalmemory" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return b"".join(parts) + head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def _send(port: int, path: str, body: bytes, headers: dict, *, chunked: bool = False):
    """(status, start of the answer); the server may answer (413) and close before the whole
    body is sent: the answer is then read from what it sent back."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        if chunked:
            pieces = (body[i : i + MB] for i in range(0, len(body), MB))
            conn.request("POST", path, body=pieces, headers=headers, encode_chunked=True)
        else:
            conn.request("POST", path, body=body, headers=headers)
    except OSError:  # BrokenPipe / ConnectionReset: refused while sending
        pass
    try:
        response = conn.getresponse()
        return response.status, response.read()[:160].decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        return 0, f"connection closed ({exc.__class__.__name__})"


def _measure(pid: int, port: int, case: dict) -> dict:
    rest = _status_kb(pid, "VmRSS")
    _reset_peak(pid)
    t0 = time.perf_counter()
    status, answer = _send(
        port, case["path"], case["body"], case["headers"], chunked=case["chunked"]
    )
    seconds = time.perf_counter() - t0
    time.sleep(0.2)
    peak, after = _status_kb(pid, "VmHWM"), _status_kb(pid, "VmRSS")
    growth_mb = (peak - rest) / 1024
    return {
        "case": case["name"],
        "input_mb": round(len(case["body"]) / MB, 1),
        "limit_mb": case["limit_mb"],
        "status": status,
        "rss_before_mb": round(rest / 1024, 1),
        "peak_growth_mb": round(growth_mb, 1),
        "kept_mb": round((after - rest) / 1024, 1),
        "growth_per_limit": round(growth_mb / case["limit_mb"], 2),
        "seconds": round(seconds, 2),
        "answer": answer,
    }


def _cases(args, token: str) -> list[dict]:
    json_headers = {"Content-Type": "application/json"}
    req, up = args.request_mb * MB, args.upload_mb * MB
    values = 1_000_000 - 2 * N_GENES - 10  # MAX_JSON_VALUES (ilincs_site.parsers)
    cases = [
        ("JSON: largest accepted, 1M numbers", _query_body(4 * values), False),
        (
            "JSON: largest accepted, 1M strings",
            _query_body(min(req - 1024, 51 * values), strings=True),
            False,
        ),
        ("JSON: at the byte limit, 13M numbers", _query_body(req - 1024), False),
        ("JSON: 2x limit, Content-Length", _query_body(2 * req), False),
        ("JSON: 2x limit, chunked", _query_body(2 * req), True),
    ]
    out = [
        {"name": n, "path": "/api/v1/connectivity/", "body": b, "headers": json_headers,
         "chunked": c, "limit_mb": args.request_mb}
        for n, b, c in cases
    ]  # fmt: skip
    page_fields = {"action": "check", "library": "mem-lib", "metric": "pearson", "top": "10"}
    uploads = [
        ("TSV: largest accepted (row limit, wide rows)", "sig.tsv", _table(up - MB, rows=args.rows - 1), "/query/recognise/"),
        ("TSV: 190 MB of rows, over the row limit", "sig.tsv", _table(190 * MB), "/query/recognise/"),
        ("query page: 190 MB TSV, over the row limit", "sig.tsv", _table(190 * MB), "/query/"),
        ("TSV: over the byte limit", "sig.tsv", _table(up + 10 * MB), "/query/recognise/"),
        ("GCT: 190 MB, over the row limit", "sig.gct", _gct(190 * MB), "/query/recognise/"),
    ]  # fmt: skip
    for name, filename, data, path in uploads:
        fields = page_fields if path == "/query/" else {}
        body, boundary = _multipart(filename, data, fields)
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": f"csrftoken={token}",
            "X-CSRFToken": token,
        }
        out.append({"name": name, "path": path, "body": body,
                    "headers": headers, "chunked": False, "limit_mb": args.upload_mb})  # fmt: skip
    return out


def _report(rows: list[dict]) -> None:
    print(
        f"\n{'case':46} {'in MB':>6} {'limit':>5} {'status':>6} {'peak+MB':>8} {'/limit':>6} {'kept':>5}"
    )
    for r in rows:
        print(
            f"{r['case']:46} {r['input_mb']:6.1f} {r['limit_mb']:5d} {r['status']:6d} "
            f"{r['peak_growth_mb']:8.1f} {r['growth_per_limit']:6.2f} {r['kept_mb']:5.1f}"
        )
        print(f"    {r['answer'][:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--request-mb", type=int, default=10, help="PORTAL_MAX_REQUEST_BYTES")
    parser.add_argument("--upload-mb", type=int, default=200, help="PORTAL_MAX_UPLOAD_BYTES")
    parser.add_argument("--rows", type=int, default=100_000, help="PORTAL_MAX_UPLOAD_ROWS")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_only:
        setup_catalogue()
        return
    with tempfile.TemporaryDirectory(prefix="portal-memory-") as tmp:
        work = Path(tmp)
        env = _env(work, args)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", "--setup-only"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "ilincs_site.wsgi", "-w", "1", "-b",
             f"127.0.0.1:{args.port}", "--timeout", "600", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        try:
            wait_for(args.port)
            pid = _worker_pid(server.pid)
            token = _csrf(args.port)
            cases = _cases(args, token)
            # warm-up: the worker maps the library and compiles its kernels once
            small = {**cases[0], "body": _query_body(50_000)}
            _measure(pid, args.port, small)
            rows = [_measure(pid, args.port, case) for case in cases]
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    _report(rows)
    out = ROOT / "benchmarks" / "results" / "memory.json"
    settings = {"request_mb": args.request_mb, "upload_mb": args.upload_mb, "rows": args.rows}
    out.write_text(json.dumps({"limits": settings, "cases": rows}, indent=1) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    over = [r["case"] for r in rows if r["peak_growth_mb"] > 2 * r["limit_mb"] + FIXED_MB]
    print(
        f"goal (peak growth < 2 x limit + {FIXED_MB} MB): "
        + ("met" if not over else f"MISSED {over}")
    )
    if over:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
