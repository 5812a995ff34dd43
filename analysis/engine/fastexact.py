"""Numba kernels that score chosen columns exactly and pick the rows of the fast path.

Exact kernels score chosen columns in float64 from the signature-major raw values with the
reference definitions (two-pass centred sums) of ``analysis.engine.connectivity``; a few
hundred columns run on one thread, more are split over both cores. Selection kernels make
one pass over the screened scores and their bounds (``analysis.engine.fastconn``) instead
of a numpy expression per step: the k-th best lower bound, the columns whose upper bound
reaches it, and the screened columns that bound the FDR's tail.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

PARALLEL_FROM = 64  # columns: fewer are scored on one thread (waking the pool costs more)


@njit(cache=True, nogil=True)
def _pearson(x, y, m):
    """Two-pass Pearson of x[:m], y[:m]; NaN when m < 3 or either side is constant."""
    if m < 3:
        return np.nan
    mx = 0.0
    my = 0.0
    for i in range(m):
        mx += x[i]
        my += y[i]
    mx /= m
    my /= m
    sxx = 0.0
    syy = 0.0
    sxy = 0.0
    for i in range(m):
        dx = x[i] - mx
        dy = y[i] - my
        sxx += dx * dx
        syy += dy * dy
        sxy += dx * dy
    if sxx == 0.0 or syy == 0.0:
        return np.nan
    return min(1.0, max(-1.0, sxy / np.sqrt(sxx * syy)))


@njit(cache=True)
def _weighted(x, y, w, m):
    if m < 3:
        return np.nan
    sw = 0.0
    sx = 0.0
    sy = 0.0
    for i in range(m):
        sw += w[i]
        sx += w[i] * x[i]
        sy += w[i] * y[i]
    if not sw > 0:
        return np.nan
    mx = sx / sw
    my = sy / sw
    sxx = 0.0
    syy = 0.0
    sxy = 0.0
    for i in range(m):
        dx = x[i] - mx
        dy = y[i] - my
        sxx += w[i] * dx * dx
        syy += w[i] * dy * dy
        sxy += w[i] * dx * dy
    den = np.sqrt(sxx * syy)
    if not den > 0:
        return np.nan
    return sxy / den


@njit(cache=True, nogil=True)
def _pearson_one(logfc, c, rows, x, xs, ys):
    m = 0
    for i in range(rows.size):
        v = logfc[c, rows[i]]
        if np.isfinite(v):
            xs[m] = x[i]
            ys[m] = v
            m += 1
    return _pearson(xs, ys, m), m


@njit(cache=True, nogil=True)
def _extreme_one(logfc, pvalue, ext_index, c, rows, x, floor, kept, xs, ys):
    for t in range(ext_index.shape[1]):
        if ext_index[c, t] >= 0:
            kept[ext_index[c, t]] = True
    m = 0
    for i in range(rows.size):
        g = rows[i]
        y = logfc[c, g]
        p = pvalue[c, g]
        if not (np.isfinite(y) and np.isfinite(p)):
            continue
        xs[m] = x[i]
        ys[m] = np.sign(y) * -np.log10(max(p, floor)) if kept[g] else 0.0
        m += 1
    for t in range(ext_index.shape[1]):
        if ext_index[c, t] >= 0:
            kept[ext_index[c, t]] = False
    return _pearson(xs, ys, m), m


@njit(cache=True, nogil=True)
def _weighted_one(logfc, pvalue, c, rows, x, a, use_p, floor, xs, ys, ws):
    m = 0
    for i in range(rows.size):
        y = logfc[c, rows[i]]
        w = a[i]
        if use_p:
            p = pvalue[c, rows[i]]
            if not np.isfinite(p):
                continue
            w += -np.log10(max(p, floor))
        if not np.isfinite(y):
            continue
        xs[m], ys[m], ws[m] = x[i], y, w
        m += 1
    return _weighted(xs, ys, ws, m), m


@njit(cache=True, nogil=True)
def _chunk_bounds(n_cols):
    chunks = 1 if n_cols < PARALLEL_FROM else 8
    return chunks, (n_cols + chunks - 1) // chunks


@njit(parallel=True, cache=True, nogil=True)
def exact_pearson(logfc, cols, rows, x):
    """Pearson of x with logfc[c, rows] over the finite values, for each column c (float64)."""
    r = np.empty(cols.size)
    n = np.empty(cols.size, dtype=np.int64)
    chunks, size = _chunk_bounds(cols.size)
    for part in prange(chunks):
        xs, ys = np.empty(rows.size), np.empty(rows.size)
        for k in range(part * size, min((part + 1) * size, cols.size)):
            r[k], n[k] = _pearson_one(logfc, cols[k], rows, x, xs, ys)
    return r, n


@njit(parallel=True, cache=True, nogil=True)
def exact_extreme(logfc, pvalue, ext_index, cols, rows, x, floor):
    """Pearson of the query extreme vector x with each column's extreme vector (float64).

    A column's vector is s = sign(logFC)·(−log10 max(p, floor)) on the genes listed in its
    ``ext_index`` row, 0 on its other finite genes, missing where logFC or p is NaN.
    """
    r = np.empty(cols.size)
    n = np.empty(cols.size, dtype=np.int64)
    chunks, size = _chunk_bounds(cols.size)
    for part in prange(chunks):
        kept = np.zeros(logfc.shape[1], dtype=np.bool_)
        xs, ys = np.empty(rows.size), np.empty(rows.size)
        for k in range(part * size, min((part + 1) * size, cols.size)):
            r[k], n[k] = _extreme_one(
                logfc, pvalue, ext_index, cols[k], rows, x, floor, kept, xs, ys
            )
    return r, n


@njit(parallel=True, cache=True, nogil=True)
def exact_weighted(logfc, pvalue, cols, rows, x, a, use_p, floor):
    """Weighted Pearson, w = a + (−log10 max(p_lib, floor)) when use_p, per column (float64)."""
    r = np.empty(cols.size)
    n = np.empty(cols.size, dtype=np.int64)
    chunks, size = _chunk_bounds(cols.size)
    for part in prange(chunks):
        xs, ys, ws = np.empty(rows.size), np.empty(rows.size), np.empty(rows.size)
        for k in range(part * size, min((part + 1) * size, cols.size)):
            r[k], n[k] = _weighted_one(logfc, pvalue, cols[k], rows, x, a, use_p, floor, xs, ys, ws)
    return r, n


# --- selection --------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _heap_push(heap_v, heap_i, size, k, v, j):
    """Offer (v, j) to a size-k min-heap of the largest values; returns the new size."""
    if size < k:
        pos = size
        size += 1
        while pos > 0:  # sift up
            parent = (pos - 1) // 2
            if heap_v[parent] <= v:
                break
            heap_v[pos], heap_i[pos] = heap_v[parent], heap_i[parent]
            pos = parent
        heap_v[pos], heap_i[pos] = v, j
    elif v > heap_v[0]:
        pos = 0
        while True:  # sift down from the root
            child = 2 * pos + 1
            if child >= k:
                break
            if child + 1 < k and heap_v[child + 1] < heap_v[child]:
                child += 1
            if heap_v[child] >= v:
                break
            heap_v[pos], heap_i[pos] = heap_v[child], heap_i[child]
            pos = child
        heap_v[pos], heap_i[pos] = v, j
    return size


@njit(cache=True, nogil=True)
def top_indices(values, mask, k):
    """Indices of the k largest values[j] with mask[j] (any order; fewer if fewer qualify).

    One pass with a size-k min-heap: after the first k, most values are rejected by one
    comparison with the heap's minimum.
    """
    heap_v = np.empty(k)
    heap_i = np.empty(k, dtype=np.int64)
    size = 0
    for j in range(values.size):
        if mask[j] and (size < k or values[j] > heap_v[0]):
            size = _heap_push(heap_v, heap_i, size, k, values[j], j)
    return heap_i[:size]


@njit(cache=True, nogil=True)
def _key(v, mode):
    return abs(v) if mode == 0 else (v if mode == 1 else -v)


@njit(cache=True, nogil=True)
def bounds(r, bound, exact, mode):
    """(key, lower, upper) of the ranking, mode 0 |r|, 1 r, 2 −r; NaN ranks last (a screened
    NaN is unknown: lower −inf, upper +inf)."""
    n = r.size
    key = np.empty(n)
    lo = np.empty(n)
    hi = np.empty(n)
    for j in range(n):
        v = r[j]
        if np.isnan(v):
            key[j] = -np.inf
            lo[j] = -np.inf
            hi[j] = -np.inf if exact[j] else np.inf
            continue
        kv = _key(v, mode)
        key[j] = kv
        lo[j] = kv - bound[j]
        hi[j] = kv + bound[j]
    return key, lo, hi


PARTS = 2  # selection passes split the columns in halves, one per core


@njit(cache=True, nogil=True)
def _kth_part(r, bound, mode, k, lo, hi, heap_v, heap_i):
    size = 0
    for j in range(lo, hi):
        v = r[j]
        low = -np.inf if np.isnan(v) else _key(v, mode) - bound[j]
        if size < k or low > heap_v[0]:
            size = _heap_push(heap_v, heap_i, size, k, low, j)
    return size


@njit(parallel=True, cache=True, nogil=True)
def kth_lower(r, bound, mode, k):
    """The k-th largest lower bound of the ranking key (see ``bounds``) over every column."""
    step = (r.size + PARTS - 1) // PARTS
    heap_v = np.full((PARTS, k), -np.inf)
    heap_i = np.zeros((PARTS, k), dtype=np.int64)
    for part in prange(PARTS):
        lo = part * step
        _kth_part(r, bound, mode, k, lo, min(lo + step, r.size), heap_v[part], heap_i[part])
    values = np.sort(heap_v.ravel())  # the unfilled slots are −inf
    return values[values.size - k] if r.size >= k else -np.inf


@njit(cache=True, nogil=True)
def reaching(r, bound, exact, mode, threshold):
    """Screened columns (not yet exact) whose upper bound reaches the threshold."""
    out = np.empty(r.size, dtype=np.int64)
    count = 0
    for j in range(r.size):
        if exact[j]:
            continue
        v = r[j]
        if np.isnan(v) or _key(v, mode) + bound[j] >= threshold:
            out[count] = j
            count += 1
    return out[:count]


@njit(cache=True, nogil=True)
def _family_part(r, bound, exact, n, min_overlap, signed, lo, hi, heap_v, heap_i):
    size = 0
    m = 0
    tail = heap_v.size
    for j in range(lo, hi):
        v = r[j]
        if not (np.isfinite(v) and n[j] >= min_overlap):
            continue
        m += 1
        if exact[j]:
            continue
        up = (v if signed else abs(v)) + bound[j]
        if size < tail or up > heap_v[0]:
            size = _heap_push(heap_v, heap_i, size, tail, up, j)
    return m, size


@njit(parallel=True, cache=True, nogil=True)
def fdr_family(r, bound, exact, n, min_overlap, signed, tail):
    """(m, tail columns): the size of the BH family (finite score, nGenes ≥ min_overlap) and
    the ``tail`` screened family columns of largest score upper bound (|r| + bound, or
    r + bound when ``signed``), which bound the smallest p-values not yet exact."""
    step = (r.size + PARTS - 1) // PARTS
    heap_v = np.empty((PARTS, tail))
    heap_i = np.empty((PARTS, tail), dtype=np.int64)
    counts = np.zeros(PARTS, dtype=np.int64)
    sizes = np.zeros(PARTS, dtype=np.int64)
    for part in prange(PARTS):
        lo = part * step
        counts[part], sizes[part] = _family_part(
            r, bound, exact, n, min_overlap, signed, lo, min(lo + step, r.size),
            heap_v[part], heap_i[part],
        )  # fmt: skip
    values = np.empty(sizes.sum())
    index = np.empty(sizes.sum(), dtype=np.int64)
    at = 0
    for part in range(PARTS):
        values[at : at + sizes[part]] = heap_v[part, : sizes[part]]
        index[at : at + sizes[part]] = heap_i[part, : sizes[part]]
        at += sizes[part]
    keep = np.argsort(-values, kind="mergesort")[:tail]
    return counts.sum(), index[keep]
