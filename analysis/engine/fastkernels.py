"""Numba kernels of the fast connectivity path (``analysis.engine.fastconn``).

Screening kernels read gene rows of int8 gene-major layouts (G, S) and accumulate, per library
column, float32 sums; they run over blocks of ``BLOCK`` columns in parallel (both cores), so
each block's accumulators stay in cache while the rows stream from memory. Exact kernels
score chosen columns in float64 from the signature-major raw values with the reference
definitions (two-pass centred sums) of ``analysis.engine.connectivity``; they run on one
thread: a few hundred columns take under a millisecond, less than waking a thread pool on a
busy machine.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

BLOCK = 4096


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def dot_rows(codes, rows, w):
    """Σ_i w_i · codes[rows_i, j] for every column j (float32 accumulation)."""
    n_sig = codes.shape[1]
    out = np.empty(n_sig, dtype=np.float32)
    for blk in prange((n_sig + BLOCK - 1) // BLOCK):
        lo = blk * BLOCK
        hi = min(n_sig, lo + BLOCK)
        acc = np.zeros(hi - lo, dtype=np.float32)
        for i in range(rows.size):
            row = codes[rows[i], lo:hi]
            wi = w[i]
            for j in range(hi - lo):
                acc[j] += wi * np.float32(row[j])
        out[lo:hi] = acc
    return out


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def moments_rows(codes, rows, x):
    """(Σ x_i c, Σ c, Σ c²) over rows i of codes c, per column; the last two exact (int32)."""
    n_sig = codes.shape[1]
    s1 = np.empty(n_sig, dtype=np.float32)
    s2 = np.empty(n_sig, dtype=np.int32)
    s3 = np.empty(n_sig, dtype=np.int32)
    for blk in prange((n_sig + BLOCK - 1) // BLOCK):
        lo = blk * BLOCK
        hi = min(n_sig, lo + BLOCK)
        a1 = np.zeros(hi - lo, dtype=np.float32)
        a2 = np.zeros(hi - lo, dtype=np.int32)
        a3 = np.zeros(hi - lo, dtype=np.int32)
        for i in range(rows.size):
            row = codes[rows[i], lo:hi]
            xi = x[i]
            for j in range(hi - lo):
                c = np.int32(row[j])
                a1[j] += xi * np.float32(c)
                a2[j] += c
                a3[j] += c * c
        s1[lo:hi] = a1
        s2[lo:hi] = a2
        s3[lo:hi] = a3
    return s1, s2, s3


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def weighted_rows(ycodes, bcodes, rows, x, a):
    """The nine per-column sums of the weighted metric over rows i, in code units (9, S).

    With y = sy·cy, b = sb·cb and w = a + b: Σcb, Σx·cb, Σx²·cb, Σa·cy, Σcb·cy, Σa·cy²,
    Σcb·cy², Σa·x·cy, Σx·cb·cy.
    """
    n_sig = ycodes.shape[1]
    out = np.empty((9, n_sig), dtype=np.float32)
    for blk in prange((n_sig + BLOCK - 1) // BLOCK):
        lo = blk * BLOCK
        hi = min(n_sig, lo + BLOCK)
        acc = np.zeros((9, hi - lo), dtype=np.float32)
        for i in range(rows.size):
            yr = ycodes[rows[i], lo:hi]
            br = bcodes[rows[i], lo:hi]
            xi, ai = x[i], a[i]
            xx, ax = xi * xi, ai * xi
            for j in range(hi - lo):
                cy = np.float32(yr[j])
                cb = np.float32(br[j])
                by = cb * cy
                acc[0, j] += cb
                acc[1, j] += xi * cb
                acc[2, j] += xx * cb
                acc[3, j] += ai * cy
                acc[4, j] += by
                acc[5, j] += ai * cy * cy
                acc[6, j] += by * cy
                acc[7, j] += ax * cy
                acc[8, j] += xi * by
        out[:, lo:hi] = acc
    return out


@njit(cache=True)
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


@njit(cache=True, nogil=True)
def exact_pearson(logfc, cols, rows, x):
    """Pearson of x with logfc[c, rows] over the finite values, for each column c (float64)."""
    r = np.empty(cols.size)
    n = np.empty(cols.size, dtype=np.int64)
    for k in range(cols.size):
        xs = np.empty(rows.size)
        ys = np.empty(rows.size)
        m = 0
        for i in range(rows.size):
            v = logfc[cols[k], rows[i]]
            if np.isfinite(v):
                xs[m] = x[i]
                ys[m] = v
                m += 1
        r[k] = _pearson(xs, ys, m)
        n[k] = m
    return r, n


@njit(cache=True, nogil=True)
def exact_extreme(logfc, pvalue, ext_index, cols, rows, x, floor):
    """Pearson of the query extreme vector x with each column's extreme vector (float64).

    A column's vector is s = sign(logFC)·(−log10 max(p, floor)) on the genes listed in its
    ``ext_index`` row, 0 on its other finite genes, missing where logFC or p is NaN.
    """
    n_genes = logfc.shape[1]
    r = np.empty(cols.size)
    n = np.empty(cols.size, dtype=np.int64)
    for k in range(cols.size):
        c = cols[k]
        kept = np.zeros(n_genes, dtype=np.bool_)
        for t in range(ext_index.shape[1]):
            if ext_index[c, t] >= 0:
                kept[ext_index[c, t]] = True
        xs = np.empty(rows.size)
        ys = np.empty(rows.size)
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
        r[k] = _pearson(xs, ys, m)
        n[k] = m
    return r, n


@njit(cache=True, nogil=True)
def exact_weighted(logfc, pvalue, cols, rows, x, a, use_p, floor):
    """Weighted Pearson, w = a + (−log10 max(p_lib, floor)) when use_p, per column (float64)."""
    r = np.empty(cols.size)
    n = np.empty(cols.size, dtype=np.int64)
    for k in range(cols.size):
        c = cols[k]
        xs = np.empty(rows.size)
        ys = np.empty(rows.size)
        ws = np.empty(rows.size)
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
        n[k] = m
        r[k] = _weighted(xs, ys, ws, m)
    return r, n


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
def top_indices(values, mask, k):
    """Indices of the k largest values[j] with mask[j] (any order; fewer if fewer qualify).

    One pass with a size-k min-heap: after the first k, most values are rejected by one
    comparison with the heap's minimum.
    """
    heap_v = np.empty(k)
    heap_i = np.empty(k, dtype=np.int64)
    size = 0
    for j in range(values.size):
        if not mask[j]:
            continue
        v = values[j]
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
    return heap_i[:size]


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
        kv = abs(v) if mode == 0 else (v if mode == 1 else -v)
        key[j] = kv
        lo[j] = kv - bound[j]
        hi[j] = kv + bound[j]
    return key, lo, hi


EPS32 = 2.0**-24


@njit(cache=True, nogil=True)
def finish_partial(s1, s2, s3, scale, err, n, nx, xmax):
    """Screened Pearson and its bound from ``moments_rows`` sums (see fastconn)."""
    size = s1.size
    r = np.empty(size)
    bound = np.empty(size)
    root_n = np.sqrt(n)
    for j in range(size):
        q2 = np.float64(s2[j])
        q3 = np.float64(s3[j])
        v = q3 - q2 * q2 / n
        sd = scale[j] * np.sqrt(v) if v > 0 else 0.0
        if sd > 0 and nx > 0:
            r[j] = min(1.0, max(-1.0, scale[j] * s1[j] / (nx * sd)))
            resid = min(err[j], root_n * scale[j] / 2)
            rounding = (n + 2) * EPS32 * scale[j] * np.sqrt(q3) * xmax * root_n / nx
            bound[j] = (2 * resid + rounding) / sd
        else:
            r[j] = np.nan
            bound[j] = np.inf
    return r, bound


@njit(cache=True, nogil=True)
def finish_full(s1, scale, err, total, squares, sx, vx, n, nx, n_nonzero):
    """Screened Pearson over every gene (exact column moments) and its bound (see fastconn)."""
    size = s1.size
    r = np.empty(size)
    bound = np.empty(size)
    root = np.sqrt(n_nonzero)
    for j in range(size):
        vy = squares[j] - total[j] * total[j] / n
        den = np.sqrt(vx * vy) if vy > 0 and vx > 0 else 0.0
        if den > 0:
            r[j] = min(1.0, max(-1.0, (scale[j] * s1[j] - sx * total[j] / n) / den))
            resid = nx * min(err[j], root * scale[j] / 2)
            rounding = (n_nonzero + 2) * EPS32 * nx * (np.sqrt(squares[j]) + err[j])
            bound[j] = (resid + rounding) / den
        else:
            r[j] = np.nan
            bound[j] = np.inf
    return r, bound
