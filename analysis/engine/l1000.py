"""L1000 signature maths: robust z-scores (level 3 → 4), MODZ (level 4 → 5), consensus genes.

Following the CMap L1000 paper (Subramanian et al. 2017, Cell 171:1437, "Data processing") and
its public test expectations (``fixtures/cmap_validation/``). Matrices are genes × samples
(rows = genes), float64, NaN = missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from analysis.engine.robust_z import MAD_FLOOR, MAD_SCALE, boolean_mask, robust_zscore

__all__ = [
    "MAD_FLOOR",
    "MAD_SCALE",
    "MODZ_CLIP",
    "MODZ_MIN_WEIGHT",
    "Consensus",
    "boolean_mask",
    "consensus_gene_signature",
    "modz",
    "modz_groups",
    "robust_zscore",
    "spearman_matrix",
]

#: Level-4 z-scores are clipped to ±10 before MODZ, as CMap does.
MODZ_CLIP = 10.0
#: Lower bound of a replicate's raw MODZ weight, so a replicate is never dropped outright.
MODZ_MIN_WEIGHT = 0.01


@dataclass(frozen=True, eq=False)
class Consensus:
    """A consensus signature (G,) and the weight (R,) each replicate received."""

    signature: np.ndarray
    weights: np.ndarray


def modz(
    zscores: np.ndarray,
    *,
    landmarks: np.ndarray | None = None,
    clip: float = MODZ_CLIP,
    min_weight: float = MODZ_MIN_WEIGHT,
) -> Consensus:
    """Moderated z-score (MODZ) consensus of replicate signatures (CMap level 5).

    zscores (G, R): R replicate level-4 signatures. After clipping to ±clip, the Spearman
    correlation of every pair of replicates is computed over the landmark rows (``landmarks``,
    a boolean mask (G,); None = all rows; rows with a NaN in any replicate are left out of
    the correlation). A replicate's weight is the sum of its correlations with the others,
    floored at ``min_weight``, then normalised to sum to 1; the consensus is the weighted sum
    of the clipped replicates. A single replicate is its clipped self with weight 1.
    """
    z = np.clip(np.asarray(zscores, dtype=np.float64), -clip, clip)
    if z.ndim != 2 or z.shape[1] == 0:
        raise ValueError("zscores must be genes × replicates with at least one replicate")
    n_rep = z.shape[1]
    if n_rep == 1:
        return Consensus(signature=z[:, 0].copy(), weights=np.ones(1))
    rows = (
        np.ones(z.shape[0], dtype=bool)
        if landmarks is None
        else boolean_mask(landmarks, z.shape[0])
    )
    rows &= np.isfinite(z).all(axis=1)
    if rows.sum() < 3:
        raise ValueError("fewer than 3 complete landmark rows to correlate replicates")
    corr = spearman_matrix(z[rows])
    np.fill_diagonal(corr, 0.0)
    raw = np.fmax(corr.sum(axis=1), min_weight)
    weights = raw / raw.sum()
    return Consensus(signature=z @ weights, weights=weights)


def spearman_matrix(x: np.ndarray) -> np.ndarray:
    """Spearman correlation between the columns of x (average ranks for ties)."""
    ranks = np.apply_along_axis(sps.rankdata, 0, x)
    return np.corrcoef(ranks, rowvar=False)


def modz_groups(
    zscores: np.ndarray,
    groups: Sequence[str],
    *,
    landmarks: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """MODZ of every group of replicate columns (e.g. one group per perturbagen/dose/time).

    Returns (signatures as a genes × groups DataFrame with columns sorted by group name,
    {group: replicate weights in column order}).
    """
    zscores = np.asarray(zscores, dtype=np.float64)
    labels = np.asarray(groups, dtype=object)
    if labels.shape != (zscores.shape[1],):
        raise ValueError("one group label per column is needed")
    columns, weights = {}, {}
    for name in sorted(set(labels)):
        result = modz(zscores[:, labels == name], landmarks=landmarks)
        columns[name] = result.signature
        weights[name] = result.weights
    return pd.DataFrame(columns), weights


def consensus_gene_signature(
    zscores: np.ndarray, *, landmarks: np.ndarray | None = None
) -> Consensus:
    """Consensus gene signature (CGS) of the shRNA (or sgRNA) signatures targeting one gene.

    zscores (G, H): one signature per hairpin. CMap and iLINCS build CGSes "by the same
    procedure used to calculate MODZs" (iLINCS Methods): the hairpins' signatures are combined
    with Spearman-correlation weights, so hairpins that agree with the others (the on-target
    effect) dominate and a hairpin driven by its seed-sequence off-target effects is down-
    weighted.
    """
    return modz(zscores, landmarks=landmarks)
