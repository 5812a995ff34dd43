"""Gene-set enrichment: over-representation (hypergeometric) and preranked GSEA.

Gene sets come from GMT files (``read_gmt``) as a mapping ``name -> tuple of gene ids``. Gene ids
are compared as strings, exactly (symbols are case-sensitive: ``gag`` in Reactome is not
``GAG``); map identifiers before calling these functions.

- ``ora``: over-representation of a gene list in every set of a library. The background is the
  set of measured genes; each gene set and the gene list are first intersected with it, and the
  set sizes reported and tested are the sizes after that intersection. p is the hypergeometric
  upper tail P(X >= k), X ~ Hypergeom(N = |background|, K = |set ∩ background|, n = |list ∩
  background|), i.e. the one-sided Fisher exact test; BH FDR over all sets of the library that
  pass the size filter.
- ``gsea_preranked``: Subramanian et al. 2005 (PNAS 102:15545) with the gene-set (label)
  permutation of GSEA's preranked mode. See the function's docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from analysis.engine import formats

GeneSets = Mapping[str, tuple[str, ...]]

ORA_COLUMNS = [
    "term",
    "overlap",
    "set_size",
    "list_size",
    "background_size",
    "expected",
    "odds_ratio",
    "p_value",
    "fdr",
    "genes",
]

GSEA_COLUMNS = [
    "term",
    "es",
    "nes",
    "p_value",
    "fdr",
    "set_size",
    "leading_edge_size",
    "leading_edge",
]


def read_gmt(path: str | Path) -> dict[str, tuple[str, ...]]:
    """A GMT file (plain or ``.gz``) as ``name -> genes``, read by ``formats.read_gmt``: empty
    fields dropped, duplicated genes kept once in first-seen order, a name seen twice refused
    (it would silently merge two different sets)."""
    return {s.name: tuple(s.genes) for s in formats.read_gmt(path)}


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values; NaN entries stay NaN and are not counted."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def hypergeometric_upper(
    overlap: npt.ArrayLike,
    set_size: npt.ArrayLike,
    list_size: npt.ArrayLike,
    background_size: npt.ArrayLike,
) -> np.ndarray:
    """P(X >= overlap) for X ~ Hypergeom(background_size, set_size, list_size); vectorised."""
    k = np.asarray(overlap)
    return stats.hypergeom.sf(k - 1, background_size, set_size, list_size)


def ora(
    genes: Iterable[str],
    gene_sets: GeneSets,
    *,
    background: Iterable[str],
    min_size: int = 5,
    max_size: int = 2000,
) -> pd.DataFrame:
    """Over-representation of ``genes`` in each of ``gene_sets`` against ``background``.

    Returns one row per tested set (size after intersecting with the background within
    [min_size, max_size]), sorted by p then term, with columns ``ORA_COLUMNS``: overlap k, set
    size K, list size n, background size N, expected overlap n·K/N, the sample odds ratio
    k(N−K−n+k) / ((K−k)(n−k)) (inf when a denominator cell is 0), p, BH FDR over the tested sets
    and the overlapping genes (sorted, ';'-joined).
    """
    universe = set(background)
    if not universe:
        raise ValueError("the background is empty")
    query = set(genes) & universe
    if not query:
        raise ValueError("none of the genes is in the background (measured genes)")
    rows = []
    for term, members in gene_sets.items():
        inside = universe.intersection(members)
        if not min_size <= len(inside) <= max_size:
            continue
        hits = sorted(query & inside)
        rows.append((term, len(hits), len(inside), ";".join(hits)))
    table = pd.DataFrame(rows, columns=["term", "overlap", "set_size", "genes"])
    n_bg, n_list = len(universe), len(query)
    table["list_size"] = n_list
    table["background_size"] = n_bg
    table["expected"] = n_list * table["set_size"] / n_bg
    table["odds_ratio"] = odds_ratio(table["overlap"], table["set_size"], n_list, n_bg)
    table["p_value"] = hypergeometric_upper(table["overlap"], table["set_size"], n_list, n_bg)
    table["fdr"] = bh_adjust(table["p_value"].to_numpy())
    table = table.sort_values(["p_value", "term"], kind="stable").reset_index(drop=True)
    return table[ORA_COLUMNS]


def odds_ratio(
    k: np.ndarray | float,
    big_k: np.ndarray | float,
    n: np.ndarray | float,
    big_n: np.ndarray | float,
) -> np.ndarray:
    k = np.asarray(k, dtype=np.float64)
    big_k = np.asarray(big_k, dtype=np.float64)
    num = k * (big_n - big_k - n + k)
    den = (big_k - k) * (n - k)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            den > 0, num / np.where(den > 0, den, 1.0), np.where(num > 0, np.inf, np.nan)
        )


def top_genes(scores: pd.Series, n: int) -> tuple[list[str], list[str]]:
    """The ``n`` highest-scoring (up) and ``n`` lowest-scoring (down) genes of a signature.

    Only strictly positive scores count as up and strictly negative as down; ties are broken by
    gene id so the choice is reproducible. NaN scores are ignored.
    """
    s = scores.dropna()
    frame = pd.DataFrame({"gene": s.index.astype(str), "score": s.to_numpy(dtype=float)})
    up = frame[frame.score > 0].sort_values(["score", "gene"], ascending=[False, True])
    down = frame[frame.score < 0].sort_values(["score", "gene"], ascending=[True, True])
    return up.gene.head(n).tolist(), down.gene.head(n).tolist()


def ora_signature(
    scores: pd.Series,
    gene_sets: GeneSets,
    *,
    n_top: int = 100,
    min_size: int = 5,
    max_size: int = 2000,
) -> pd.DataFrame:
    """ORA of a signature's top ``n_top`` up and down genes, the signature's genes as background.

    ``scores``: per-gene values indexed by gene id (logFC, or the signed significance
    sign(logFC)·−log10 p to rank by significance). Returns the ``ora`` columns plus
    ``direction`` ("up" / "down"); BH is applied within each direction.
    """
    background = scores.dropna().index.astype(str)
    up, down = top_genes(scores, n_top)
    parts = []
    for direction, genes in (("up", up), ("down", down)):
        if genes:
            table = ora(
                genes, gene_sets, background=background, min_size=min_size, max_size=max_size
            )
            parts.append(table.assign(direction=direction))
    if not parts:
        raise ValueError("the signature has neither up- nor down-regulated genes")
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class GseaResult:
    """Preranked GSEA of one ranked list against a library.

    ``table``: one row per tested set (``GSEA_COLUMNS``), sorted by NES descending.
    ``ranking``: the ranked list used (gene -> score, descending).
    ``running_sums``: term -> running enrichment score at every rank position (length N).
    ``hits``: term -> 0-based rank positions of the set's genes.
    """

    table: pd.DataFrame
    ranking: pd.Series
    running_sums: dict[str, np.ndarray]
    hits: dict[str, np.ndarray]


def gsea_preranked(
    scores: pd.Series,
    gene_sets: GeneSets,
    *,
    weight: float = 1.0,
    n_perm: int = 1000,
    min_size: int = 15,
    max_size: int = 500,
    seed: int = 0,
    check: Callable[[], None] | None = None,
) -> GseaResult:
    """Preranked GSEA (Subramanian et al. 2005), gene-set permutation.

    Genes are ranked by ``scores`` descending (ties by gene id). For a set S with N_H genes in
    the list of N, the running sum adds |r_j|^weight / Σ_S |r|^weight at each hit and subtracts
    1/(N − N_H) at each miss; ES is its maximum deviation from zero. The null of each set comes
    from ``n_perm`` random permutations of the gene labels (one shared permutation of the list
    per round, applied to every set, as GSEA does), drawn from ``numpy.random.default_rng(seed)``.
    NES = ES / mean of the same-signed null ES; the nominal p is the fraction of same-signed
    null ES at least as extreme (0 means < 1/n_perm); the FDR q of NES* ≥ 0 is (fraction of all
    sets' non-negative null NES that are ≥ NES*) / (fraction of observed non-negative NES that
    are ≥ NES*), mirrored for negative NES, capped at 1. The leading edge is the set's genes at
    or before the peak (ES > 0) or at or after it (ES < 0).

    ``check``, when given, is called between rounds of permutations and before each set's null
    (a few milliseconds apart): whatever it raises (e.g. a cancellation) stops the computation.
    """
    check = check or _no_check
    ranking = _ranking(scores)
    genes = ranking.index.to_numpy()
    n = len(genes)
    position = pd.Series(np.arange(n), index=genes)
    weights = np.abs(ranking.to_numpy()) ** weight
    tested = {}
    for term, members in gene_sets.items():
        idx = np.unique(position.reindex(list(members)).dropna().to_numpy(dtype=np.int64))
        if min_size <= len(idx) <= max_size and len(idx) < n:
            tested[term] = idx
    if not tested:
        raise ValueError("no gene set has a size within [min_size, max_size] in the ranked list")
    perms = _permutations(n, n_perm, seed, check)
    es, null = {}, {}
    for term, idx in tested.items():
        check()
        es[term] = float(_enrichment_scores(idx[None, :], weights, n)[0])
        null[term] = _enrichment_scores(np.sort(perms[:, idx], axis=1), weights, n)
    table = _gsea_table(es, null)
    running, lead = {}, {}
    for term, idx in tested.items():
        check()
        running[term] = _running_sum(idx, weights, n)
        lead[term] = _leading_edge(idx, running[term], es[term], genes)
    table["set_size"] = [len(tested[t]) for t in table.term]
    table["leading_edge_size"] = [len(lead[t]) for t in table.term]
    table["leading_edge"] = [";".join(lead[t]) for t in table.term]
    table = table.sort_values(["nes", "term"], ascending=[False, True], kind="stable")
    return GseaResult(table[GSEA_COLUMNS].reset_index(drop=True), ranking, running, tested)


def _no_check() -> None:
    return None


def _permutations(n: int, n_perm: int, seed: int, check: Callable[[], None]) -> np.ndarray:
    """``n_perm`` permutations of 0..n−1 (rows), the same as one ``rng.permuted`` of the tiled
    range along axis 1, drawn in rounds of rows so that ``check`` runs between them."""
    rng = np.random.default_rng(seed)
    perms = np.tile(np.arange(n, dtype=np.int32), (n_perm, 1))
    step = max(1, (1 << 20) // max(n, 1))  # ~1 M values per round
    for start in range(0, n_perm, step):
        check()
        rng.permuted(perms[start : start + step], axis=1, out=perms[start : start + step])
    return perms


def _ranking(scores: pd.Series) -> pd.Series:
    s = scores.dropna()
    s = s[~s.index.duplicated(keep="first")]
    if s.empty:
        raise ValueError("the ranked list is empty")
    frame = pd.DataFrame({"gene": s.index.astype(str), "score": s.to_numpy(dtype=float)})
    frame = frame.sort_values(["score", "gene"], ascending=[False, True], kind="stable")
    return pd.Series(frame.score.to_numpy(), index=frame.gene.to_numpy(), name="score")


def _enrichment_scores(hits: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """ES of each row of ``hits`` (m × k sorted 0-based positions), evaluated at the hits only.

    The running sum peaks just after a hit and dips just before one (or is 0 at the ends), so
    the k hit positions are enough: after hit i (0-based) it is cw_i/N_R − (h_i − i)/(N − k).
    """
    k = hits.shape[1]
    w = weights[hits]
    cw = np.cumsum(w, axis=1)
    total = cw[:, -1:]
    flat = total[:, 0] == 0
    if flat.any():  # all hit scores are 0: fall back to unweighted hits
        w[flat] = 1.0
        cw = np.cumsum(w, axis=1)
        total = cw[:, -1:]
    misses = (hits - np.arange(k)) / (n - k)
    after = cw / total - misses
    before = (cw - w) / total - misses
    top = after.max(axis=1)
    bottom = np.minimum(before.min(axis=1), 0.0)
    return np.where(top > -bottom, top, bottom)


def _running_sum(idx: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    step = np.full(n, -1.0 / (n - len(idx)))
    w = weights[idx]
    if w.sum() == 0:
        w = np.ones_like(w)
    step[idx] = w / w.sum()
    return np.cumsum(step)


def _leading_edge(idx: np.ndarray, running: np.ndarray, es: float, genes: np.ndarray) -> list[str]:
    if es >= 0:
        peak = int(np.argmax(running))
        chosen = idx[idx <= peak]
    else:
        peak = int(np.argmin(running))
        chosen = idx[idx > peak]
    return genes[chosen].tolist()


def _gsea_table(es: dict[str, float], null: dict[str, np.ndarray]) -> pd.DataFrame:
    terms = list(es)
    nes, pval, null_nes = [], [], []
    for term in terms:
        e, z = es[term], null[term]
        pos_mean = z[z >= 0].mean() if (z >= 0).any() else np.nan
        neg_mean = -z[z < 0].mean() if (z < 0).any() else np.nan
        scale = pos_mean if e >= 0 else neg_mean
        nes.append(e / scale)
        same = z[z >= 0] if e >= 0 else z[z < 0]
        extreme = same >= e if e >= 0 else same <= e
        pval.append(extreme.mean() if len(same) else np.nan)
        null_nes.append(np.where(z >= 0, z / pos_mean, z / neg_mean))
    nes_values = np.asarray(nes)
    pooled = np.concatenate(null_nes)
    return pd.DataFrame(
        {
            "term": terms,
            "es": [es[t] for t in terms],
            "nes": nes_values,
            "p_value": pval,
            "fdr": _gsea_fdr(nes_values, pooled),
        }
    )


def _gsea_fdr(nes: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    pos_null = np.sort(pooled[pooled >= 0])
    neg_null = np.sort(pooled[pooled < 0])
    pos_obs = np.sort(nes[nes >= 0])
    neg_obs = np.sort(nes[nes < 0])
    q = np.full(len(nes), np.nan)
    for i, value in enumerate(nes):
        if np.isnan(value):
            continue
        if value >= 0:
            frac_null = _frac_at_least(pos_null, value)
            frac_obs = _frac_at_least(pos_obs, value)
        else:
            frac_null = _frac_at_most(neg_null, value)
            frac_obs = _frac_at_most(neg_obs, value)
        q[i] = min(1.0, frac_null / frac_obs) if frac_obs > 0 else np.nan
    return q


def _frac_at_least(sorted_values: np.ndarray, value: float) -> float:
    if len(sorted_values) == 0:
        return 0.0
    return (len(sorted_values) - np.searchsorted(sorted_values, value, side="left")) / len(
        sorted_values
    )


def _frac_at_most(sorted_values: np.ndarray, value: float) -> float:
    if len(sorted_values) == 0:
        return 0.0
    return np.searchsorted(sorted_values, value, side="right") / len(sorted_values)
