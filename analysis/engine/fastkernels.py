"""Numba kernels of the fast connectivity path (``analysis.engine.fastconn``).

Screening kernels read int8 *tiled* gene-major layouts, shape (n_tiles, G, T): tile t holds
columns t·T … t·T + T − 1 of every gene, contiguously, so a scan over all genes streams
through memory (a plain (G, S) layout would jump to a new page for every gene row and defeat
the hardware prefetcher: 3× slower here). They accumulate float32 sums per column, one tile
per task in parallel (both cores), the tile's accumulators staying in L1. Exact kernels
score chosen columns in float64 from the signature-major raw values with the reference
definitions (two-pass centred sums) of ``analysis.engine.connectivity``; they run on one
thread: a few hundred columns take under a millisecond, less than waking a thread pool on a
busy machine.
"""

from __future__ import annotations

import llvmlite.binding as llvm
import numpy as np
from numba import njit, prange

# Kernels with several accumulators need more runtime alias checks than LLVM's default (8)
# allows before it gives up vectorising the inner loop.
llvm.set_option("", "-runtime-memory-check-threshold=128")


@njit(fastmath=True, nogil=True, cache=True)
def _axpy(row, w, acc):
    for j in range(acc.size):
        acc[j] += w * np.float32(row[j])


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def dot_rows(tiles, rows, w, n_sig):
    """Σ_i w_i · code[rows_i, j] for every column j (float32 accumulation)."""
    width = tiles.shape[2]
    out = np.empty(n_sig, dtype=np.float32)
    for t in prange(tiles.shape[0]):
        m = min(width, n_sig - t * width)
        acc = np.zeros(m, dtype=np.float32)
        for i in range(rows.size):
            _axpy(tiles[t, rows[i]], w[i], acc)
        out[t * width : t * width + m] = acc
    return out


@njit(fastmath=True, nogil=True, cache=True)
def _moments(row, xi, a1, a2, a3):
    for j in range(a1.size):
        c = np.int32(row[j])
        a1[j] += xi * np.float32(c)
        a2[j] += c
        a3[j] += c * c


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def moments_rows(tiles, rows, x, n_sig):
    """(Σ x_i c, Σ c, Σ c²) over rows i of codes c, per column; the last two exact (int32)."""
    width = tiles.shape[2]
    s1 = np.empty(n_sig, dtype=np.float32)
    s2 = np.empty(n_sig, dtype=np.int32)
    s3 = np.empty(n_sig, dtype=np.int32)
    for t in prange(tiles.shape[0]):
        lo = t * width
        m = min(width, n_sig - lo)
        a1 = np.zeros(m, dtype=np.float32)
        a2 = np.zeros(m, dtype=np.int32)
        a3 = np.zeros(m, dtype=np.int32)
        for i in range(rows.size):
            _moments(tiles[t, rows[i]], x[i], a1, a2, a3)
        s1[lo : lo + m] = a1
        s2[lo : lo + m] = a2
        s3[lo : lo + m] = a3
    return s1, s2, s3


@njit(fastmath=True, nogil=True, cache=True)
def _weighted9(yr, br, xi, ai, acc):
    xx, ax = xi * xi, ai * xi
    for j in range(acc.shape[1]):
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


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def weighted_rows(ytiles, btiles, rows, x, a, n_sig):
    """The nine per-column sums of the weighted metric over rows i, in code units (9, S).

    With y = sy·cy, b = sb·cb and w = a + b: Σcb, Σx·cb, Σx²·cb, Σa·cy, Σcb·cy, Σa·cy²,
    Σcb·cy², Σa·x·cy, Σx·cb·cy.
    """
    width = ytiles.shape[2]
    out = np.empty((9, n_sig), dtype=np.float32)
    for t in prange(ytiles.shape[0]):
        lo = t * width
        m = min(width, n_sig - lo)
        acc = np.zeros((9, m), dtype=np.float32)
        for i in range(rows.size):
            _weighted9(ytiles[t, rows[i]], btiles[t, rows[i]], x[i], a[i], acc)
        out[:, lo : lo + m] = acc
    return out


@njit(fastmath=True, nogil=True, cache=True)
def _query3(row, ai, axi, s0, s1, s2):
    for j in range(s0.size):
        cy = np.float32(row[j])
        t = ai * cy
        s0[j] += t
        s1[j] += t * cy
        s2[j] += axi * cy


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def query_weighted_rows(ytiles, rows, a, ax, n_sig):
    """(Σ a·cy, Σ a·cy², Σ a·x·cy) over rows i per column (3, S): the query-weight terms."""
    width = ytiles.shape[2]
    out = np.empty((3, n_sig), dtype=np.float32)
    for t in prange(ytiles.shape[0]):
        lo = t * width
        m = min(width, n_sig - lo)
        s0 = np.zeros(m, dtype=np.float32)
        s1 = np.zeros(m, dtype=np.float32)
        s2 = np.zeros(m, dtype=np.float32)
        for i in range(rows.size):
            _query3(ytiles[t, rows[i]], a[i], ax[i], s0, s1, s2)
        out[0, lo : lo + m] = s0
        out[1, lo : lo + m] = s1
        out[2, lo : lo + m] = s2
    return out


@njit(fastmath=True, nogil=True, cache=True)
def _library3(brow, yrow, xi, xxi, s0, s1, s2):
    for j in range(s0.size):
        cb = np.float32(brow[j])
        s0[j] += xi * cb
        s1[j] += xxi * cb
        s2[j] += xi * cb * np.float32(yrow[j])


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def library_weighted_rows(btiles, ytiles, rows, x, xx, n_sig):
    """(Σ x·cb, Σ x²·cb, Σ x·cb·cy) over rows i per column (3, S): the library-weight terms."""
    width = btiles.shape[2]
    out = np.empty((3, n_sig), dtype=np.float32)
    for t in prange(btiles.shape[0]):
        lo = t * width
        m = min(width, n_sig - lo)
        s0 = np.zeros(m, dtype=np.float32)
        s1 = np.zeros(m, dtype=np.float32)
        s2 = np.zeros(m, dtype=np.float32)
        for i in range(rows.size):
            _library3(btiles[t, rows[i]], ytiles[t, rows[i]], x[i], xx[i], s0, s1, s2)
        out[0, lo : lo + m] = s0
        out[1, lo : lo + m] = s1
        out[2, lo : lo + m] = s2
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


@njit(cache=True, nogil=True)
def finish_weighted(o0, o1, o2, o3, o4, o5, o6, o7, o8, sy, sb, sums, n, sigmas):
    """Screened weighted Pearson and its statistical bound from the nine code sums (fastconn).

    sums = (Σa, Σa·x, Σa·x², max a) of the query weights over the rows used.
    """
    size = o0.size
    r = np.empty(size)
    bound = np.empty(size)
    a_sum, ax_sum, axx_sum, a_max = sums[0], sums[1], sums[2], sums[3]
    for j in range(size):
        sw = a_sum + sb[j] * o0[j]
        swx = ax_sum + sb[j] * o1[j]
        swxx = axx_sum + sb[j] * o2[j]
        swy = sy[j] * (o3[j] + sb[j] * o4[j])
        swyy = sy[j] * sy[j] * (o5[j] + sb[j] * o6[j])
        swxy = sy[j] * (o7[j] + sb[j] * o8[j])
        if not sw > 0:
            r[j], bound[j] = np.nan, np.inf
            continue
        vx = swxx - swx * swx / sw
        vy = swyy - swy * swy / sw
        if not (vx > 0 and vy > 0):
            r[j], bound[j] = np.nan, np.inf
            continue
        rj = (swxy - swx * swy / sw) / np.sqrt(vx * vy)
        ra = abs(rj)
        w_max = a_max + 127 * sb[j]
        sd = sy[j] * np.sqrt(w_max * max(1 - rj * rj, 0.0) / vy)
        sd += sb[j] * np.sqrt(3 * n) * (1 + ra) / sw
        r[j] = rj
        bound[j] = sigmas * sd / np.sqrt(12.0) + 8 * (n + 2) * EPS32 * (1 + ra)
    return r, bound


@njit(parallel=True, cache=True, nogil=True)
def rows_top_k(r, k, first_column):
    """Per row of r (B, S): the k largest and the k smallest entries (self = column
    first_column + row excluded), sorted; one pass per row with size-k heaps, both cores."""
    n_rows, n_cols = r.shape
    pos_i = np.empty((n_rows, k), dtype=np.int32)
    pos_v = np.empty((n_rows, k), dtype=np.float32)
    neg_i = np.empty((n_rows, k), dtype=np.int32)
    neg_v = np.empty((n_rows, k), dtype=np.float32)
    for i in prange(n_rows):
        row = r[i]
        mask = np.ones(n_cols, dtype=np.bool_)
        mask[first_column + i] = False
        up = top_indices(row, mask, k)
        down = top_indices(-row, mask, k)
        up = up[np.argsort(-row[up], kind="mergesort")]
        down = down[np.argsort(row[down], kind="mergesort")]
        for t in range(k):
            pos_i[i, t], pos_v[i, t] = up[t], row[up[t]]
            neg_i[i, t], neg_v[i, t] = down[t], row[down[t]]
    return pos_i, pos_v, neg_i, neg_v
