"""Exploration of a group of signatures or samples: PCA, t-SNE, clustering, correlations.

Every function takes a ``matrix``: a DataFrame of genes (rows) × items (columns: signatures or
samples), and describes the items. Genes with a missing value in any item are dropped before
PCA, t-SNE and clustering (they need complete vectors); the correlation matrix uses pairwise
complete genes instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits


@dataclass(frozen=True)
class Embedding:
    """Coordinates of the items: ``coords`` is items × components (columns PC1… or tSNE1…);
    ``explained_variance_ratio`` is set for PCA only."""

    coords: pd.DataFrame
    explained_variance_ratio: np.ndarray | None = None


@dataclass(frozen=True)
class Clustering:
    """Hierarchical clustering of the items: the scipy ``linkage`` matrix ((n−1) × 4, merge
    heights = 1 − Pearson r under average linkage) and the dendrogram's leaf ``order``."""

    linkage: np.ndarray
    order: list[str]


def _complete(matrix: pd.DataFrame, min_items: int) -> pd.DataFrame:
    complete = matrix.astype(float).dropna(axis=0, how="any")
    if complete.shape[1] < min_items:
        raise ValueError(f"at least {min_items} signatures or samples are needed")
    if complete.shape[0] < 2:
        raise ValueError("fewer than two genes have a value in every signature or sample")
    return complete


def pca(matrix: pd.DataFrame, *, n_components: int = 2) -> Embedding:
    """PCA of the items (genes are the variables, centred but not scaled, as R's prcomp)."""
    data = _complete(matrix, 2)
    k = min(n_components, *data.shape)
    model = PCA(n_components=k, svd_solver="full")
    coords = model.fit_transform(data.T.to_numpy())
    columns = [f"PC{i + 1}" for i in range(k)]
    frame = pd.DataFrame(coords, index=data.columns, columns=columns)
    return Embedding(frame, model.explained_variance_ratio_)


def tsne_perplexity(n_items: int) -> float:
    """scikit-learn's default 30, lowered to (n − 1)/3 for small groups (it must stay < n)."""
    return float(max(1.0, min(30.0, (n_items - 1) / 3)))


def tsne(matrix: pd.DataFrame, *, seed: int = 0, perplexity: float | None = None) -> Embedding:
    """2-D t-SNE of the items (scikit-learn, PCA initialisation, seeded: reproducible)."""
    data = _complete(matrix, 3)
    n = data.shape[1]
    model = TSNE(
        n_components=2,
        perplexity=perplexity or tsne_perplexity(n),
        init="pca",
        random_state=seed,
        learning_rate="auto",
    )
    # One OpenMP thread: for a few hundred items the Barnes-Hut threads only spin, and on a
    # busy machine they slow the embedding many times over (figures in docs/enrichment.md).
    with threadpool_limits(limits=1, user_api="openmp"):
        coords = model.fit_transform(data.T.to_numpy())
    return Embedding(pd.DataFrame(coords, index=data.columns, columns=["tSNE1", "tSNE2"]))


def correlation_matrix(matrix: pd.DataFrame, *, method: str = "pearson") -> pd.DataFrame:
    """Items × items correlation (``pearson`` or ``spearman``) over pairwise complete genes."""
    if method not in {"pearson", "spearman"}:
        raise ValueError(f"unknown correlation method {method!r}")
    return matrix.astype(float).corr(method=method)


def cluster(matrix: pd.DataFrame) -> Clustering:
    """Average-linkage clustering of the items on the distance 1 − Pearson r.

    A constant item has no defined correlation; it is given r = 0 (distance 1) to all others.
    """
    data = _complete(matrix, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(data.T.to_numpy())
    r = np.nan_to_num(r, nan=0.0)  # a constant vector is uncorrelated with everything
    distance = np.clip(1.0 - r, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    link = hierarchy.linkage(squareform(distance, checks=False), method="average")
    order = hierarchy.leaves_list(link)
    return Clustering(link, data.columns[order].astype(str).tolist())


def clustered(matrix: pd.DataFrame, *, rows: bool = True, columns: bool = True) -> pd.DataFrame:
    """The complete part of ``matrix`` with rows and/or columns in dendrogram leaf order."""
    data = _complete(matrix, 2)
    if columns:
        data = data.iloc[:, hierarchy.leaves_list(cluster(data).linkage)]
    if rows:
        data = data.iloc[hierarchy.leaves_list(cluster(data.T).linkage)]
    return data
