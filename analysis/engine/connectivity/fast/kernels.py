"""Numba screening kernels of the fast connectivity path (``score``).

They read int8 *tiled* gene-major layouts, shape (n_tiles, G, T): tile t holds columns
t·T … t·T + T − 1 of every gene, contiguously, so a scan over all genes streams through
memory (a plain (G, S) layout would jump to a new page for every gene row and defeat the
hardware prefetcher: 3× slower here). One tile per task, in parallel (both cores); the tile's
float32 accumulators stay in L1/L2, four or eight gene rows are swept together (as many memory
streams in flight and a fraction of the accumulator traffic: 1.9× faster than one row at a
time on ~200 scattered rows), and each tile is finished in place: its screened scores and their
error bounds (float64, see ``score``) are written while its sums are still in cache, so no
per-column intermediate array crosses memory.

The accumulation helpers are fast-math (contraction and reassociation let LLVM vectorise the
int8 → float32 multiply-adds); the finishing helpers are not (they test for NaN and zero).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# Process settings the kernels want (the OpenMP wait policy, an LLVM vectoriser option) are
# applied by ``analysis.engine.configure()``, not here: importing never changes the process.

FAST = {"contract", "reassoc", "nsz", "arcp"}  # fast-math without "no NaNs / no infs"
EPS32 = 2.0**-24  # float32 unit round-off
HALF_UP = 0.5 * (1 + 2.0**-22)  # 1/2, times a float32 scale: rounded up
PEAK = 32  # columns per block of the screened peaks (a tile of 4,096 holds 128 blocks)


# --- accumulation: sums over gene rows of one tile, four rows per sweep ---------------------


@njit(fastmath=FAST, nogil=True, cache=True)
def _acc_dot(tile: np.ndarray, rows: np.ndarray, w: np.ndarray, acc: np.ndarray) -> None:
    """acc[j] += Σ_i w_i · tile[rows_i, j], eight rows per sweep."""
    nr = rows.size
    i = 0
    while i + 8 <= nr:
        r0, r1, r2, r3 = tile[rows[i]], tile[rows[i + 1]], tile[rows[i + 2]], tile[rows[i + 3]]
        r4, r5 = tile[rows[i + 4]], tile[rows[i + 5]]
        r6, r7 = tile[rows[i + 6]], tile[rows[i + 7]]
        w0, w1, w2, w3 = w[i], w[i + 1], w[i + 2], w[i + 3]
        w4, w5, w6, w7 = w[i + 4], w[i + 5], w[i + 6], w[i + 7]
        for j in range(acc.size):
            acc[j] += (
                (w0 * np.float32(r0[j]) + w1 * np.float32(r1[j]))
                + (w2 * np.float32(r2[j]) + w3 * np.float32(r3[j]))
            ) + (
                (w4 * np.float32(r4[j]) + w5 * np.float32(r5[j]))
                + (w6 * np.float32(r6[j]) + w7 * np.float32(r7[j]))
            )
        i += 8
    for k in range(i, nr):
        r0, w0 = tile[rows[k]], w[k]
        for j in range(acc.size):
            acc[j] += w0 * np.float32(r0[j])


@njit(fastmath=FAST, nogil=True, cache=True)
def _acc_moments(
    tile: np.ndarray,
    rows: np.ndarray,
    x: np.ndarray,
    a1: np.ndarray,
    a2: np.ndarray,
    a3: np.ndarray,
) -> None:
    """a1 += Σ x_i·c, a2 += Σ c, a3 += Σ c² over rows i of codes c (a2, a3 exact int32)."""
    nr = rows.size
    i = 0
    while i + 4 <= nr:
        r0, r1, r2, r3 = tile[rows[i]], tile[rows[i + 1]], tile[rows[i + 2]], tile[rows[i + 3]]
        x0, x1, x2, x3 = x[i], x[i + 1], x[i + 2], x[i + 3]
        for j in range(a1.size):
            c0, c1 = np.int32(r0[j]), np.int32(r1[j])
            c2, c3 = np.int32(r2[j]), np.int32(r3[j])
            a1[j] += (x0 * np.float32(c0) + x1 * np.float32(c1)) + (
                x2 * np.float32(c2) + x3 * np.float32(c3)
            )
            a2[j] += (c0 + c1) + (c2 + c3)
            a3[j] += (c0 * c0 + c1 * c1) + (c2 * c2 + c3 * c3)
        i += 4
    while i < nr:
        r0, x0 = tile[rows[i]], x[i]
        for j in range(a1.size):
            c0 = np.int32(r0[j])
            a1[j] += x0 * np.float32(c0)
            a2[j] += c0
            a3[j] += c0 * c0
        i += 1


@njit(fastmath=FAST, nogil=True, cache=True)
def _acc_counts(tile: np.ndarray, rows: np.ndarray, total: np.ndarray, squares: np.ndarray) -> None:
    """total += Σ c, squares += Σ c² over rows (exact integers; total may be int16 when
    127·len(rows) fits), eight rows per sweep."""
    nr = rows.size
    i = 0
    while i + 8 <= nr:
        r0, r1, r2, r3 = tile[rows[i]], tile[rows[i + 1]], tile[rows[i + 2]], tile[rows[i + 3]]
        r4, r5 = tile[rows[i + 4]], tile[rows[i + 5]]
        r6, r7 = tile[rows[i + 6]], tile[rows[i + 7]]
        for j in range(total.size):
            c0, c1 = np.int32(r0[j]), np.int32(r1[j])
            c2, c3 = np.int32(r2[j]), np.int32(r3[j])
            c4, c5 = np.int32(r4[j]), np.int32(r5[j])
            c6, c7 = np.int32(r6[j]), np.int32(r7[j])
            total[j] += ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7))
            squares[j] += ((c0 * c0 + c1 * c1) + (c2 * c2 + c3 * c3)) + (
                (c4 * c4 + c5 * c5) + (c6 * c6 + c7 * c7)
            )
        i += 8
    for k in range(i, nr):
        r0 = tile[rows[k]]
        for j in range(total.size):
            c0 = np.int32(r0[j])
            total[j] += c0
            squares[j] += c0 * c0


@njit(fastmath=FAST, nogil=True, cache=True)
def _acc_weighted6(
    ytile: np.ndarray,
    btile: np.ndarray,
    rows: np.ndarray,
    x: np.ndarray,
    xx: np.ndarray,
    a: np.ndarray,
    ax: np.ndarray,
    q0: np.ndarray,
    q1: np.ndarray,
    q2: np.ndarray,
    l0: np.ndarray,
    l1: np.ndarray,
    l2: np.ndarray,
) -> None:
    """The six query-dependent sums of the weighted metric over every row, in code units:
    Σa·cy, Σa·cy², Σa·x·cy (query weights) and Σx·cb, Σx²·cb, Σx·cb·cy (library weights).
    Four rows per sweep: the 96 KB of accumulators live in L2, so sweeping them once per
    four rows rather than per row is 1.75× faster here."""
    nr = rows.size
    i = 0
    while i + 4 <= nr:
        y0, y1, y2, y3 = ytile[rows[i]], ytile[rows[i + 1]], ytile[rows[i + 2]], ytile[rows[i + 3]]
        b0, b1, b2, b3 = btile[rows[i]], btile[rows[i + 1]], btile[rows[i + 2]], btile[rows[i + 3]]
        for j in range(q0.size):
            cy0, cy1 = np.float32(y0[j]), np.float32(y1[j])
            cy2, cy3 = np.float32(y2[j]), np.float32(y3[j])
            cb0, cb1 = np.float32(b0[j]), np.float32(b1[j])
            cb2, cb3 = np.float32(b2[j]), np.float32(b3[j])
            t0, t1, t2, t3 = a[i] * cy0, a[i + 1] * cy1, a[i + 2] * cy2, a[i + 3] * cy3
            u0, u1, u2, u3 = x[i] * cb0, x[i + 1] * cb1, x[i + 2] * cb2, x[i + 3] * cb3
            q0[j] += (t0 + t1) + (t2 + t3)
            q1[j] += (t0 * cy0 + t1 * cy1) + (t2 * cy2 + t3 * cy3)
            q2[j] += (ax[i] * cy0 + ax[i + 1] * cy1) + (ax[i + 2] * cy2 + ax[i + 3] * cy3)
            l0[j] += (u0 + u1) + (u2 + u3)
            l1[j] += (xx[i] * cb0 + xx[i + 1] * cb1) + (xx[i + 2] * cb2 + xx[i + 3] * cb3)
            l2[j] += (u0 * cy0 + u1 * cy1) + (u2 * cy2 + u3 * cy3)
        i += 4
    for k in range(i, nr):
        yr, br = ytile[rows[k]], btile[rows[k]]
        for j in range(q0.size):
            cy, cb = np.float32(yr[j]), np.float32(br[j])
            t, u = a[k] * cy, x[k] * cb
            q0[j] += t
            q1[j] += t * cy
            q2[j] += ax[k] * cy
            l0[j] += u
            l1[j] += xx[k] * cb
            l2[j] += u * cy


@njit(fastmath=FAST, nogil=True, cache=True)
def _acc_weighted9(
    ytile: np.ndarray,
    btile: np.ndarray,
    rows: np.ndarray,
    x: np.ndarray,
    a: np.ndarray,
    acc: np.ndarray,
) -> None:
    """The nine sums of the weighted metric over some rows (partial overlap), code units:
    Σcb, Σx·cb, Σx²·cb, Σa·cy, Σcb·cy, Σa·cy², Σcb·cy², Σa·x·cy, Σx·cb·cy."""
    for i in range(rows.size):
        yr, br = ytile[rows[i]], btile[rows[i]]
        xi, ai = x[i], a[i]
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


# --- finishing: screened score and error bound per column (not fast-math) -------------------


@njit(nogil=True, cache=True, error_model="numpy")
def _finish_full(
    acc: np.ndarray,
    lo: int,
    r: np.ndarray,
    bound: np.ndarray,
    peak: np.ndarray,
    per_column: np.ndarray,
    sx: float,
    root_vx: float,
    nx: float,
    root: float,
    rounding: float,
) -> None:
    """Pearson over every gene from one screened dot product and the exact column moments,
    read as float32 ``per_column`` rows (``score._per_column``: scale, mean, sd, err, norm):
    r = (scale·Σx·c − Σx·mean) / (√vx·sd). Their float32 rounding (≤ 2⁻²⁴ relative each)
    enters the bound as ``slack``; err and norm are rounded up."""
    hi = lo + acc.size  # slices: with r[lo + j] every index is checked for wraparound
    # (lo might be negative), which keeps the loop from vectorising
    r, bound = r[lo:hi], bound[lo:hi]
    scale, mean, sd = per_column[0, lo:hi], per_column[1, lo:hi], per_column[2, lo:hi]
    err, norm = per_column[3, lo:hi], per_column[4, lo:hi]
    for j in range(acc.size):
        den = root_vx * sd[j]
        a, b = scale[j] * acc[j], sx * mean[j]
        slack = 4 * EPS32 * (abs(a) + abs(b)) / den
        if den > 0:
            r[j] = min(1.0, max(-1.0, (a - b) / den))
            resid = nx * min(err[j], root * scale[j] * HALF_UP) + rounding * norm[j]
            bound[j] = resid / den * (1 + 2.0**-20) + slack
        else:
            r[j] = np.nan
            bound[j] = np.inf
    _tile_peaks(r, bound, peak[lo // PEAK :])


@njit(nogil=True, cache=True, error_model="numpy")
def _finish_partial(
    a1: np.ndarray,
    a2: np.ndarray,
    a3: np.ndarray,
    lo: int,
    r: np.ndarray,
    bound: np.ndarray,
    peak: np.ndarray,
    rel_err: np.ndarray,
    n: int,
    nx: float,
    rounding: float,
) -> None:
    """Pearson over some rows from (Σx·c, Σc, Σc²) (``score._screen``): the scale cancels,
    r = Σx·c / (‖x‖·√(Σc² − (Σc)²/n)); rel_err = err/scale per column (float32, rounded up)."""
    half_root_n = np.sqrt(n) / 2
    hi = lo + a1.size
    r, bound, rel_err = r[lo:hi], bound[lo:hi], rel_err[lo:hi]
    for j in range(a1.size):
        q2 = np.float64(a2[j])
        q3 = np.float64(a3[j])
        sd = np.sqrt(max(q3 - q2 * q2 / n, 0.0))
        if sd > 0:
            r[j] = min(1.0, max(-1.0, a1[j] / (nx * sd)))
            bound[j] = (2 * min(rel_err[j], half_root_n) + rounding * np.sqrt(q3)) / sd
        else:
            r[j] = np.nan
            bound[j] = np.inf
    _tile_peaks(r, bound, peak[lo // PEAK :])


@njit(nogil=True, error_model="numpy", inline="always")
def _weighted_r_bound(
    sw: float,
    swx: float,
    swxx: float,
    swy: float,
    swyy: float,
    swxy: float,
    syj: float,
    sbj: float,
    a_max: float,
    root_3n: float,
    rounding: float,
    sigmas: float,
) -> tuple[float, float]:
    """Screened weighted Pearson from the six weighted sums of one column and its statistical
    bound (``score._screen_weighted``): (nan, inf) when a sum of weights or a variance is
    not positive."""
    vx = swxx - swx * swx / sw
    vy = swyy - swy * swy / sw
    if not (sw > 0 and vx > 0 and vy > 0):
        return np.nan, np.inf
    rj = (swxy - swx * swy / sw) / np.sqrt(vx * vy)
    ra = abs(rj)
    sd = syj * np.sqrt((a_max + 127 * sbj) * max(1 - rj * rj, 0.0) / vy)
    sd += sbj * root_3n * (1 + ra) / sw
    return rj, sigmas * sd / np.sqrt(12.0) + rounding * (1 + ra)


@njit(nogil=True, cache=True, error_model="numpy")
def _finish_weighted(
    acc: np.ndarray,
    lo: int,
    r: np.ndarray,
    bound: np.ndarray,
    peak: np.ndarray,
    sy: np.ndarray,
    sb: np.ndarray,
    sums: np.ndarray,
    n: int,
    sigmas: float,
) -> None:
    """The weighted finish over some rows, from the nine code sums of ``_acc_weighted9``
    (acc (9, m)); sums = (Σa, Σa·x, Σa·x², max a) of the query weights."""
    a_sum, ax_sum, axx_sum, a_max = sums[0], sums[1], sums[2], sums[3]
    root_3n, rounding = np.sqrt(3 * n), 8 * (n + 2) * EPS32
    hi = lo + acc.shape[1]
    r, bound, sy, sb = r[lo:hi], bound[lo:hi], sy[lo:hi], sb[lo:hi]
    for j in range(acc.shape[1]):
        syj, sbj = sy[j], sb[j]
        r[j], bound[j] = _weighted_r_bound(
            a_sum + sbj * acc[0, j],
            ax_sum + sbj * acc[1, j],
            axx_sum + sbj * acc[2, j],
            syj * (acc[3, j] + sbj * acc[4, j]),
            syj * syj * (acc[5, j] + sbj * acc[6, j]),
            syj * (acc[7, j] + sbj * acc[8, j]),
            syj, sbj, a_max, root_3n, rounding, sigmas,
        )  # fmt: skip
    _tile_peaks(r, bound, peak[lo // PEAK :])


@njit(nogil=True, cache=True, error_model="numpy")
def _finish_weighted_full(
    q0: np.ndarray,
    q1: np.ndarray,
    q2: np.ndarray,
    l0: np.ndarray,
    l1: np.ndarray,
    l2: np.ndarray,
    lo: int,
    r: np.ndarray,
    bound: np.ndarray,
    peak: np.ndarray,
    b_sum: np.ndarray,
    by_sum: np.ndarray,
    by2_sum: np.ndarray,
    sy: np.ndarray,
    sb: np.ndarray,
    sums: np.ndarray,
    n: int,
    sigmas: float,
) -> None:
    """The weighted finish over a tile with every gene: the library-only sums are the exact
    moments Σb, Σb·y, Σb·y², so no division rescales them."""
    a_sum, ax_sum, axx_sum, a_max = sums[0], sums[1], sums[2], sums[3]
    root_3n, rounding = np.sqrt(3 * n), 8 * (n + 2) * EPS32
    hi = lo + q0.size
    r, bound, sy, sb = r[lo:hi], bound[lo:hi], sy[lo:hi], sb[lo:hi]
    b_sum, by_sum, by2_sum = b_sum[lo:hi], by_sum[lo:hi], by2_sum[lo:hi]
    for j in range(q0.size):
        syj, sbj = sy[j], sb[j]
        r[j], bound[j] = _weighted_r_bound(
            a_sum + b_sum[j],
            ax_sum + sbj * l0[j],
            axx_sum + sbj * l1[j],
            syj * q0[j] + by_sum[j],
            syj * syj * q1[j] + by2_sum[j],
            syj * (q2[j] + sbj * l2[j]),
            syj, sbj, a_max, root_3n, rounding, sigmas,
        )  # fmt: skip
    _tile_peaks(r, bound, peak[lo // PEAK :])


@njit(nogil=True, cache=True)
def _tile_peaks(r: np.ndarray, bound: np.ndarray, peak: np.ndarray) -> None:
    """peak[b] = max(|r| + bound) over columns [b·PEAK, (b + 1)·PEAK) of a tile's slices, +inf
    if any is NaN, for the blocks of r only (peak may run on into other tiles' blocks): the
    selection pass (``exact.select``) skips blocks below its thresholds unread."""
    for b in range((r.size + PEAK - 1) // PEAK):
        rs, bs = r[b * PEAK : (b + 1) * PEAK], bound[b * PEAK : (b + 1) * PEAK]
        top = 0.0
        for i in range(rs.size):
            u = abs(rs[i]) + bs[i]
            top = max(top, u if u == u else np.inf)
        peak[b] = top


@njit(nogil=True, cache=True)
def _empty_peaks(n_sig: int) -> np.ndarray:
    return np.empty((n_sig + PEAK - 1) // PEAK)


@njit(nogil=True, cache=True)
def _screen_outputs(n_sig: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A screen's (r, bound, peak) for n_sig columns, unfilled."""
    return np.empty(n_sig), np.empty(n_sig), _empty_peaks(n_sig)


@njit(nogil=True, cache=True)
def block_peaks(r: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """``_tile_peaks`` of a whole screen computed afterwards (screens built outside a kernel)."""
    peak = _empty_peaks(r.size)
    _tile_peaks(r, bound, peak)
    return peak


# --- the kernels ---------------------------------------------------------------------------


@njit(parallel=True, nogil=True, cache=True)
def dot_rows(tiles: np.ndarray, rows: np.ndarray, w: np.ndarray, n_sig: int) -> np.ndarray:
    """Σ_i w_i · code[rows_i, j] for every column j (float32 accumulation)."""
    width = tiles.shape[2]
    out = np.empty(n_sig, dtype=np.float32)
    for t in prange(tiles.shape[0]):
        lo = t * width
        acc = np.zeros(min(width, n_sig - lo), dtype=np.float32)
        _acc_dot(tiles[t], rows, w, acc)
        out[lo : lo + acc.size] = acc
    return out


@njit(parallel=True, nogil=True, cache=True)
def screen_full(
    tiles: np.ndarray,
    rows: np.ndarray,
    w: np.ndarray,
    n_sig: int,
    per_column: np.ndarray,
    sx: float,
    root_vx: float,
    nx: float,
    root: float,
    rounding: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screened Pearson of w (nonzero query values on ``rows``) with every column, over every
    gene, its error bound and the block peaks (``_tile_peaks``): (r, bound, peak), float64."""
    width = tiles.shape[2]
    r, bound, peak = _screen_outputs(n_sig)
    for t in prange(tiles.shape[0]):
        lo = t * width
        acc = np.zeros(min(width, n_sig - lo), dtype=np.float32)
        _acc_dot(tiles[t], rows, w, acc)
        _finish_full(acc, lo, r, bound, peak, per_column, sx, root_vx, nx, root, rounding)
    return r, bound, peak


@njit(parallel=True, nogil=True, cache=True)
def screen_partial(
    tiles: np.ndarray,
    rows: np.ndarray,
    x: np.ndarray,
    n_sig: int,
    rel_err: np.ndarray,
    nx: float,
    rounding: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screened Pearson of centred x with every column over ``rows`` only: (r, bound, peak)."""
    width = tiles.shape[2]
    n = rows.size
    r, bound, peak = _screen_outputs(n_sig)
    for t in prange(tiles.shape[0]):
        lo = t * width
        m = min(width, n_sig - lo)
        a1 = np.zeros(m, dtype=np.float32)
        a2 = np.zeros(m, dtype=np.int32)
        a3 = np.zeros(m, dtype=np.int32)
        _acc_moments(tiles[t], rows, x, a1, a2, a3)
        _finish_partial(a1, a2, a3, lo, r, bound, peak, rel_err, n, nx, rounding)
    return r, bound, peak


@njit(nogil=True, cache=True, error_model="numpy")
def _finish_updown(
    up: np.ndarray,
    down: np.ndarray,
    squares: np.ndarray,
    lo: int,
    r: np.ndarray,
    bound: np.ndarray,
    peak: np.ndarray,
    rel_err: np.ndarray,
    n: int,
    nx: float,
    x_mean: float,
) -> None:
    """Pearson of ±1 codes (centred: x − x_mean) with the rounded columns over the listed
    rows from exact integer sums U = Σ_up c, D = Σ_down c, Q = Σ c² (``score._screen``):
    Σ(x − x̄)·c = U − D − x̄·(U + D); the bound has no float32 accumulation term."""
    half_root_n = np.sqrt(n) / 2
    hi = lo + up.size
    r, bound, rel_err = r[lo:hi], bound[lo:hi], rel_err[lo:hi]
    for j in range(up.size):
        u, d = np.float64(up[j]), np.float64(down[j])
        q2 = u + d
        sd = np.sqrt(max(np.float64(squares[j]) - q2 * q2 / n, 0.0))
        if sd > 0:
            r[j] = min(1.0, max(-1.0, (u - d - x_mean * q2) / (nx * sd)))
            bound[j] = 2 * min(rel_err[j], half_root_n) / sd * (1 + 2.0**-40)
        else:
            r[j] = np.nan
            bound[j] = np.inf
    _tile_peaks(r, bound, peak[lo // PEAK :])


@njit(parallel=True, nogil=True, cache=True)
def screen_updown(
    tiles: np.ndarray,
    up_rows: np.ndarray,
    down_rows: np.ndarray,
    n_sig: int,
    rel_err: np.ndarray,
    nx: float,
    x_mean: float,
    proto: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screened Pearson of an up/down list (codes +1/−1) with every column over the listed
    rows, from integer sums only: ``proto``'s dtype (int16 when 127·rows fits, else int32)
    is that of the two list sums, so the three accumulators of a tile fit in L1."""
    width = tiles.shape[2]
    n = up_rows.size + down_rows.size
    r, bound, peak = _screen_outputs(n_sig)
    for t in prange(tiles.shape[0]):
        lo = t * width
        m = min(width, n_sig - lo)
        up = np.zeros(m, dtype=proto.dtype)
        down = np.zeros(m, dtype=proto.dtype)
        squares = np.zeros(m, dtype=np.int32)
        _acc_counts(tiles[t], up_rows, up, squares)
        _acc_counts(tiles[t], down_rows, down, squares)
        _finish_updown(up, down, squares, lo, r, bound, peak, rel_err, n, nx, x_mean)
    return r, bound, peak


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def screen_weighted_full(
    ytiles: np.ndarray,
    btiles: np.ndarray,
    rows: np.ndarray,
    x: np.ndarray,
    a: np.ndarray,
    n_sig: int,
    b_sum: np.ndarray,
    by_sum: np.ndarray,
    by2_sum: np.ndarray,
    sy: np.ndarray,
    sb: np.ndarray,
    sums: np.ndarray,
    sigmas: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screened weighted Pearson over every gene: the six query-dependent sums read y and b
    once; the three library-only ones are the exact column moments Σb, Σb·y, Σb·y²."""
    width = ytiles.shape[2]
    n = rows.size
    xx, ax = x * x, a * x
    r, bound, peak = _screen_outputs(n_sig)
    for t in prange(ytiles.shape[0]):
        lo = t * width
        m = min(width, n_sig - lo)
        q0, q1, q2 = np.zeros(m, np.float32), np.zeros(m, np.float32), np.zeros(m, np.float32)
        l0, l1, l2 = np.zeros(m, np.float32), np.zeros(m, np.float32), np.zeros(m, np.float32)
        _acc_weighted6(ytiles[t], btiles[t], rows, x, xx, a, ax, q0, q1, q2, l0, l1, l2)
        _finish_weighted_full(
            q0, q1, q2, l0, l1, l2, lo, r, bound, peak,
            b_sum, by_sum, by2_sum, sy, sb, sums, n, sigmas,
        )  # fmt: skip
    return r, bound, peak


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def screen_weighted_partial(
    ytiles: np.ndarray,
    btiles: np.ndarray,
    rows: np.ndarray,
    x: np.ndarray,
    a: np.ndarray,
    n_sig: int,
    sy: np.ndarray,
    sb: np.ndarray,
    sums: np.ndarray,
    sigmas: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screened weighted Pearson over some rows: the nine sums, then the finish."""
    width = ytiles.shape[2]
    n = rows.size
    r, bound, peak = _screen_outputs(n_sig)
    for t in prange(ytiles.shape[0]):
        lo = t * width
        m = min(width, n_sig - lo)
        acc = np.zeros((9, m), dtype=np.float32)
        _acc_weighted9(ytiles[t], btiles[t], rows, x, a, acc)
        _finish_weighted(acc, lo, r, bound, peak, sy, sb, sums, n, sigmas)
    return r, bound, peak
