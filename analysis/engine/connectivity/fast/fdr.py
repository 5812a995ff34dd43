"""Exact Benjamini–Hochberg FDR of the rows the fast connectivity path returns.

Only the returned rows and the signatures that could outrank them are scored exactly
(``score``); every other signature has a screened score with an error bound, hence a p-value
lower bound. The adjusted p-value of a returned row is exact once the exact prefix of the
ranking is known to end before any screened row could enter it and the rows past the prefix
are bounded below: by an exact window of the best screened p lower bounds, then by a
histogram of the others. Otherwise more signatures are re-scored (through ``state.State``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from analysis.engine.connectivity.fast import exact as fx
from analysis.engine.stats import p_from_r

if TYPE_CHECKING:
    from analysis.engine.connectivity.fast.state import State


def p_values(metric: str, r: np.ndarray | float, n: np.ndarray | int) -> np.ndarray:
    """p-values of scores r over n genes: correlation (t test) or random-set z."""
    if metric == "randomset":
        return special.ndtr(-np.asarray(r, dtype=np.float64))  # norm.sf(r)
    return p_from_r(r, n)


TAIL = 256  # screened rows whose p-value lower bounds enter the BH tail bound (then a histogram)


def exact_fdr(state: State, chosen: np.ndarray, min_overlap: int) -> np.ndarray:
    """Exact BH FDR of the chosen rows over the library (``state``: the query's ``State``).

    P = the exact rows whose p is below every screened row's p lower bound: they hold ranks
    1..|P|. The adjusted p at rank i is min(min_{i≤j≤|P|} m·p_j/j, tail), and the tail (rows
    past P) is bounded below by min_t m·l_(t)/(|P|+t), l = the sorted p lower bounds of the
    remaining rows (a window of TAIL of them, then ``_past_window``); when the prefix minimum
    is below that bound it is exact, otherwise more rows are re-scored.
    """
    metric, signed = state.metric, state.signed
    family = (state.r, state.bound, state.exact, state.n, min_overlap, signed)
    top = np.zeros(0, dtype=np.int64)
    if state.tail_pool is not None:
        top = fx.fdr_tail(state.r, state.bound, state.exact, state.tail_pool, signed, TAIL)
    if len(top):
        m = fx.family_size(state.r, state.n, min_overlap)
    else:
        m, top = fx.fdr_family(*family, TAIL)
    out = np.full(len(chosen), np.nan)
    wanted = np.isfinite(state.r[chosen]) & (state.n[chosen] >= min_overlap)
    if m == 0 or not wanted.any():
        return out
    # a p-value that underflows to 0 has adjusted p-value 0 (m·0/i), whatever its rank
    zero = wanted & (state.p_of(chosen) == 0)
    out[zero] = 0.0
    wanted &= ~zero
    if not wanted.any():
        return out
    while True:
        keep = np.isfinite(state.r[state.exact_cols]) & (state.n[state.exact_cols] >= min_overlap)
        exact, p = state.exact_cols[keep], state.exact_p[keep]
        upper = state.r[top] if signed else np.abs(state.r[top])
        best = upper + state.bound[top]
        if not signed:
            best = np.minimum(best, 1.0)
        p_top = p_values(metric, best, state.n[top])  # lower bounds, aligned with top
        p_low = np.sort(p_top)
        p_n = p_low[0] if len(p_low) else np.inf
        inside = p < p_n
        order = np.argsort(p[inside], kind="stable")
        prefix, p_prefix = exact[inside][order], p[inside][order]
        size = len(prefix)
        adj = np.minimum.accumulate((p_prefix * m / np.arange(1, size + 1))[::-1])[::-1]
        rest = np.sort(np.concatenate([p[~inside], p_low]))
        # m·l_(t)/(|P| + t) over the window's ranks t
        per_rank = m * rest[:TAIL] / (size + np.arange(1, min(len(rest), TAIL) + 1))
        tail = within = np.inf
        if len(rest):
            within = float(per_rank.min())
            tail = min(within, float(rest[len(per_rank) - 1]))  # crude past the window
        by_column = np.argsort(prefix)
        at = np.minimum(np.searchsorted(prefix[by_column], chosen[wanted]), max(size - 1, 0))
        position = by_column[at] if size else at
        in_prefix = size > 0 and (prefix[position] == chosen[wanted]).all()
        if in_prefix and (adj[position] <= tail).all():
            out[wanted] = np.minimum(adj[position], 1.0)
            return out
        need = adj[position].max() if in_prefix else None
        if need is not None and within >= need and len(top) == TAIL:
            # only the crude bound past the window (its last p) is in the way: bound the
            # rows past it from a histogram of their p lower bounds instead
            past = _past_window(state, min_overlap, top, best, rest, size, m, metric)
            if min(within, past) >= need:
                out[wanted] = np.minimum(adj[position], 1.0)
                return out
        state.rescore(_undercutting(top, best, p_top, rest, per_rank, need, len(exact)))
        _, top = fx.fdr_family(*family, TAIL)


HISTOGRAM_BINS = 1024


def _past_window(
    state: State,
    min_overlap: int,
    top: np.ndarray,
    best: np.ndarray,
    rest: np.ndarray,
    size: int,
    m: int,
    metric: str,
) -> float:
    """A lower bound of m·p_(i)/(|P| + i) over every rank i of the rows outside the exact
    prefix, tighter than the window's last p for the rows past the window.

    Thresholds Q: the window's p values (``rest``, sorted) and the p lower bounds at the edges
    of a histogram of the screened rows' score upper bounds (``upper_counts``, without the
    window's own rows). Below Q_j lie at most N(Q_j) = #(rest < Q_j) + #(other rows with upper
    bound past the edge of Q_j) rows, so a row with p in [Q_j, Q_j+1) has rank ≤ N(Q_j+1)
    and m·p/(|P| + rank) ≥ m·Q_j/(|P| + N(Q_j+1)); the last segment uses every row. Signed
    scores (randomset) have no histogram: the window's last p bounds the rest.
    """
    if metric == "randomset":
        return float(rest[len(top) - 1]) if len(rest) >= len(top) else 0.0
    bins = HISTOGRAM_BINS
    others = fx.upper_counts(state.r, state.bound, state.exact, state.n, min_overlap, bins)
    np.subtract.at(others, np.minimum((best * bins).astype(np.int64), bins - 1), 1)
    q_edge = _edge_p_values(metric, float(state.n[top].max()), bins)
    above = np.concatenate([np.cumsum(others[::-1])[::-1], [0]])  # rows with upper ≥ edge b
    # edges above the highest occupied bin bound no row (and p(1) = 0 would bound everything)
    occupied = np.flatnonzero(others)
    last_edge = occupied[-1] + 1 if len(occupied) else 0
    thresholds = np.unique(np.concatenate([rest, q_edge[: last_edge + 1]]))
    thresholds = thresholds[np.isfinite(thresholds)]
    # for each threshold Q the last edge whose p is still ≥ Q bounds the rows below Q
    b = np.searchsorted(-q_edge, -thresholds, side="right") - 1
    below = np.searchsorted(rest, thresholds, side="left") + np.where(
        b >= 0, above[np.clip(b, 0, None)], others.sum()
    )
    rank = np.append(below[1:], len(rest) + others.sum())
    return float((m * thresholds / (size + np.maximum(rank, 1))).min())


@lru_cache(maxsize=64)
def _edge_p_values(metric: str, n: float, bins: int) -> np.ndarray:
    """p-values at the histogram's bin edges 0, 1/bins, …, 1 for n genes (a library's
    queries share a few n: computed once each)."""
    edges = np.arange(bins + 1) / bins
    out = p_values(metric, edges, np.full(bins + 1, n))
    out.flags.writeable = False
    return out


def _undercutting(
    top: np.ndarray,
    best: np.ndarray,
    p_top: np.ndarray,
    rest: np.ndarray,
    per_rank: np.ndarray,
    need: float | None,
    n_exact: int,
) -> np.ndarray:
    """Screened rows to re-score when the FDR is not yet exact.

    When every returned row is in the exact prefix and only the tail bound is in the way
    (``need``: their largest adjusted p), those whose p lower bound ≤ the largest p in
    ``rest`` that undercuts it (``per_rank``, m·p/(|P| + t), below ``need``): re-scoring them
    settles the tail in one round on wide bounds (updown). Otherwise (or if none), the best
    max(256, #exact) screened rows by upper bound.
    """
    if need is not None and len(per_rank):
        under = per_rank < need
        if under.any():
            picked = top[p_top <= rest[: len(per_rank)][under].max()]
            if len(picked):
                return picked
    more = max(256, n_exact)
    return top[np.argsort(-best, kind="stable")[:more]]
