"""All-pairs top-k Pearson connections of a signature library (pure numpy/numba).

For every signature i of z (S, G) — rows standardised to unit norm, so r_ij = z_i · z_j is the
Pearson r of two complete signatures (``standardised``: centred over
the finite values, NaN → 0 after centring, float32; a signature's NaN genes thus contribute 0
to every dot product, as before) — its k largest and k smallest r_ij over j ≠ i, k ≤ S − 1.

The Gram matrix z·zᵀ is symmetric, so only the tiles (I, J ≥ I) of a block partition are
computed (float32 GEMM, half the flops of the full product), and each tile feeds both its rows'
lists (candidates j for i) and its columns' (candidates i for j); in diagonal tiles only the
pairs j > i are read, so each pair's r is one float32 number, the same in i's list and in j's.
A tile's GEMM and selection run on one thread; tiles run in parallel (threads here, or the
workers of a dask.distributed cluster).

Independence: :func:`tile_top_k` is a pure function of z, the tile's ranges and k, returning
a :class:`Partial` (each of its rows' best ≤ k candidates from that tile); :meth:`TopK.merge`
folds partials into the running lists of all S rows, in any order, with the same result. The
optional ``floor`` of a tile (:meth:`TopK.floor`: each list's current k-th best, taken from
the running state when the tile is sent) only lets the tile skip candidates that can no longer
enter the final lists — what makes selection cheap: almost every value is rejected by one
vectorised comparison — and does not change the result.

Precision: stored r is the float32 GEMM value of the float32 standardised rows: within ~1e-6
of the float64 Pearson r of the complete signatures in practice (7e-7 measured, G = 978), at
worst G·2⁻²⁴ ≈ 6e-5. Order: positive lists by r descending, negative by r ascending, equal
float32 r by the lower index first. The output is deterministic for a given block size and
BLAS build (threads, dask workers and merge order do not matter); another block size can change
the GEMM's summation order and hence the last bit of r, and so the order of pairs whose r
differ by about 1e-7.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from analysis.engine.allpairs import kernels as ak

#: A tile (i0, i1, j0, j1): rows i0..i1−1 against rows j0..j1−1.
Tile = tuple[int, int, int, int]


def standardised(logfc_block: npt.ArrayLike) -> np.ndarray:
    """Rows of signature-major logFC (B, G) centred and scaled to unit norm over the finite
    values, NaN -> 0, float32: z_i·z_j is then the Pearson r of two complete signatures."""
    y = np.asarray(logfc_block, dtype=np.float64)
    fin = np.isfinite(y)
    y0 = np.where(fin, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(fin, y0 - y0.sum(axis=1, keepdims=True) / fin.sum(axis=1, keepdims=True), 0)
        norm = np.sqrt((d * d).sum(axis=1, keepdims=True))
        return np.where(norm > 0, d / norm, 0.0).astype(np.float32)


NAMES = ("pos_idx", "pos_r", "neg_idx", "neg_r")


def tiles(n: int, block: int) -> list[Tile]:
    """The tiles (i0, i1, j0, j1), j0 ≥ i0, of the upper triangle of an n × n Gram matrix in
    blocks of ``block`` rows, block row by block row (each row's lists fill early)."""
    if block < 1:
        raise ValueError("block must be at least 1")
    edges = [(start, min(start + block, n)) for start in range(0, n, block)]
    return [(i0, i1, j0, j1) for a, (i0, i1) in enumerate(edges) for (j0, j1) in edges[a:]]


def tile_work(tile: Tile) -> int:
    """Pairs a tile computes (its GEMM cost up to a constant)."""
    i0, i1, j0, j1 = tile
    return (i1 - i0) * (j1 - j0)  # a diagonal tile's GEMM is a full square too


def _check_tile(n: int, i0: int, i1: int, j0: int, j1: int) -> None:
    if not (0 <= i0 < i1 <= n and 0 <= j0 < j1 <= n):
        raise ValueError(f"tile {(i0, i1, j0, j1)} is outside 0..{n}")
    if not (j0 >= i1 or (i0, i1) == (j0, j1)):
        raise ValueError("a tile is either diagonal (I == J) or above the diagonal (J after I)")


def tile_rows(i0: int, i1: int, j0: int, j1: int) -> np.ndarray:
    """The global rows whose lists a tile feeds, in slot order."""
    if (i0, i1) == (j0, j1):
        return np.arange(i0, i1, dtype=np.int64)
    return np.concatenate([np.arange(i0, i1), np.arange(j0, j1)]).astype(np.int64)


@dataclass(frozen=True)
class Partial:
    """One tile's candidates for the lists of ``rows`` (int64 global rows, n of them), flat:
    list h (0 positive, 1 negative, scored s = r or −r) of row q holds ≤ k entries
    s[ptr[h·n + q] : ptr[h·n + q + 1]] (float32) with their signatures j (int32)."""

    tile: Tile
    rows: np.ndarray
    ptr: np.ndarray
    s: np.ndarray
    j: np.ndarray


def tile_top_k(
    z: np.ndarray, i0: int, i1: int, j0: int, j1: int, k: int, floor: np.ndarray | None = None
) -> Partial:
    """One independent tile: the pairs (i, j), i in i0..i1−1, j in j0..j1−1, j > i.

    z: (S, G) float32 standardised rows (C-contiguous); k ≥ 0 (the lists' length,
    :attr:`TopK.k`). floor: optional (2, n_slots) float32 from :meth:`TopK.floor`: a list
    takes no candidate scoring below it.
    """
    _check_tile(z.shape[0], i0, i1, j0, j1)
    diag = (i0, i1) == (j0, j1)
    rows = tile_rows(i0, i1, j0, j1)
    # A dask worker may receive z at an odd byte offset of its message. numpy then copies each
    # operand for BLAS, and a diagonal tile's two copies, no longer one array, go to gemm
    # instead of syrk: ~4% of r differ in the last bit. Rows aligned once (copied only then)
    # take the same BLAS call everywhere: gemm, or syrk for a diagonal tile.
    a = np.require(z[i0:i1], requirements=["C", "A"])
    b = a if diag else np.require(z[j0:j1], requirements=["C", "A"])
    r = np.matmul(a, b.T)  # (n_i, n_j) float32
    if floor is None:
        floor = np.full((2, rows.size), -np.inf, dtype=np.float32)
    hs = np.empty((2, rows.size, k), dtype=np.float32)
    hi = np.empty((2, rows.size, k), dtype=np.int32)
    hn = np.zeros((2, rows.size), dtype=np.int64)
    floor = np.ascontiguousarray(floor, dtype=np.float32)
    ak.select_tile(r, i0, j0, diag, floor, hs, hi, hn)
    ptr, s, j = ak.compact(hs, hi, hn)
    return Partial(tile=(i0, i1, j0, j1), rows=rows, ptr=ptr, s=s, j=j)


class PartialFuture(Protocol):
    """What ``submit`` returns: a future of one tile's :class:`Partial`."""

    def result(self) -> Partial: ...


#: submit(tile, k, floor) -> a future of ``tile_top_k``'s Partial for that tile.
Submit = Callable[[Tile, int, np.ndarray], PartialFuture]
#: progress(done_pairs, total_pairs).
Progress = Callable[[int, int], object]


class TopK:
    """The running top-k lists of all n rows: s (2, n, k) float32 scores (h = 0: r, 1: −r),
    i (2, n, k) int32 signatures, count (2, n) fill counts; 250,000 × 100: 400 MB."""

    def __init__(self, n: int, k: int) -> None:
        if k < 0:
            raise ValueError("k must be at least 0")
        self.n, self.k = n, min(k, max(n - 1, 0))
        self.s = np.empty((2, n, self.k), dtype=np.float32)
        self.i = np.empty((2, n, self.k), dtype=np.int32)
        self.count = np.zeros((2, n), dtype=np.int64)
        self.merged: set[Tile] = set()
        self.pairs = 0

    def floor(self, tile: Tile) -> np.ndarray:
        """(2, n_slots) float32: each list's worst entry if it is full, else −inf."""
        rows = tile_rows(*tile)
        if self.k == 0:
            return np.full((2, rows.size), np.inf, dtype=np.float32)
        full = self.count[:, rows] == self.k
        return np.where(full, self.s[:, rows, 0], np.float32(-np.inf))

    def merge(self, part: Partial) -> None:
        """Fold in one tile's candidates (each tile of one :func:`tiles` plan exactly once)."""
        if part.tile in self.merged:
            raise ValueError(f"tile {part.tile} was already merged")
        self.merged.add(part.tile)
        i0, i1, j0, j1 = part.tile
        self.pairs += (i1 - i0) * (i1 - i0 - 1) // 2 if i0 == j0 else (i1 - i0) * (j1 - j0)
        ak.merge(self.s, self.i, self.count, part.rows, part.ptr, part.s, part.j)

    def result(self) -> dict[str, np.ndarray]:
        """pos_idx, pos_r, neg_idx, neg_r: (n, k) int32 / float32, best first (consumes the
        state: the lists are sorted in place)."""
        if self.pairs != self.n * (self.n - 1) // 2 or (self.count != self.k).any():
            raise RuntimeError("some pairs were never merged")
        ak.sort_lists(self.s, self.i, self.count)
        return {
            "pos_idx": self.i[0],
            "pos_r": self.s[0],
            "neg_idx": self.i[1],
            "neg_r": -self.s[1],
        }


def run_tiles(
    n: int,
    k: int,
    block: int,
    submit: Submit,
    depth: int = 4,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Drive the tiles of an n-row library through ``submit`` and merge them as they come.

    submit(tile, k, floor) -> a future (``concurrent.futures`` or ``dask.distributed``) whose
    ``result()`` is :func:`tile_top_k`'s Partial for that tile; at most ``depth`` are in flight,
    collected in submission order, and each tile is submitted with the floors of the lists as
    they are when it is sent. progress: optional callable(done_pairs, total_pairs).
    Returns :meth:`TopK.result`.
    """
    state = TopK(n, k)
    plan = tiles(n, block)
    total, done = sum(map(tile_work, plan)), 0
    queue = iter(plan)
    pending: deque[tuple[Tile, PartialFuture]] = deque()
    while True:
        while len(pending) < max(depth, 1):
            tile = next(queue, None)
            if tile is None:
                break
            pending.append((tile, submit(tile, state.k, state.floor(tile))))
        if not pending:
            return state.result()
        tile, future = pending.popleft()
        state.merge(future.result())
        done += tile_work(tile)
        if progress is not None:
            progress(done, total)


def all_pairs_top_k(
    z: npt.ArrayLike,
    k: int = 100,
    block: int = 2048,
    threads: int = 2,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Top-k positive and negative connections of every row of z (S, G), self excluded,
    k capped at S − 1: the tiles run on ``threads`` threads of this process (each tile's GEMM
    and selection on one thread: cap the BLAS library at one thread per call, e.g. with
    ``threadpoolctl.threadpool_limits(1, "blas")``, or the two pools oversubscribe the cores).
    """
    rows = np.ascontiguousarray(z, dtype=np.float32)
    with ThreadPoolExecutor(max_workers=threads) as pool:

        def submit(tile: Tile, k: int, floor: np.ndarray) -> Future[Partial]:
            i0, i1, j0, j1 = tile
            return pool.submit(tile_top_k, rows, i0, i1, j0, j1, k, floor)

        return run_tiles(rows.shape[0], k, block, submit, depth=2 * threads, progress=progress)
