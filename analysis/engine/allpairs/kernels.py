"""Numba kernels of the all-pairs top-k connections (``analysis.engine.allpairs.topk``).

A top-k list is a size-k min-heap of (score s, index j) whose root is the worst entry, in the
order "s larger is better; equal s: smaller j is better" (so ties always resolve to the lower
index, whatever order the candidates arrive in). Positive lists keep s = r, negative lists
s = −r (exact in float32), so one heap serves both; a heap is addressed as ``hs[h, slot]``,
``hi[h, slot]`` (h = 0 positive, 1 negative) with its fill count ``hn[h, slot]``.

A tile r = z[I] @ z[J].T is read once, row-major (it streams), by one thread: each value is
offered to its row's list (candidate j for row i) and to its column's (candidate i for row j).
Each list has a threshold (its floor until it holds k entries, then its root): chunks of
``CHUNK`` values are first tested against their row's and columns' thresholds with a
branch-free, vectorised or-reduction, and only the rare chunk with a hit is walked entry by
entry. Parallelism is across tiles (threads or dask workers), not inside one.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

CHUNK = 64


@njit(inline="always")
def _worse(s1: float, i1: int, s2: float, i2: int) -> bool:
    return s1 < s2 or (s1 == s2 and i1 > i2)


@njit(cache=True, nogil=True)
def heap_push(hs: np.ndarray, hi: np.ndarray, n: int, s: float, j: int) -> int:
    """Offer (s, j) to the heap hs/hi (capacity hs.size) holding n entries; return the new n."""
    k = hs.size
    if n < k:
        pos = n
        while pos > 0:  # sift up
            parent = (pos - 1) >> 1
            if not _worse(s, j, hs[parent], hi[parent]):
                break
            hs[pos], hi[pos] = hs[parent], hi[parent]
            pos = parent
        hs[pos], hi[pos] = s, j
        return n + 1
    if k == 0 or not _worse(hs[0], hi[0], s, j):
        return n
    _sift_down(hs, hi, k, s, j)  # replace the root
    return k


@njit(inline="always")
def _sift_down(hs: np.ndarray, hi: np.ndarray, size: int, s: float, j: int) -> None:
    """Put (s, j) at the root of the heap's first ``size`` entries and sift it down."""
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and _worse(hs[child + 1], hi[child + 1], hs[child], hi[child]):
            child += 1
        if not _worse(hs[child], hi[child], s, j):
            break
        hs[pos], hi[pos] = hs[child], hi[child]
        pos = child
    hs[pos], hi[pos] = s, j


@njit(inline="always")
def _threshold(hs: np.ndarray, n: int, floor: float) -> float:
    """Smallest s that can still enter the list: its floor until full, then its root."""
    return hs[0] if n == hs.size and n > 0 else floor


@njit(cache=True, nogil=True)
def select_tile(
    r: np.ndarray,
    i0: int,
    j0: int,
    diag: bool,
    floor: np.ndarray,
    hs: np.ndarray,
    hi: np.ndarray,
    hn: np.ndarray,
) -> None:
    """Offer every pair of the tile r (bI, bJ) = z[i0 + i] · z[j0 + j] to both its rows' lists.

    Slots: row i of the tile is slot i, column j is slot bI + j, or slot j when ``diag``
    (then i0 == j0, bI == bJ and only pairs j > i are read: the lower triangle is the same
    pairs). floor: (2, n_slots) float32, the s below which a list takes nothing (−inf: none).
    hs, hi: (2, n_slots, k) float32/int32 heaps, hn: (2, n_slots) int64 fill counts.
    One thread; one row-major pass that tests each value against its row's and its column's
    thresholds at once.
    """
    n_i, n_j = r.shape
    off = 0 if diag else n_i
    cp = np.empty(n_j, dtype=np.float32)  # column thresholds, r units (negative list: r <= cn)
    cn = np.empty(n_j, dtype=np.float32)
    for t in range(n_j):
        cp[t] = _threshold(hs[0, off + t], hn[0, off + t], floor[0, off + t])
        cn[t] = -_threshold(hs[1, off + t], hn[1, off + t], floor[1, off + t])
    flags = np.empty(CHUNK, dtype=np.int32)
    for i in range(n_i):
        row = r[i]
        tp = _threshold(hs[0, i], hn[0, i], floor[0, i])
        tn = -_threshold(hs[1, i], hn[1, i], floor[1, i])
        for c in range(i + 1 if diag else 0, n_j, CHUNK):
            # slices: their loop index is provably >= 0, so LLVM vectorises the test
            seg, sp, sn = row[c : c + CHUNK], cp[c : c + CHUNK], cn[c : c + CHUNK]
            flag = flags[: seg.size]
            hit = np.int32(0)
            for t in range(seg.size):
                v = seg[t]
                f = (
                    np.int32(v >= tp)
                    | np.int32(v <= tn)
                    | np.int32(v >= sp[t])
                    | np.int32(v <= sn[t])
                )
                flag[t] = f
                hit |= f
            if hit == 0:
                continue
            for t in range(seg.size):
                if flag[t] == 0:
                    continue
                v, slot = seg[t], off + c + t
                if v >= tp:
                    hn[0, i] = heap_push(hs[0, i], hi[0, i], hn[0, i], v, j0 + c + t)
                    tp = _threshold(hs[0, i], hn[0, i], floor[0, i])
                if v <= tn:
                    hn[1, i] = heap_push(hs[1, i], hi[1, i], hn[1, i], -v, j0 + c + t)
                    tn = -_threshold(hs[1, i], hn[1, i], floor[1, i])
                if v >= sp[t]:
                    hn[0, slot] = heap_push(hs[0, slot], hi[0, slot], hn[0, slot], v, i0 + i)
                    sp[t] = _threshold(hs[0, slot], hn[0, slot], floor[0, slot])
                if v <= sn[t]:
                    hn[1, slot] = heap_push(hs[1, slot], hi[1, slot], hn[1, slot], -v, i0 + i)
                    sn[t] = -_threshold(hs[1, slot], hn[1, slot], floor[1, slot])


@njit(cache=True, nogil=True)
def compact(
    hs: np.ndarray, hi: np.ndarray, hn: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The filled part of every list, flat: (ptr (2·n_slots + 1,), s, j); list h of slot q
    is entries ptr[h·n_slots + q] … ptr[h·n_slots + q + 1] − 1 (heap order)."""
    n_slots = hn.shape[1]
    ptr = np.zeros(2 * n_slots + 1, dtype=np.int64)
    for h in range(2):
        for q in range(n_slots):
            ptr[h * n_slots + q + 1] = ptr[h * n_slots + q] + hn[h, q]
    s = np.empty(ptr[-1], dtype=np.float32)
    j = np.empty(ptr[-1], dtype=np.int32)
    for h in range(2):
        for q in range(n_slots):
            e = ptr[h * n_slots + q]
            for t in range(hn[h, q]):
                s[e + t] = hs[h, q, t]
                j[e + t] = hi[h, q, t]
    return ptr, s, j


@njit(cache=True, nogil=True)
def merge(
    state_s: np.ndarray,
    state_i: np.ndarray,
    state_n: np.ndarray,
    rows: np.ndarray,
    ptr: np.ndarray,
    s: np.ndarray,
    j: np.ndarray,
) -> None:
    """Offer a compacted partial (rows (n_slots,) global, distinct) to the running lists
    state_s/state_i (2, S, k), state_n (2, S)."""
    n_slots = rows.size
    for q in range(n_slots):
        g = rows[q]
        for h in range(2):
            n = state_n[h, g]
            for e in range(ptr[h * n_slots + q], ptr[h * n_slots + q + 1]):
                n = heap_push(state_s[h, g], state_i[h, g], n, s[e], j[e])
            state_n[h, g] = n


@njit(parallel=True, cache=True, nogil=True)
def sort_lists(hs: np.ndarray, hi: np.ndarray, hn: np.ndarray) -> None:
    """Heap-sort every list in place, best first (s descending, then j ascending)."""
    for g in prange(hs.shape[1]):
        for h in range(2):
            vs, vi = hs[h, g], hi[h, g]
            for n in range(hn[h, g] - 1, 0, -1):
                s, j = vs[n], vi[n]  # the root (worst) goes to the end, the last entry sifts down
                vs[n], vi[n] = vs[0], vi[0]
                _sift_down(vs, vi, n, s, j)
