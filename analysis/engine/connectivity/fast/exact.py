"""Numba kernels that score chosen columns exactly and pick the rows of the fast path.

Exact kernels score chosen columns in float64 from the signature-major raw values (a complete
column's extreme score from its stored extreme values) with the reference definitions
(two-pass centred sums) of ``connectivity.metrics``; fewer than ``PARALLEL_FROM`` columns run
on one thread, more are split over both cores. Selection kernels make one pass over the
screened scores and their bounds (``score``) instead of a numpy expression per step: the k-th
best lower bound, the columns whose upper bound reaches it, and the screened columns that bound
the FDR's tail.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from analysis.engine.connectivity.fast.kernels import PEAK

PARALLEL_FROM = 64  # columns: fewer are scored on one thread (waking the pool costs more)


@njit(cache=True, nogil=True)
def _pearson(x: np.ndarray, y: np.ndarray, m: int) -> float:
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
def _weighted(x: np.ndarray, y: np.ndarray, w: np.ndarray, m: int) -> float:
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
def _pearson_one(
    logfc: np.ndarray, c: int, rows: np.ndarray, x: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> tuple[float, int]:
    m = 0
    for i in range(rows.size):
        v = logfc[c, rows[i]]
        if np.isfinite(v):
            xs[m] = x[i]
            ys[m] = v
            m += 1
    return _pearson(xs, ys, m), m


@njit(cache=True, nogil=True)
def _extreme_one(
    logfc: np.ndarray,
    pvalue: np.ndarray,
    ext_index: np.ndarray,
    c: int,
    rows: np.ndarray,
    x: np.ndarray,
    floor: float,
    kept: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
) -> tuple[float, int]:
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
def _weighted_one(
    logfc: np.ndarray,
    pvalue: np.ndarray,
    c: int,
    rows: np.ndarray,
    x: np.ndarray,
    a: np.ndarray,
    use_p: bool,
    floor: float,
    xs: np.ndarray,
    ys: np.ndarray,
    ws: np.ndarray,
) -> tuple[float, int]:
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
def _chunk_bounds(n_cols: int, serial_below: int = PARALLEL_FROM) -> tuple[int, int]:
    chunks = 1 if n_cols < serial_below else 8
    return chunks, (n_cols + chunks - 1) // chunks


@njit(parallel=True, cache=True, nogil=True)
def exact_pearson(
    logfc: np.ndarray, cols: np.ndarray, rows: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
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
def exact_extreme(
    logfc: np.ndarray,
    pvalue: np.ndarray,
    ext_index: np.ndarray,
    cols: np.ndarray,
    rows: np.ndarray,
    x: np.ndarray,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
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


@njit(cache=True, nogil=True)
def _extreme_complete_one(
    ext_value: np.ndarray,
    ext_index: np.ndarray,
    c: int,
    xfull: np.ndarray,
    mx: float,
    sxx: float,
    s_all: float,
    n: int,
) -> float:
    """Pearson of the query extreme vector with complete column c's, reading only the
    column's kept genes and their stored values: y is 0 elsewhere, so with my = Σ_K y / n the
    centred sums are Σ(y − my)² = Σ_K (y − my)² + (n − |K|)·my² and Σ(x − mx)(y − my) =
    Σ_K (x − mx)(y − my) − my·Σ_{∉K} (x − mx): the two-pass sums, term for term."""
    k = 0
    sy = 0.0
    for t in range(ext_index.shape[1]):
        if ext_index[c, t] >= 0:
            sy += ext_value[c, t]
            k += 1
    my = sy / n
    syy = (n - k) * my * my
    sxy = 0.0
    s_kept = 0.0
    for t in range(ext_index.shape[1]):
        g = ext_index[c, t]
        if g >= 0:
            dy = ext_value[c, t] - my
            dx = xfull[g] - mx
            syy += dy * dy
            sxy += dx * dy
            s_kept += dx
    sxy -= my * (s_all - s_kept)
    if n < 3 or sxx == 0.0 or syy == 0.0:
        return np.nan
    return min(1.0, max(-1.0, sxy / np.sqrt(sxx * syy)))


SERIAL_EXTREME = 1024  # complete columns cheaper to score on one thread than to wake the pool


@njit(parallel=True, cache=True, nogil=True)
def exact_extreme_complete(
    ext_value: np.ndarray, ext_index: np.ndarray, cols: np.ndarray, xfull: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``exact_extreme`` for columns without missing values and a query over every gene
    (xfull: the query's extreme value at each library row): each column's 200 stored extreme
    values (``ext_value``, contiguous), not its raw logFC and p-value rows."""
    n = xfull.size
    mx = xfull.sum() / n
    sxx = 0.0
    s_all = 0.0
    for g in range(n):
        sxx += (xfull[g] - mx) * (xfull[g] - mx)
        s_all += xfull[g] - mx
    r = np.empty(cols.size)
    chunks, size = _chunk_bounds(cols.size, SERIAL_EXTREME)
    for part in prange(chunks):
        for k in range(part * size, min((part + 1) * size, cols.size)):
            r[k] = _extreme_complete_one(ext_value, ext_index, cols[k], xfull, mx, sxx, s_all, n)
    return r, np.full(cols.size, n, dtype=np.int64)


@njit(parallel=True, cache=True, nogil=True)
def exact_weighted(
    logfc: np.ndarray,
    pvalue: np.ndarray,
    cols: np.ndarray,
    rows: np.ndarray,
    x: np.ndarray,
    a: np.ndarray,
    use_p: bool,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
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
def _key(v: float, mode: int) -> float:
    return abs(v) if mode == 0 else (v if mode == 1 else -v)


@njit(cache=True, nogil=True)
def _fdr_upper(v: float, b: float, signed: bool) -> float:
    """Upper bound of the score that orders p-values: r + bound (signed, randomset z) or
    |r| + bound."""
    return (v if signed else abs(v)) + b


@njit(cache=True, nogil=True)
def _in_tail(
    v: float, b: float, done: bool, n_j: int, min_overlap: int, signed: bool, t_fdr: float
) -> bool:
    """Whether a column is a candidate of the FDR's tail: in the family (finite score, enough
    genes), not re-scored yet, and its FDR upper key reaching t_fdr."""
    return not done and np.isfinite(v) and n_j >= min_overlap and _fdr_upper(v, b, signed) >= t_fdr


@njit(cache=True, nogil=True)
def bounds(
    r: np.ndarray, bound: np.ndarray, exact: np.ndarray, mode: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


@njit(cache=True, nogil=True)
def _at_least(values: np.ndarray, threshold: float) -> np.ndarray:
    count = 0
    for j in range(values.size):
        count += values[j] >= threshold
    out = np.empty(count, dtype=np.int64)
    at = 0
    for j in range(values.size):
        if values[j] >= threshold:
            out[at] = j
            at += 1
    return out


@njit(cache=True, nogil=True)
def largest(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, in no particular order; −inf values never count.

    A threshold from a strided sample of ~4,000 values keeps ~2k candidates in one pass,
    and quickselect trims them to k: O(S) without a heap (a size-1,024 heap costs ~3 ns a
    column on random order). When the sample misjudges, the whole array is selected.
    """
    n = values.size
    k = min(k, n)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    step = max(1, n // 4096)
    cand = np.zeros(0, dtype=np.int64)
    if k * 8 < n and step > 1:
        sample = values[::step].copy()
        rank = min(sample.size - 1, 2 * k // step + 8)
        cand = _at_least(
            values, np.partition(sample, sample.size - 1 - rank)[sample.size - 1 - rank]
        )
    if cand.size < k:
        cand = np.arange(n)
    picked = values[cand]
    kth = np.partition(picked, picked.size - k)[picked.size - k]
    out = np.empty(k, dtype=np.int64)
    at = 0
    for i in range(cand.size):  # strictly above the k-th value, then ties up to k
        if picked[i] > kth:
            out[at] = cand[i]
            at += 1
    for i in range(cand.size):
        if at < k and picked[i] == kth:
            out[at] = cand[i]
            at += 1
    out = out[:at]
    return out[values[out] > -np.inf]


@njit(cache=True, nogil=True)
def kth_lower(r: np.ndarray, bound: np.ndarray, mode: int, k: int) -> float:
    """The k-th largest lower bound of the ranking key (see ``bounds``) over every column
    (−inf when fewer than k are finite)."""
    low = np.empty(r.size)
    for j in range(r.size):
        v = r[j]
        low[j] = _key(v, mode) - bound[j] if not np.isnan(v) else -np.inf
    top = largest(low, k)
    return low[top].min() if top.size == k else -np.inf


@njit(cache=True, nogil=True)
def reaching(
    r: np.ndarray, bound: np.ndarray, exact: np.ndarray, mode: int, threshold: float
) -> np.ndarray:
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


SAMPLE = 4096  # strided sample of columns that sets the thresholds of ``one_pass``
CHUNKS = 8  # parts of ``one_pass`` (over both cores)


@njit(cache=True, nogil=True)
def _pass_thresholds(
    r: np.ndarray,
    bound: np.ndarray,
    exact: np.ndarray,
    n: np.ndarray,
    mode: int,
    min_overlap: int,
    signed: bool,
    k: int,
    tail: int,
) -> tuple[float, float]:
    """(t_low, t_fdr) from a strided sample of the columns: about 2k columns have a lower
    key ≥ t_low and about 4·(tail + k) not-exact family columns an FDR upper key ≥ t_fdr
    (the k re-scored rows and more leave the FDR's candidates before it reads them)."""
    step = max(1, r.size // SAMPLE)
    size = (r.size + step - 1) // step
    low = np.empty(size)
    up = np.empty(size)
    for i in range(size):
        j = i * step
        v = r[j]
        low[i] = _key(v, mode) - bound[j] if not np.isnan(v) else -np.inf
        family = np.isfinite(v) and n[j] >= min_overlap and not exact[j]
        up[i] = _fdr_upper(v, bound[j], signed) if family else -np.inf
    at_k = size - 1 - min(size - 1, 2 * k // step + 8)
    at_f = size - 1 - min(size - 1, 4 * (tail + k) // step + 8)
    return np.partition(low, at_k)[at_k], np.partition(up, at_f)[at_f]


CAPACITY = 1024  # finds of each kind per part of ``_one_pass``


@njit(parallel=True, cache=True, nogil=True)
def _one_pass(
    r: np.ndarray,
    bound: np.ndarray,
    exact: np.ndarray,
    n: np.ndarray,
    peak: np.ndarray,
    mode: int,
    min_overlap: int,
    signed: bool,
    t_low: float,
    t_fdr: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Columns whose lower key ≥ t_low (with those keys), screened columns whose upper key
    reaches t_low or whose score is NaN, and not-exact family columns whose FDR upper key
    ≥ t_fdr, in one pass: each of CHUNKS parts keeps up to CAPACITY of each (counts past it
    mean the thresholds were too low). Every key is at most |r| + bound, so a block of
    columns whose peak (``kernels._tile_peaks``) is below both thresholds is skipped
    unread."""
    size = r.size
    width = ((size + CHUNKS - 1) // CHUNKS + PEAK - 1) // PEAK * PEAK  # whole blocks
    threshold = min(t_low, t_fdr)
    low = np.empty((CHUNKS, CAPACITY), dtype=np.int64)
    low_key = np.empty((CHUNKS, CAPACITY))
    reach = np.empty((CHUNKS, CAPACITY), dtype=np.int64)
    tail = np.empty((CHUNKS, CAPACITY), dtype=np.int64)
    counts = np.zeros((CHUNKS, 3), dtype=np.int64)
    for c in prange(CHUNKS):
        start = c * width
        stop = min(start + width, size)
        n_low = n_reach = n_tail = 0
        for block in range(start, stop, PEAK):
            top = peak[block // PEAK]
            if top < threshold:
                continue
            end = min(block + PEAK, stop)
            rs, bs, es, ns = r[block:end], bound[block:end], exact[block:end], n[block:end]
            if max(n_low, n_reach, n_tail) + PEAK > CAPACITY:
                n_low = n_reach = n_tail = CAPACITY + 1  # full: the caller falls back
                break
            if top < t_low:  # every key below t_low (and no NaN): only the FDR's tail
                for i in range(rs.size):
                    if _in_tail(rs[i], bs[i], es[i], ns[i], min_overlap, signed, t_fdr):
                        tail[c, n_tail] = block + i
                        n_tail += 1
                continue
            for i in range(rs.size):
                v, b, done = rs[i], bs[i], es[i]
                if np.isnan(v):
                    if not done:
                        reach[c, n_reach] = block + i
                        n_reach += 1
                    continue
                kv = _key(v, mode)
                if kv - b >= t_low:
                    low[c, n_low] = block + i
                    low_key[c, n_low] = kv - b
                    n_low += 1
                if done:
                    continue
                if kv + b >= t_low:
                    reach[c, n_reach] = block + i
                    n_reach += 1
                if _in_tail(v, b, done, ns[i], min_overlap, signed, t_fdr):
                    tail[c, n_tail] = block + i
                    n_tail += 1
        counts[c, 0], counts[c, 1], counts[c, 2] = n_low, n_reach, n_tail
    return low, low_key, reach, tail, counts


@njit(cache=True, nogil=True)
def _gather(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    out = np.empty(counts.sum(), dtype=values.dtype)
    at = 0
    for c in range(counts.size):
        out[at : at + counts[c]] = values[c, : counts[c]]
        at += counts[c]
    return out


@njit(cache=True, nogil=True)
def select(
    r: np.ndarray,
    bound: np.ndarray,
    exact: np.ndarray,
    n: np.ndarray,
    peak: np.ndarray,
    mode: int,
    k: int,
    min_overlap: int,
    signed: bool,
    tail: int,
) -> tuple[bool, float, np.ndarray, np.ndarray]:
    """``kth_lower`` and ``reaching`` in one pass over the columns (both cores), plus the
    candidates of the FDR's tail (``fdr_family``'s columns once the re-scored ones leave:
    ``fdr_tail``); peak: the screen's block peaks, +inf for blocks changed since. Thresholds
    come from a strided sample; ok=False when the sample misjudged (fewer than k columns past
    its threshold, or too many): then use the separate passes."""
    t_low, t_fdr = _pass_thresholds(r, bound, exact, n, mode, min_overlap, signed, k, tail)
    none = np.zeros(0, dtype=np.int64)
    if not t_low > -np.inf:
        return False, -np.inf, none, none
    low, low_key, reach, tail_cols, counts = _one_pass(
        r, bound, exact, n, peak, mode, min_overlap, signed, t_low, t_fdr
    )
    if counts.max() > CAPACITY:
        return False, -np.inf, none, none
    keys = _gather(low_key, counts[:, 0].copy())
    if keys.size < k:
        return False, -np.inf, none, none
    kth = np.partition(keys, keys.size - k)[keys.size - k]
    reach = _gather(reach, counts[:, 1].copy())
    keep = np.empty(reach.size, dtype=np.bool_)
    for i in range(reach.size):
        v = r[reach[i]]
        keep[i] = np.isnan(v) or _key(v, mode) + bound[reach[i]] >= kth
    return True, kth, reach[keep], _gather(tail_cols, counts[:, 2].copy())


@njit(cache=True, nogil=True)
def fdr_tail(
    r: np.ndarray, bound: np.ndarray, exact: np.ndarray, cols: np.ndarray, signed: bool, tail: int
) -> np.ndarray:
    """``fdr_family``'s tail columns from candidates ``cols`` (every not-exact family column
    whose FDR upper key reaches a threshold, from ``select``): the ``tail`` of largest upper
    key among those still screened; none when fewer than ``tail`` are left (the largest
    ones may then lie below the threshold: empty)."""
    left = cols[~exact[cols]]
    if left.size < tail:
        return left[:0]
    up = np.empty(left.size)
    for i in range(left.size):
        up[i] = _fdr_upper(r[left[i]], bound[left[i]], signed)
    return left[largest(up, tail)]


@njit(cache=True, nogil=True)
def family_size(r: np.ndarray, n: np.ndarray, min_overlap: int) -> int:
    """The BH family's size: columns with a finite score and nGenes ≥ min_overlap (one
    vectorised pass: cheaper than waking the other core)."""
    m = 0
    for j in range(r.size):
        m += np.isfinite(r[j]) and n[j] >= min_overlap
    return m


@njit(cache=True, nogil=True)
def fdr_family(
    r: np.ndarray,
    bound: np.ndarray,
    exact: np.ndarray,
    n: np.ndarray,
    min_overlap: int,
    signed: bool,
    tail: int,
) -> tuple[int, np.ndarray]:
    """(m, tail columns): the size of the BH family (finite score, nGenes ≥ min_overlap) and
    the ``tail`` screened family columns of largest score upper bound (|r| + bound, or
    r + bound when ``signed``), which bound the smallest p-values not yet exact."""
    up = np.empty(r.size)
    m = 0
    for j in range(r.size):
        v = r[j]
        family = np.isfinite(v) and n[j] >= min_overlap
        m += family
        up[j] = _fdr_upper(v, bound[j], signed) if family and not exact[j] else -np.inf
    return m, largest(up, tail)


@njit(cache=True, nogil=True)
def upper_counts(
    r: np.ndarray, bound: np.ndarray, exact: np.ndarray, n: np.ndarray, min_overlap: int, bins: int
) -> np.ndarray:
    """Counts of the screened family columns' unsigned score upper bounds |r| + bound in
    ``bins`` equal bins of [0, 1] (1 and above, inf included, in the last). Each column's bin
    first, without a branch (vectorised; other columns go to an extra bin), then the counts:
    1.6× faster than one branching loop."""
    at = np.empty(r.size, dtype=np.int32)
    for j in range(r.size):
        v = r[j]
        family = not exact[j] and np.isfinite(v) and n[j] >= min_overlap
        b = min(np.int32(min(abs(v) + bound[j], 1.0) * bins), bins - 1)
        at[j] = b if family else bins  # type: ignore[assignment]  # min(int32, int): numba's int
    counts = np.zeros(bins + 1, dtype=np.int64)
    for j in range(at.size):
        counts[at[j]] += 1
    return counts[:bins]
