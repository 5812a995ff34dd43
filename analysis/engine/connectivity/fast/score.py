"""Fast connectivity: the reference metrics of ``connectivity.metrics`` over the store.

The store (``signatures.io``, ``docs/store.md``) keeps, next to the raw float64 values
(signature-major), gene-major **int8 screening layouts** with one scale per signature: ``y``
(logFC), ``b`` (−log10 p) and ``e`` (the extreme signed-significance vector), plus exact
per-signature sums (``moments``), the rounding residual norm of every signature (``*_err``)
and the gene indices and values of every extreme vector (``ext_index``, ``ext_value``). A
query is answered in three steps:

1. **Screen** every complete library column (no missing value) with one fused numba pass over
   the int8 rows of the genes the query uses (both cores, ``kernels``):
   pearson with full overlap reads ``y`` once (1 byte per value); extreme reads only the ≤ 200
   rows of the query's extreme genes; updown only the listed rows; weighted ``y`` and ``b``
   together; each screened score comes with an **error bound** (rounding residuals through
   Cauchy–Schwarz, plus float32 accumulation; for weighted a first-order bound, checked on
   every query against the rows it re-scores).
2. **Re-score exactly** (float64, the reference definitions) every column whose upper bound
   reaches the k-th best lower bound, plus every column with a missing value: the returned
   rows are provably the top k and their numbers equal the reference to ~1e-15.
3. **FDR** (Benjamini–Hochberg over the library): exact rows are ranked above every screened
   row whose p-value lower bound they beat; a returned row's adjusted p-value is exact once
   the minimum over that prefix is below the screened rows' bound, else more rows are
   re-scored (``fdr``), through the query's one ``state.State``.

No Django here: the library is any object with the attributes of
``signatures.io.LibraryMatrices`` (``library.Library``; ``library.arrays_library`` builds one in
memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.engine.connectivity.fast import exact as fx
from analysis.engine.connectivity.fast import kernels as fk
from analysis.engine.connectivity.fast.extreme import extreme_vector
from analysis.engine.connectivity.fast.fdr import TAIL, exact_fdr, p_values
from analysis.engine.connectivity.fast.library import Library
from analysis.engine.connectivity.fast.state import ORDERS, Screen, State
from analysis.engine.connectivity.metrics import (
    DEFAULT_MIN_OVERLAP,
    FullSignature,
    GeneList,
    Query,
    UpDownSignature,
    updown_from_signature,
)
from analysis.engine.derived import derived
from analysis.engine.stats import bh_fdr, random_set_z

COLUMNS = ["signature", "column", "similarity", "pValue", "FDR", "nGenes", "lowOverlap"]
EXACT_BLOCK = 4096
SIGMAS = 8.0  # the weighted metric's statistical screening bound, in standard deviations


def _align(query_genes: np.ndarray, lib: Library) -> tuple[np.ndarray, np.ndarray]:
    """(positions in the query, rows in the library) of the query genes the library has; the
    library's genes sorted (a binary search per query gene) are kept once per opened library."""

    def build() -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(lib.genes, kind="stable")
        return order, np.asarray(lib.genes)[order]

    order, ordered = derived(lib, "sorted genes", build)
    if not len(ordered):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    at = np.minimum(np.searchsorted(ordered, query_genes), len(ordered) - 1)
    iq = np.flatnonzero(ordered[at] == query_genes)
    return iq, order[at[iq]]


# --- the prepared query: what each metric needs ------------------------------------------


@dataclass
class _Plan:
    metric: str
    rows: np.ndarray  # library rows used
    x: np.ndarray  # query values on those rows (metric-specific)
    a: np.ndarray | None = None  # weighted: query weights on those rows
    in_list: np.ndarray | None = None  # randomset: library-row mask


def _plan(query: Query, lib: Library, metric: str, n_updown: int) -> _Plan:
    floor = lib.p_floor
    if metric == "randomset":
        if not isinstance(query, GeneList):
            raise ValueError("the randomset metric needs a plain gene list")
        in_list = np.isin(lib.genes, query.genes)
        return _Plan(metric, np.flatnonzero(in_list), np.ones(in_list.sum()), in_list=in_list)
    if metric == "updown":
        if isinstance(query, FullSignature):
            query = updown_from_signature(query, n_updown)
        if not isinstance(query, UpDownSignature):
            raise ValueError("the updown metric needs up/down lists or a full signature")
        genes, codes = query.codes()
        iq, il = _align(genes, lib)
        return _Plan(metric, il, codes[iq])
    if not isinstance(query, FullSignature):
        raise ValueError(f"the {metric} metric needs a full signature (genes and logFC)")
    if metric == "extreme":
        if query.pvalue is None or lib.pvalue is None:
            raise ValueError("the extreme metric needs p-values in the query and the library")
        s = np.sign(query.logfc) * -np.log10(np.maximum(query.pvalue, floor))
        ok = np.isfinite(s)
        genes = query.genes[ok]
        ext = extreme_vector(s[ok], np.argsort(genes, kind="stable"), lib.n_extreme)
        iq, il = _align(genes, lib)
        return _Plan(metric, il, ext[iq])
    ok = np.isfinite(query.logfc)
    if metric == "weighted":
        if not query.has_p and lib.pvalue is None:
            raise ValueError("the weighted metric needs p-values in the query or the library")
        if query.pvalue is not None:
            ok &= np.isfinite(query.pvalue)
    iq, il = _align(query.genes[ok], lib)
    x = query.logfc[ok][iq]
    if metric == "weighted":
        a = (
            -np.log10(np.fmax(query.pvalue[ok][iq], floor))
            if query.pvalue is not None
            else np.zeros(len(iq))
        )
        return _Plan(metric, il, x, a=a)
    if metric == "pearson":
        return _Plan(metric, il, x)
    raise ValueError(f"unknown metric {metric!r}")


# --- screening: int8 layouts, complete columns, a score and an error bound per column -----


def _unknown(n_sig: int, n: int) -> Screen:
    """Every score unknown (NaN, unbounded): all columns are re-scored exactly."""
    return Screen(np.full(n_sig, np.nan), np.full(n_sig, np.inf), n)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(den > 0, out, np.nan)


def _f32(values: npt.ArrayLike) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float32)


def _ascending(rows: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, ...]:
    """rows ascending (the reads move forward through each tile) and values in that order."""
    order = np.argsort(rows, kind="stable")
    return (np.ascontiguousarray(rows[order]), *(_f32(v[order]) for v in values))


def _screen(plan: _Plan, lib: Library) -> Screen:
    """Screened scores of every column and their error bounds.

    Partial overlap (and updown): the Pearson of x with the rounded column y' over the rows
    used, from (Σx·c, Σc, Σc²), and |r(x, y) − r(x, y')| ≤ 2‖y − y'‖ / ‖y' − ȳ'‖ with
    ‖y − y'‖ ≤ min(err, √n·scale/2). Full overlap: the column moments are exact, one dot
    product is read. Both up to float32 sums (the rounding term of the bound).
    """
    n_sig, n_genes = len(lib.signature_ids), len(lib.genes)
    rows, n = plan.rows, len(plan.rows)
    if plan.metric == "randomset":
        return _screen_randomset(plan, lib)
    if n < 3:
        return Screen(np.full(n_sig, np.nan), np.zeros(n_sig), n)
    if plan.metric == "weighted":
        return _screen_weighted(plan, lib)
    name = "e" if plan.metric == "extreme" else "y"
    codes = lib.layouts[name]
    if plan.metric == "updown":
        return _screen_updown(plan, lib, codes, n_sig, n_genes)
    if n < n_genes:
        xc = plan.x - plan.x.mean()
        nx = float(np.sqrt(xc @ xc))
        if not nx > 0:  # a constant query: every score is NaN (re-scored to say so)
            return _unknown(n_sig, n)
        sorted_rows, x32 = _ascending(rows, xc)
        rounding = (n + 2) * fk.EPS32 * float(np.abs(xc).max()) * np.sqrt(n) / nx
        rel_err = _per_column(lib, name, n_genes)[5]
        r, bound, peak = fk.screen_partial(codes, sorted_rows, x32, n_sig, rel_err, nx, rounding)
        return Screen(r, bound, n, peak=peak)
    # every library gene is used: the column sums are exact moments, one dot product is read
    x = plan.x if plan.metric == "extreme" else plan.x - plan.x.mean()
    nz = np.flatnonzero(x != 0)
    sorted_rows, w32 = _ascending(rows[nz], x[nz])
    sx = float(x.sum())
    vx = float(x @ x) - sx * sx / n
    nx = float(np.linalg.norm(x[nz]))
    if not vx > 0:
        return _unknown(n_sig, n)
    r, bound, peak = fk.screen_full(
        codes, sorted_rows, w32, n_sig, _per_column(lib, name, n_genes)[:5], sx, np.sqrt(vx),
        nx, np.sqrt(len(nz)), (len(nz) + 2) * fk.EPS32 * nx,
    )  # fmt: skip
    return Screen(r, bound, n, peak=peak)


def _screen_updown(
    plan: _Plan, lib: Library, codes: np.ndarray, n_sig: int, n_genes: int
) -> Screen:
    """Up/down lists: the Pearson of the ±1 codes with the rounded column over the listed rows
    from exact integer sums (``kernels.screen_updown``); bound as for partial overlap."""
    n = len(plan.rows)
    x_mean = float(plan.x.mean())
    nx = float(np.sqrt(((plan.x - x_mean) ** 2).sum()))
    if not nx > 0:  # only up (or only down) genes: every score is NaN (re-scored to say so)
        return _unknown(n_sig, n)
    up = np.sort(plan.rows[plan.x > 0])
    down = np.sort(plan.rows[plan.x < 0])
    proto = np.zeros(1, dtype=np.int16 if 127 * max(len(up), len(down)) < 2**15 else np.int32)
    rel_err = _per_column(lib, "y", n_genes)[5]
    r, bound, peak = fk.screen_updown(codes, up, down, n_sig, rel_err, nx, x_mean, proto)
    return Screen(r, bound, n, peak=peak)


def _up32(values: np.ndarray) -> np.ndarray:
    """float32, rounded up (never below the float64 value)."""
    out = np.asarray(values, dtype=np.float32)
    return np.where(out < values, np.nextafter(out, np.float32(np.inf)), out)


def _per_column(lib: Library, name: str, n_genes: int) -> np.ndarray:
    """Per-column constants of a layout that the screening finish reads, as float32 rows
    (6, S), computed once per opened library: scale, mean and sd over every gene (exact
    moments), the rounding residual norm and sqrt(Σv²) + residual (rounded up), and
    residual/scale (rounded up). A 250k-signature finish reads 20 bytes a column instead of
    64 (3× faster); the float32 rounding is in the bound (``kernels._finish_full``)."""

    def build() -> np.ndarray:
        m = lib.moments
        scale, err = m[f"{name}_scale"], m[f"{name}_err"]
        total, squares = m[f"{name}_sum"], m[f"{name}_sq"]
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(scale > 0, err / scale, np.inf)
        return np.stack(
            [
                np.asarray(scale, dtype=np.float32),
                np.asarray(total / n_genes, dtype=np.float32),
                np.asarray(np.sqrt(np.maximum(squares - total * total / n_genes, 0)), np.float32),
                _up32(err),
                _up32(np.sqrt(squares) + err),
                _up32(rel),
            ]
        )

    return derived(lib, ("per column", name), build)


def _screen_weighted(plan: _Plan, lib: Library) -> Screen:
    n_sig, n = len(lib.signature_ids), len(plan.rows)
    if lib.pvalue is None:  # no library weights: score everything exactly
        return Screen(np.zeros(n_sig), np.full(n_sig, np.inf), n)
    m, x, a = lib.moments, plan.x, cast(np.ndarray, plan.a)  # weighted: _plan sets a
    sy, sb = m["y_scale"], m["b_scale"]
    codes_y, codes_b = lib.layouts["y"], lib.layouts["b"]
    # Rounding errors are independent and uniform (sd = scale/√12); to first order they move r
    # by δr ≈ <x̂ − r·ŷ, e_y>_w/‖y_c‖_w + Σ_g e_b,g·(x̂_g·ŷ_g − r/2·(x̂_g² + ŷ_g²)), whose sd is
    # at most sy/√12·√(w_max·(1 − r²)/v_y) + sb/√12·√(3n)/Σw·(1 + |r|). The bound is SIGMAS of
    # those sds: a statistical bound, checked on every re-scored row (``State.rescore``).
    sums = np.array([a.sum(), a @ x, a @ (x * x), a.max()])
    rows, x32, a32 = _ascending(plan.rows, x, a)
    if n == len(lib.genes):  # every gene: the library-only sums are exact column moments
        r, bound, peak = fk.screen_weighted_full(
            codes_y, codes_b, rows, x32, a32, n_sig,
            m["b_sum"], m["by_sum"], m["by2_sum"], sy, sb, sums, SIGMAS,
        )  # fmt: skip
    else:
        r, bound, peak = fk.screen_weighted_partial(
            codes_y, codes_b, rows, x32, a32, n_sig, sy, sb, sums, SIGMAS
        )
    return Screen(r, bound, n, checked=False, peak=peak)


def _screen_randomset(plan: _Plan, lib: Library) -> Screen:
    n_sig, n_genes, k = len(lib.signature_ids), len(lib.genes), len(plan.rows)
    if lib.pvalue is None or k == 0:
        return Screen(np.zeros(n_sig), np.full(n_sig, np.inf), k)
    m = lib.moments
    total = m["b_scale"] * fk.dot_rows(lib.layouts["b"], plan.rows, np.ones(k, np.float32), n_sig)
    mean = m["b_sum"] / n_genes
    var = m["b_sq"] / n_genes - mean * mean
    z = random_set_z(total / k, k, mean, var, n_genes)
    resid = np.sqrt(k) * np.minimum(m["b_err"], np.sqrt(k) * m["b_scale"] / 2)
    resid += (k + 2) * fk.EPS32 * (np.abs(total) + np.sqrt(k * m["b_sq"]))
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(var / k * (n_genes - k) / (n_genes - 1))
    return Screen(z, _ratio(resid / k, sd), k)


# --- exact float64 scoring of chosen columns ---------------------------------------------


def _signature_major(matrix: np.ndarray) -> np.ndarray:
    return np.asarray(matrix).T  # (S, G) C-contiguous view of the signature-major file


def _exact(plan: _Plan, lib: Library, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(similarity, nGenes) of library columns ``cols``, float64, the reference definitions."""
    cols = np.asarray(cols, dtype=np.int64)
    if plan.metric == "randomset":
        return _exact_randomset(plan, lib, cols)
    y = _signature_major(lib.logfc)
    order = np.argsort(plan.rows, kind="stable")  # each column's row is read forwards
    rows, x = plan.rows[order], plan.x[order].astype(np.float64)
    if plan.metric in ("pearson", "updown"):
        return fx.exact_pearson(y, cols, rows, x)
    p = y if lib.pvalue is None else _signature_major(lib.pvalue)
    if plan.metric == "extreme":
        # a library with p-values (which _plan requires here) has its extreme vectors
        ext_index, ext_value = cast(np.ndarray, lib.ext_index), cast(np.ndarray, lib.ext_value)
        if len(rows) < len(lib.genes):
            return fx.exact_extreme(y, p, ext_index, cols, rows, x, lib.p_floor)
        # every gene: complete columns read only their kept genes
        r, n = np.empty(len(cols)), np.empty(len(cols), dtype=np.int64)
        gaps = np.isin(cols, lib.nan_columns)
        xfull = np.empty(len(lib.genes))
        xfull[rows] = x
        r[~gaps], n[~gaps] = fx.exact_extreme_complete(ext_value, ext_index, cols[~gaps], xfull)
        if gaps.any():
            r[gaps], n[gaps] = fx.exact_extreme(y, p, ext_index, cols[gaps], rows, x, lib.p_floor)
        return r, n
    return fx.exact_weighted(
        y,
        p,
        cols,
        rows,
        x,
        cast(np.ndarray, plan.a)[order].astype(np.float64),  # weighted: set
        lib.pvalue is not None,
        lib.p_floor,
    )


def _exact_randomset(plan: _Plan, lib: Library, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    in_list = cast(np.ndarray, plan.in_list)  # set by _plan for randomset
    r_out = np.full(len(cols), np.nan)
    k_out = np.zeros(len(cols), dtype=np.int64)
    y_all = _signature_major(lib.logfc)
    for start in range(0, len(cols), EXACT_BLOCK):
        part = cols[start : start + EXACT_BLOCK]
        y = y_all[part]
        if lib.pvalue is None:
            score = np.abs(y)
        else:
            score = -np.log10(np.maximum(_signature_major(lib.pvalue)[part], lib.p_floor))
            score[~np.isfinite(y)] = np.nan
        ok = np.isfinite(score)
        hits = ok & in_list[None, :]
        k = hits.sum(axis=1)
        big_n = ok.sum(axis=1)
        s0 = np.where(ok, score, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s0.sum(axis=1) / big_n
            var = (np.where(ok, s0 - mean[:, None], 0.0) ** 2).sum(axis=1) / big_n
            hit_mean = np.where(hits, s0, 0.0).sum(axis=1) / k
        r_out[start : start + len(part)] = random_set_z(hit_mean, k, mean, var, big_n)
        k_out[start : start + len(part)] = k
    return r_out, k_out


# --- choosing the rows, p-values and FDR -----------------------------------------------------


def _choose(state: State, top: int, order: str, min_overlap: int) -> np.ndarray:
    """Re-score every column that may belong to the top rows; returns them ranked.

    A column whose upper bound is below the k-th largest lower bound cannot be in the top k.
    Re-scoring only raises lower bounds, so one pass suffices unless a first-order bound had
    to be widened. The pass that finds them also keeps the candidates of the FDR's tail
    (``state.tail_pool``, ``exact.select``).
    """
    k = min(top, len(state.r))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    mode = state.mode(order)
    ok, kth, reach, state.tail_pool = fx.select(
        state.r, state.bound, state.exact, state.n, state.peak, mode, k, min_overlap,
        state.signed, TAIL,
    )  # fmt: skip
    while True:
        state.widened = False
        if not ok:
            kth = fx.kth_lower(state.r, state.bound, mode, k)
            reach = fx.reaching(state.r, state.bound, state.exact, mode, kth)
        state.rescore(reach)
        if not state.widened:
            break
        ok, state.tail_pool = False, None  # wider bounds: the thresholds no longer hold
    cand = np.sort(state.exact_cols)
    key, _, _ = fx.bounds(state.r[cand], state.bound[cand], state.exact[cand], mode)
    keep = key >= kth
    cand, key = cand[keep], key[keep]
    return cand[np.lexsort((cand, -key))][:k]


@dataclass(frozen=True)
class FastResult:
    """Ranked rows and how they were obtained (for the API, the CLI and the benchmarks).

    ``columns``: the COLUMNS as arrays, rows in rank order; ``table`` is the same as a
    DataFrame, built on first use (a request that only serialises rows skips pandas).
    """

    columns: dict[str, Any]
    n_signatures: int
    n_rescored: int
    query_genes_used: int

    @cached_property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns, columns=COLUMNS)


def fast_connectivity(
    query: Query,
    lib: Library,
    *,
    metric: str,
    top: int | None = 100,
    order: str = "abs",
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    n_updown: int = 100,
) -> FastResult:
    """Score a query (engine query types) against a stored library; exact returned rows.

    top: number of rows to return, ranked by |similarity| (order="abs"), similarity
    descending ("up") or ascending ("down"); randomset ranks by z descending. top=None
    scores every signature exactly and returns them in library order.
    Columns: signature column similarity pValue FDR nGenes lowOverlap.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}")
    plan = _plan(query, lib, metric, n_updown)
    n_sig = len(lib.signature_ids)
    if top is None:
        cols = np.arange(n_sig)
        r, n = _exact(plan, lib, cols)
        p = p_values(metric, r, n)
        low = n < min_overlap
        fdr = bh_fdr(np.where(low, np.nan, p))
        return FastResult(_frame(lib, cols, r, p, fdr, n, low), n_sig, n_sig, len(plan.rows))
    state = State(metric, _screen(plan, lib), lambda cols: _exact(plan, lib, cols), lib.nan_columns)
    chosen = _choose(state, top, order, min_overlap)
    fdr = exact_fdr(state, chosen, min_overlap)
    r, n = state.r[chosen], state.n[chosen]
    table = _frame(lib, chosen, r, state.p_of(chosen), fdr, n, n < min_overlap)
    return FastResult(table, n_sig, int(state.exact.sum()), len(plan.rows))


def _frame(
    lib: Library,
    cols: np.ndarray,
    r: np.ndarray,
    p: np.ndarray,
    fdr: np.ndarray,
    n: np.ndarray,
    low: np.ndarray,
) -> dict[str, Any]:
    ids = lib.signature_ids
    return {
        "signature": [ids[j] for j in cols.tolist()],
        "column": np.asarray(cols, dtype=np.int64),
        "similarity": np.asarray(r, dtype=np.float64),
        "pValue": np.asarray(p, dtype=np.float64),
        "FDR": np.asarray(fdr, dtype=np.float64),
        "nGenes": np.asarray(n, dtype=np.int64),
        "lowOverlap": np.asarray(low, dtype=bool),
    }
