"""Connectivity of a query signature with a library of signatures (the reference definitions).

This module is the readable, exact reference of the iLINCS connectivity metrics (Pilarczyk et
al. 2022, Nat. Commun. 13:4678, Methods "Signature connectivity analysis"); the fast store
re-implements the same numbers and is tested against these functions, and these functions are
tested against ``../shared/oracle/connectivity_ref.R``.

A library is given as arrays:

- ``lib_genes``: int64 Entrez ids, shape (G,), unique;
- ``lib_logfc``: float, shape (G, S), logFC (or a z-score) of gene g in signature s;
- ``lib_p``: float, shape (G, S), its p-value, or None;
- NaN (in either matrix) = gene not measured in that signature.

Metrics (one row per library signature):

``extreme``
    Pearson correlation of the *extreme signed significance* vectors. s = sign(logFC)·(−log10 p)
    with p clamped to ``p_floor`` (:data:`analysis.engine.stats.P_FLOOR`). Within one signature,
    over all of its own genes with a finite s, the ``n_extreme`` largest (order s descending,
    ties by gene id ascending) and the ``n_extreme`` smallest (s ascending, ties by gene id
    ascending) keep their s and every other gene gets 0; a signature with ≤ 2·n_extreme genes
    keeps all of them. The selection is made on each side *before* the two are intersected;
    r is then taken over the genes both sides have (nGenes).
``weighted``
    Weighted Pearson correlation of logFC over the genes with finite logFC and p on both sides,
    weights w = −log10 p_query − log10 p_library (p clamped). A query without p-values uses
    w = −log10 p_library (as iLINCS does); a library without p-values uses the query's term.
``updown``
    Pearson correlation of ±1 codes (up = +1, down = −1) with the library logFC over the listed
    genes the signature measures. From a full signature, the list is the ``n_updown`` genes
    with the smallest query p (ties by gene id; logFC = 0 dropped), coded by the sign of logFC.
``pearson``
    Plain Pearson correlation of logFC over the genes measured on both sides.
``randomset`` (plain gene list)
    See :func:`random_set`.

p-values are two-sided, from t = r·sqrt((n−2)/(1−r²)) on n−2 degrees of freedom over the n
shared genes (this reproduces the p-values printed by the iLINCS API); FDR is Benjamini–
Hochberg over the library's signatures. A row whose nGenes is below ``min_overlap`` is still
scored but flagged ``lowOverlap`` and left out of the FDR family (its FDR is NaN); so is a row
whose correlation is undefined (a constant vector, fewer than 3 genes).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

from analysis.engine.stats import (
    P_FLOOR,
    bh_fdr,
    neg_log10_p,
    p_from_r,
    pearson,
    random_set_z,
    signed_significance,
    weighted_pearson,
)

METRICS = ("extreme", "weighted", "updown", "pearson", "randomset")
COLUMNS = ["signature", "similarity", "pValue", "FDR", "nGenes", "lowOverlap"]
DEFAULT_MIN_OVERLAP = 10


def _gene_ids(values: npt.ArrayLike, name: str) -> np.ndarray:
    genes = np.asarray(values)
    if genes.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if genes.size and not np.issubdtype(genes.dtype, np.integer):
        as_int = genes.astype(np.int64)
        if not np.array_equal(as_int, genes):
            raise ValueError(f"{name} must be integer Entrez gene ids")
        genes = as_int
    genes = genes.astype(np.int64)
    ordered = np.sort(genes)  # a repeat sits next to its twin (np.unique costs 5x more here)
    if (ordered[1:] == ordered[:-1]).any():
        raise ValueError(f"duplicated gene ids in {name}")
    return genes


@dataclass(frozen=True, eq=False)
class FullSignature:
    """A full query signature: Entrez ids (n,), logFC (n,), optional p-values (n,) in [0, 1]."""

    genes: np.ndarray
    logfc: np.ndarray
    pvalue: np.ndarray | None = None

    def __post_init__(self) -> None:
        genes = _gene_ids(self.genes, "genes")
        logfc = np.asarray(self.logfc, dtype=np.float64)
        if logfc.shape != genes.shape:
            raise ValueError("logfc must have one value per gene")
        object.__setattr__(self, "genes", genes)
        object.__setattr__(self, "logfc", logfc)
        if self.pvalue is not None:
            p = np.asarray(self.pvalue, dtype=np.float64)
            if p.shape != genes.shape:
                raise ValueError("pvalue must have one value per gene")
            if np.any((p < 0) | (p > 1)):
                raise ValueError("p-values must lie in [0, 1]")
            object.__setattr__(self, "pvalue", p if np.isfinite(p).any() else None)

    @property
    def has_p(self) -> bool:
        return self.pvalue is not None


@dataclass(frozen=True, eq=False)
class UpDownSignature:
    """Lists of up- and down-regulated Entrez ids (disjoint)."""

    up: np.ndarray
    down: np.ndarray

    def __post_init__(self) -> None:
        up = _gene_ids(self.up, "up")
        down = _gene_ids(self.down, "down")
        if np.intersect1d(up, down).size:
            raise ValueError("a gene cannot be both up and down")
        if up.size + down.size == 0:
            raise ValueError("the up/down lists are empty")
        object.__setattr__(self, "up", up)
        object.__setattr__(self, "down", down)

    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(genes, ±1 codes)."""
        genes = np.concatenate([self.up, self.down])
        return genes, np.concatenate([np.ones(self.up.size), -np.ones(self.down.size)])


@dataclass(frozen=True, eq=False)
class GeneList:
    """A plain list of Entrez ids, without direction."""

    genes: np.ndarray

    def __post_init__(self) -> None:
        genes = _gene_ids(self.genes, "genes")
        if genes.size == 0:
            raise ValueError("the gene list is empty")
        object.__setattr__(self, "genes", genes)


Query = FullSignature | UpDownSignature | GeneList
#: Scores one library column j: (similarity, genes used).
ScoreOne = Callable[[int], tuple[float, int]]


def extreme_vector(genes: np.ndarray, s: np.ndarray, n_extreme: int = 100) -> np.ndarray:
    """Extreme signed significance of one signature (iLINCS Methods eq. 2), same shape as s.

    Over the genes with a finite s, keeps the n_extreme largest and the n_extreme smallest s
    (ties by gene id ascending on each side) and sets the others to 0; a signature with
    ≤ 2·n_extreme finite genes keeps them all. Non-finite s stays NaN (gene not measured).
    """
    ok = np.flatnonzero(np.isfinite(s))
    out = np.full(s.shape, np.nan)
    if len(ok) <= 2 * n_extreme:
        out[ok] = s[ok]
        return out
    g, v = genes[ok], s[ok]
    top = ok[np.lexsort((g, -v))[:n_extreme]]
    bottom = ok[np.lexsort((g, v))[:n_extreme]]
    out[ok] = 0.0
    out[top] = s[top]
    out[bottom] = s[bottom]
    return out


def updown_from_signature(query: FullSignature, n_updown: int = 100) -> UpDownSignature:
    """The query's ``n_updown`` smallest-p genes (ties by gene id), split by the sign of logFC."""
    if query.pvalue is None:
        raise ValueError("a query without p-values needs explicit up/down lists")
    ok = np.isfinite(query.pvalue) & np.isfinite(query.logfc) & (query.logfc != 0)
    genes, p, lfc = query.genes[ok], query.pvalue[ok], query.logfc[ok]
    chosen = np.lexsort((genes, p))[:n_updown]
    return UpDownSignature(up=genes[chosen][lfc[chosen] > 0], down=genes[chosen][lfc[chosen] < 0])


def _align(query_genes: np.ndarray, lib_genes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices (iq, il) of the genes present in both, in query order."""
    position = pd.Index(lib_genes).get_indexer(query_genes)
    iq = np.flatnonzero(position >= 0)
    return iq, position[iq]


def _correlation_rows(n_signatures: int, score_one: ScoreOne) -> tuple[np.ndarray, np.ndarray]:
    r = np.full(n_signatures, np.nan)
    n = np.zeros(n_signatures, dtype=np.int64)
    for j in range(n_signatures):
        r[j], n[j] = score_one(j)
    return r, n


def _extreme(
    query: FullSignature,
    lib_genes: np.ndarray,
    lib_logfc: np.ndarray,
    lib_p: np.ndarray | None,
    *,
    n_extreme: int,
    p_floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    if query.pvalue is None or lib_p is None:
        raise ValueError("the extreme metric needs p-values in the query and the library")
    # each side picks its extremes among all of its own genes, before the intersection
    q_s = signed_significance(query.logfc, query.pvalue, floor=p_floor)
    iq, il = _align(query.genes, lib_genes)
    q_ext = extreme_vector(query.genes, q_s, n_extreme)[iq]

    def one(j: int) -> tuple[float, int]:
        s = signed_significance(lib_logfc[:, j], lib_p[:, j], floor=p_floor)
        l_ext = extreme_vector(lib_genes, s, n_extreme)[il]
        shared = np.isfinite(q_ext) & np.isfinite(l_ext)
        return _pearson_if_enough(q_ext[shared], l_ext[shared]), int(shared.sum())

    return _correlation_rows(lib_logfc.shape[1], one)


def _weighted(
    query: FullSignature,
    lib_genes: np.ndarray,
    lib_logfc: np.ndarray,
    lib_p: np.ndarray | None,
    *,
    p_floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    if not query.has_p and lib_p is None:
        raise ValueError("the weighted metric needs p-values in the query or the library")
    q_ok = np.isfinite(query.logfc)
    if query.pvalue is not None:
        q_ok &= np.isfinite(query.pvalue)
    iq, il = _align(query.genes[q_ok], lib_genes)
    x_all = query.logfc[q_ok][iq]
    wq = neg_log10_p(query.pvalue[q_ok][iq], floor=p_floor) if query.pvalue is not None else 0.0

    def one(j: int) -> tuple[float, int]:
        y = lib_logfc[il, j].astype(np.float64)
        ok = np.isfinite(y)
        w = np.broadcast_to(wq, y.shape)
        if lib_p is not None:
            pl = lib_p[il, j].astype(np.float64)
            ok &= np.isfinite(pl)
            w = w + neg_log10_p(pl, floor=p_floor)
        n = int(ok.sum())
        r = weighted_pearson(x_all[ok], y[ok], w[ok]) if n >= 3 else np.nan
        return r, n

    return _correlation_rows(lib_logfc.shape[1], one)


def _updown(
    query: FullSignature | UpDownSignature,
    lib_genes: np.ndarray,
    lib_logfc: np.ndarray,
    *,
    n_updown: int,
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(query, FullSignature):
        query = updown_from_signature(query, n_updown)
    genes, codes = query.codes()
    iq, il = _align(genes, lib_genes)

    def one(j: int) -> tuple[float, int]:
        y = lib_logfc[il, j].astype(np.float64)
        ok = np.isfinite(y)
        return _pearson_if_enough(codes[iq][ok], y[ok]), int(ok.sum())

    return _correlation_rows(lib_logfc.shape[1], one)


def _pearson_metric(
    query: FullSignature, lib_genes: np.ndarray, lib_logfc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(query.logfc)
    iq, il = _align(query.genes[ok], lib_genes)
    x = query.logfc[ok][iq]

    def one(j: int) -> tuple[float, int]:
        y = lib_logfc[il, j].astype(np.float64)
        fin = np.isfinite(y)
        return _pearson_if_enough(x[fin], y[fin]), int(fin.sum())

    return _correlation_rows(lib_logfc.shape[1], one)


def _pearson_if_enough(x: np.ndarray, y: np.ndarray) -> float:
    return pearson(x, y) if len(x) >= 3 else np.nan


def _check_library(
    lib_genes: npt.ArrayLike,
    lib_logfc: npt.ArrayLike,
    lib_p: npt.ArrayLike | None,
    signature_ids: Sequence[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    genes = _gene_ids(lib_genes, "lib_genes")
    logfc = np.asarray(lib_logfc)
    if logfc.ndim != 2 or logfc.shape[0] != len(genes):
        raise ValueError("lib_logfc must be (genes, signatures) and match lib_genes")
    if lib_p is not None and np.shape(lib_p) != logfc.shape:
        raise ValueError("lib_p must have the shape of lib_logfc")
    if len(signature_ids) != logfc.shape[1]:
        raise ValueError("one signature id per library column is needed")
    return genes, logfc, (None if lib_p is None else np.asarray(lib_p))


def _table(
    signature_ids: Sequence[str], r: np.ndarray, p: np.ndarray, n: np.ndarray, min_overlap: int
) -> pd.DataFrame:
    low = n < min_overlap
    fdr = bh_fdr(np.where(low, np.nan, p))
    return pd.DataFrame(
        {
            "signature": list(signature_ids),
            "similarity": r,
            "pValue": p,
            "FDR": fdr,
            "nGenes": n.astype(np.int64),
            "lowOverlap": low,
        },
        columns=COLUMNS,
    )


def connectivity(
    query: Query,
    lib_genes: np.ndarray,
    lib_logfc: np.ndarray,
    lib_p: np.ndarray | None,
    *,
    metric: str,
    signature_ids: Sequence[str],
    n_extreme: int = 100,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    n_updown: int = 100,
    p_floor: float = P_FLOOR,
) -> pd.DataFrame:
    """Score a query against every signature of a library.

    query: :class:`FullSignature` (metrics extreme, weighted, updown, pearson),
    :class:`UpDownSignature` (updown) or :class:`GeneList` (randomset).
    lib_genes (G,) int64, lib_logfc (G, S), lib_p (G, S) or None; NaN = not measured.
    signature_ids: S names, in column order.

    Returns one row per library column, in library order, with columns
    ``signature similarity pValue FDR nGenes lowOverlap`` (see the module docstring for the
    definitions; for randomset, similarity is the random-set z-score).
    """
    lib_genes, lib_logfc, lib_p = _check_library(lib_genes, lib_logfc, lib_p, signature_ids)
    allowed = {
        FullSignature: ("extreme", "weighted", "updown", "pearson"),
        UpDownSignature: ("updown",),
        GeneList: ("randomset",),
    }[type(query)]
    if metric not in allowed:
        raise ValueError(
            f"metric {metric!r} does not apply to a {type(query).__name__} query; "
            f"use one of {', '.join(allowed)}"
        )
    if metric == "randomset":
        return random_set(
            cast(GeneList, query),  # the only query type randomset allows (above)
            lib_genes,
            lib_logfc,
            lib_p,
            signature_ids=signature_ids,
            min_overlap=min_overlap,
            p_floor=p_floor,
        )
    if metric == "extreme":
        full = cast(FullSignature, query)  # as for every metric but updown and randomset
        r, n = _extreme(full, lib_genes, lib_logfc, lib_p, n_extreme=n_extreme, p_floor=p_floor)
    elif metric == "weighted":
        r, n = _weighted(cast(FullSignature, query), lib_genes, lib_logfc, lib_p, p_floor=p_floor)
    elif metric == "updown":
        r, n = _updown(
            cast(FullSignature | UpDownSignature, query), lib_genes, lib_logfc, n_updown=n_updown
        )
    else:
        r, n = _pearson_metric(cast(FullSignature, query), lib_genes, lib_logfc)
    return _table(signature_ids, r, p_from_r(r, n), n, min_overlap)


def random_set(
    query: GeneList,
    lib_genes: np.ndarray,
    lib_logfc: np.ndarray,
    lib_p: np.ndarray | None,
    *,
    signature_ids: Sequence[str],
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    p_floor: float = P_FLOOR,
) -> pd.DataFrame:
    """Random-set enrichment of a gene list in each library signature.

    The per-gene score of a signature is its significance, −log10 p (p clamped to
    ``p_floor``), or |logFC| when the library has no p-values. For each signature, over the
    genes it measures (N of them, population mean μ and variance σ² with divisor N), the mean
    score of the k listed genes it measures is compared with random sets of k genes drawn
    without replacement: z = (mean − μ) / sqrt(σ²/k · (N − k)/(N − 1)) (Newton et al. 2007).
    similarity = z; pValue = P(Z ≥ z), one-sided (the list is enriched for strongly changed
    genes); FDR by BH over the library; nGenes = k.
    """
    lib_genes, lib_logfc, lib_p = _check_library(lib_genes, lib_logfc, lib_p, signature_ids)
    in_list = np.isin(lib_genes, query.genes)
    n_sig = lib_logfc.shape[1]
    z = np.full(n_sig, np.nan)
    k = np.zeros(n_sig, dtype=np.int64)
    for j in range(n_sig):
        if lib_p is None:
            score = np.abs(lib_logfc[:, j].astype(np.float64))
        else:
            score = neg_log10_p(lib_p[:, j], floor=p_floor)
            score[~np.isfinite(lib_logfc[:, j])] = np.nan
        ok = np.isfinite(score)
        hits = score[ok & in_list]
        k[j] = len(hits)
        if k[j]:
            pop = score[ok]
            z[j] = random_set_z(hits.mean(), k[j], pop.mean(), pop.var(), len(pop))
    return _table(signature_ids, z, sps.norm.sf(z), k, min_overlap)


def perturbagen_connectivity(
    scores: np.ndarray, perturbagens: Sequence[str], *, min_signatures: int = 1
) -> pd.DataFrame:
    """Connectivity of a query with each perturbagen, from its signature-level scores.

    scores (S,): the similarity of the query with every signature of a library (NaN = not
    scored; left out); perturbagens (S,): the perturbagen of each signature. For each
    perturbagen with k scored signatures, the mean of its scores is compared with random sets
    of k signatures of the library (:func:`analysis.engine.stats.random_set_z`), as in the
    iLINCS paper's "Perturbagen connectivity analysis".

    The paper asks whether a perturbagen's scores are unusually high (concordant, ``+``) or
    unusually low (discordant, ``-``). Both branches are computed here from their own tail:
    pValueUp = P(Z ≥ z) and pValueDown = P(Z ≤ z), each with its own BH FDR over the
    perturbagens. (iLINCS' R code reuses the "up" statistics in its "down" branch; this is the
    paper's intent, not that code.) connDirection is the sign of z.
    Columns: perturbagen nSignatures meanScore zScore pValueUp FDRUp pValueDown FDRDown
    connDirection; one row per perturbagen, sorted by name.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(perturbagens, dtype=object)
    if scores.shape != labels.shape:
        raise ValueError("one perturbagen per score is needed")
    ok = np.isfinite(scores)
    frame = pd.DataFrame({"perturbagen": labels[ok], "score": scores[ok]})
    pop = frame["score"].to_numpy()
    groups = frame.groupby("perturbagen", sort=True)["score"].agg(["size", "mean"])
    groups = groups[groups["size"] >= min_signatures]
    z = random_set_z(groups["mean"], groups["size"], pop.mean(), pop.var(), len(pop))
    p_up, p_down = sps.norm.sf(z), sps.norm.cdf(z)
    return pd.DataFrame(
        {
            "perturbagen": groups.index.to_numpy(),
            "nSignatures": groups["size"].to_numpy(dtype=np.int64),
            "meanScore": groups["mean"].to_numpy(),
            "zScore": z,
            "pValueUp": p_up,
            "FDRUp": bh_fdr(p_up),
            "pValueDown": p_down,
            "FDRDown": bh_fdr(p_down),
            "connDirection": np.where(z > 0, "+", np.where(z < 0, "-", "")),
        }
    )


def enrichment_score(
    ordered_ids: np.ndarray,
    ordered_scores: np.ndarray,
    gene_set: Iterable[Any],
    *,
    weighted: bool = True,
) -> float:
    """Running-sum (Kolmogorov–Smirnov-like) enrichment score of a gene set in a ranked list.

    ordered_ids / ordered_scores: the signature's genes from most up (first) to most down.
    Walking down the list, a hit adds |score|^w / N_R (w = 1 weighted, 0 unweighted; N_R = the
    sum of |score|^w over the hits) and a miss subtracts 1/(N − N_H); ES is the running sum's
    largest deviation from zero, with its sign (Subramanian et al. 2005; CMap: Lamb et al.
    2006, Subramanian et al. 2017). Set genes absent from the list are ignored; NaN when no
    set gene is present.
    """
    hits = np.isin(ordered_ids, np.asarray(list(gene_set), dtype=ordered_ids.dtype))
    n_hits = int(hits.sum())
    n = len(ordered_ids)
    if n_hits == 0 or n_hits == n:
        return float("nan")
    weight = np.abs(ordered_scores) if weighted else np.ones(n)
    total = weight[hits].sum()
    if not total > 0:
        return float("nan")
    step = np.where(hits, weight / total, -1.0 / (n - n_hits))
    running = np.cumsum(step)
    high, low = running.max(), running.min()
    return float(high if high > -low else low)


def wtcs(
    ids: np.ndarray,
    scores: np.ndarray,
    up: Collection[Any],
    down: Collection[Any],
    *,
    ranks: np.ndarray | None = None,
    weighted: bool = True,
    signature_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """CMap weighted connectivity score of an up/down query with each signature.

    ids (G,): gene (or probe) ids; scores (G, S): the signatures (NaN = not measured);
    ranks (G, S), optional: 1 = most up-regulated, as CMap stores them (default: order by score
    descending, ties by id). ES_up and ES_down are :func:`enrichment_score` of the two sets;
    WTCS = (ES_up − ES_down)/2 when they have opposite signs, else 0 (Subramanian et al. 2017,
    Cell 171:1437). With only one set, WTCS is ES_up, or −ES_down. Columns: signature esUp
    esDown wtcs.
    """
    ids = np.asarray(ids)
    scores = np.asarray(scores, dtype=np.float64).reshape(len(ids), -1)
    n_sig = scores.shape[1]
    rows = []
    for j in range(n_sig):
        ok = np.isfinite(scores[:, j])
        if ranks is not None:
            order = np.argsort(np.asarray(ranks)[:, j][ok], kind="stable")
        else:
            order = np.lexsort((ids[ok], -scores[:, j][ok]))
        oid, osc = ids[ok][order], scores[:, j][ok][order]
        es_up = enrichment_score(oid, osc, up, weighted=weighted) if len(up) else np.nan
        es_dn = enrichment_score(oid, osc, down, weighted=weighted) if len(down) else np.nan
        rows.append((es_up, es_dn, _combine(es_up, es_dn)))
    table = pd.DataFrame(rows, columns=["esUp", "esDown", "wtcs"])
    table.insert(0, "signature", list(signature_ids) if signature_ids else range(n_sig))
    return table


def _combine(es_up: float, es_dn: float) -> float:
    if np.isnan(es_dn):
        return es_up
    if np.isnan(es_up):
        return -es_dn
    return (es_up - es_dn) / 2 if np.sign(es_up) != np.sign(es_dn) else 0.0
