"""The extreme-gene selection of the connectivity ``extreme`` metric, on blocks of signatures.

One definition serves the store, which writes each signature's extreme vector when a library
is imported, and the fast path, which builds the query's: both must pick the same genes.
"""

import numpy as np


def extreme_rows(
    s: np.ndarray, gene_order: np.ndarray, n_extreme: int
) -> tuple[np.ndarray, np.ndarray]:
    """Extreme vectors of a block of signatures s (B, G), NaN -> 0, and their gene indices.

    The rule of ``connectivity.metrics`` (extreme metric), shared by the store (``signatures.io``,
    at import) and the fast path (``score``, per query): the n_extreme largest and smallest
    finite s of each row, ties by gene id ascending (gene_order = argsort of the ids);
    all finite s when a row has ≤ 2·n_extreme. Returns (values (B, G), indices (B, 2·n) int16,
    −1 padded).
    """
    s = s[:, gene_order]
    finite = np.isfinite(s)
    desc = np.argsort(np.where(finite, -s, np.inf), axis=1, kind="stable")[:, :n_extreme]
    asc = np.argsort(np.where(finite, s, np.inf), axis=1, kind="stable")[:, :n_extreme]
    keep = np.zeros(s.shape, dtype=bool)
    rows = np.arange(s.shape[0])[:, None]
    keep[rows, desc] = True
    keep[rows, asc] = True
    keep |= (finite.sum(axis=1) <= 2 * n_extreme)[:, None]
    keep &= finite
    values = np.empty(s.shape)
    values[:, gene_order] = np.where(keep, s, 0.0)
    kept = np.zeros(s.shape, dtype=bool)
    kept[:, gene_order] = keep
    row, gene = np.nonzero(kept)
    first = np.searchsorted(row, np.arange(s.shape[0]))
    index = np.full((s.shape[0], 2 * n_extreme), -1, dtype=np.int16)
    index[row, np.arange(len(row)) - first[row]] = gene
    return values, index


def kept_values(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The extreme values at each row's kept genes, in ``index`` order (float64 (B, 2·n), 0 at
    the −1 padding): what the exact re-scoring of a complete signature reads instead of its
    raw logFC and p-value rows."""
    rows = np.arange(values.shape[0])[:, None]
    return np.where(index >= 0, values[rows, np.maximum(index, 0)], 0.0)


def extreme_vector(s: np.ndarray, gene_order: np.ndarray, n_extreme: int) -> np.ndarray:
    """``extreme_rows`` of one signature whose values are all finite (the fast path's query):
    its extreme vector, the same rule without the block machinery."""
    ordered = s[gene_order]
    keep = np.zeros(len(s), dtype=bool)
    if len(s) <= 2 * n_extreme:
        keep[:] = True
    else:
        keep[np.argsort(-ordered, kind="stable")[:n_extreme]] = True
        keep[np.argsort(ordered, kind="stable")[:n_extreme]] = True
    values = np.zeros(len(s))
    values[gene_order] = np.where(keep, ordered, 0.0)
    return values
