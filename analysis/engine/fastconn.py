"""Fast connectivity: the reference metrics of ``analysis.engine.connectivity`` over the store.

The store (``signatures.io``, ``docs/store.md``) keeps, next to the raw float64 values
(signature-major), gene-major float32 *screening layouts*: ``z`` (column-standardised logFC),
``y`` (logFC), ``y2`` (logFC²), ``ext`` (extreme signed significance), ``b`` (−log10 p) and
``by`` (b·logFC), with their per-signature sums in ``moments``. Each metric is a handful of
sums over gene rows of those layouts, so a query reads only the rows of the genes it needs
(BLAS ``saxpy`` per row, or one ``gemv`` when most rows are needed):

- pearson: r = x_c·z / |x_c| with full overlap (one gemv); otherwise from y and y2 row sums;
- extreme: the query's ≤ 2·n_extreme non-zero genes against ``ext`` rows, plus moments;
- updown: up rows and down rows of ``y``, the listed rows of ``y2``;
- weighted: with w = a (query) + b (library), every weighted sum splits into products of the
  query vectors with ``y``, ``y2``, ``b`` and ``by`` rows;
- randomset: listed rows of ``b`` against the population moments.

Screening is float32; the best candidates (top + a margin, widened until the margin holds) are
then **re-scored exactly** in float64 from the raw values, with the same definitions as the
reference (two-pass centred sums), so returned similarities and p-values equal the reference
to ~1e-15. Signatures with a missing value (``nan_columns``) are always scored exactly.
FDR is Benjamini–Hochberg over the whole library; it uses the screened p-values of rows that
were not re-scored (relative error ~1e-6) and, when every row has the same nGenes (p monotone in
the statistic), only the sorted prefix of p-values it needs.

No Django here: the library is any object with the attributes of
``signatures.io.LibraryMatrices`` (``arrays_library`` builds one in memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.linalg import blas

from analysis.engine.connectivity import (
    DEFAULT_MIN_OVERLAP,
    FullSignature,
    GeneList,
    UpDownSignature,
    updown_from_signature,
)
from analysis.engine.stats import P_FLOOR, bh_fdr, p_from_r, random_set_z

COLUMNS = ["signature", "column", "similarity", "pValue", "FDR", "nGenes", "lowOverlap"]
ORDERS = ("abs", "up", "down")
MARGIN = 1e-4  # screened statistics are trusted to this absolute error when choosing rows
EXACT_BLOCK = 2048
GEMV_FRACTION = 0.25  # above this share of gene rows one gemv beats a saxpy per row


@dataclass(frozen=True, eq=False)
class ArraysLibrary:
    """An in-memory library with the store's layouts (tests, files given on the command line)."""

    genes: np.ndarray
    signature_ids: tuple[str, ...]
    logfc: np.ndarray
    pvalue: np.ndarray | None
    layouts: dict = field(default_factory=dict)
    moments: dict = field(default_factory=dict)
    nan_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_extreme: int = 100
    p_floor: float = P_FLOOR
    version: str = "in-memory"


def extreme_rows(s: np.ndarray, gene_order: np.ndarray, n_extreme: int) -> np.ndarray:
    """Extreme vectors of a block of signatures s (B, G), NaN -> 0 (same rule as the store)."""
    s = s[:, gene_order]
    finite = np.isfinite(s)
    desc = np.argsort(np.where(finite, -s, np.inf), axis=1, kind="stable")[:, :n_extreme]
    asc = np.argsort(np.where(finite, s, np.inf), axis=1, kind="stable")[:, :n_extreme]
    keep = np.zeros(s.shape, dtype=bool)
    rows = np.arange(s.shape[0])[:, None]
    keep[rows, desc] = True
    keep[rows, asc] = True
    keep |= (finite.sum(axis=1) <= 2 * n_extreme)[:, None]
    out = np.where(keep & finite, s, 0.0)
    result = np.empty_like(out)
    result[:, gene_order] = out
    return result


def arrays_library(genes, logfc, pvalue, signature_ids, *, n_extreme: int = 100, p_floor=P_FLOOR):
    """Build the layouts of a (G, S) library in memory, as ``signatures.io`` does on disk."""
    genes = np.asarray(genes, dtype=np.int64)
    y = np.asarray(logfc, dtype=np.float64).T
    p = None if pvalue is None else np.asarray(pvalue, dtype=np.float64).T
    fin = np.isfinite(y)
    y0 = np.where(fin, y, 0.0)
    n = fin.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(fin, y0 - y0.sum(axis=1, keepdims=True) / np.maximum(n, 1), 0.0)
        norm = np.sqrt((d * d).sum(axis=1, keepdims=True))
        z = np.where(norm > 0, d / norm, 0.0)
    lay = {"z": z, "y": y0, "y2": y0 * y0}
    bad = ~fin
    mom = {"n": n[:, 0].astype(np.float64)}
    if p is not None:
        ok = fin & np.isfinite(p)
        bad |= ~np.isfinite(p)
        b = np.where(ok, -np.log10(np.fmax(np.where(ok, p, 1.0), p_floor)), 0.0)
        s = np.where(ok, np.sign(y0) * b, np.nan)
        lay.update(ext=extreme_rows(s, np.argsort(genes, kind="stable"), n_extreme), b=b)
        lay["by"] = b * y0
        mom["by2_sum"] = (b * y0 * y0).sum(axis=1)
    layouts = {k: np.ascontiguousarray(v.T, dtype=np.float32) for k, v in lay.items()}
    for name in ("z", "y", "ext", "b"):
        if name in layouts:
            v = layouts[name].astype(np.float64)
            mom[f"{name}_sum"], mom[f"{name}_sq"] = v.sum(axis=0), (v * v).sum(axis=0)
    if "by" in layouts:
        mom["by_sum"] = layouts["by"].astype(np.float64).sum(axis=0)
    return ArraysLibrary(
        genes=genes,
        signature_ids=tuple(signature_ids),
        logfc=y.T,
        pvalue=None if p is None else p.T,
        layouts=layouts,
        moments=mom,
        nan_columns=np.flatnonzero(bad.any(axis=1)).astype(np.int64),
        n_extreme=n_extreme,
        p_floor=p_floor,
    )


# --- row sums over the gene-major layouts ------------------------------------------------


def _rowsum(matrix: np.ndarray, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_i weights_i · matrix[rows_i] as float64 (S,), accumulated in float32."""
    n_genes, n_sig = matrix.shape
    if len(rows) == 0:
        return np.zeros(n_sig)
    if len(rows) > GEMV_FRACTION * n_genes:
        v = np.zeros(n_genes, dtype=np.float32)
        np.add.at(v, rows, weights)
        return (v @ matrix).astype(np.float64)
    acc = np.zeros(n_sig, dtype=np.float32)
    for g, w in zip(rows.tolist(), np.asarray(weights, dtype=np.float32).tolist(), strict=True):
        if w != 0.0:
            acc = blas.saxpy(matrix[g], acc, a=w)
    return acc.astype(np.float64)


def _rowsum_prod(m1: np.ndarray, m2: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Σ_i m1[rows_i]·m2[rows_i] (element-wise) as float64 (S,)."""
    acc = np.zeros(m1.shape[1], dtype=np.float32)
    tmp = np.empty(m1.shape[1], dtype=np.float32)
    for g in rows.tolist():
        np.multiply(m1[g], m2[g], out=tmp)
        acc = blas.saxpy(tmp, acc)
    return acc.astype(np.float64)


class _Rows:
    """The library rows a query uses (``rows``) and sums over them of any layout."""

    def __init__(self, lib, rows: np.ndarray):
        self.lib = lib
        self.rows = rows
        self.n_genes = len(lib.genes)
        self.full = len(rows) == self.n_genes
        mask = np.ones(self.n_genes, dtype=bool)
        mask[rows] = False
        self.complement = np.flatnonzero(mask)

    def total(self, layout: str, moment: str) -> np.ndarray:
        """Σ over the used rows of one layout (moment = its total over all genes)."""
        if self.full:
            return self.lib.moments[moment]
        m = self.lib.layouts[layout]
        if len(self.complement) < len(self.rows):
            return self.lib.moments[moment] - _rowsum(
                m, self.complement, np.ones(len(self.complement))
            )
        return _rowsum(m, self.rows, np.ones(len(self.rows)))

    def total_prod(self, a: str, b: str, moment: str) -> np.ndarray:
        if self.full:
            return self.lib.moments[moment]
        m1, m2 = self.lib.layouts[a], self.lib.layouts[b]
        if len(self.complement) < len(self.rows):
            return self.lib.moments[moment] - _rowsum_prod(m1, m2, self.complement)
        return _rowsum_prod(m1, m2, self.rows)


def _align(query_genes: np.ndarray, lib_genes: np.ndarray):
    position = pd.Index(lib_genes).get_indexer(query_genes)
    iq = np.flatnonzero(position >= 0)
    return iq, position[iq]


def _corr(cov, vx, vy):
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(vx * vy)
    return np.where((vx > 0) & (vy > 0), np.clip(r, -1.0, 1.0), np.nan)


# --- the prepared query: what each metric needs ------------------------------------------


@dataclass
class _Plan:
    metric: str
    rows: np.ndarray  # library rows used
    x: np.ndarray  # query values on those rows (metric-specific)
    a: np.ndarray | None = None  # weighted: query weights on those rows
    in_list: np.ndarray | None = None  # randomset: library-row mask


def _plan(query, lib, metric: str, n_updown: int) -> _Plan:
    floor = lib.p_floor
    if metric == "randomset":
        if not isinstance(query, GeneList):
            raise ValueError("the randomset metric needs a plain gene list")
        in_list = np.isin(lib.genes, query.genes)
        return _Plan(metric, np.flatnonzero(in_list), np.ones(in_list.sum()), in_list=in_list)
    if metric == "updown":
        if isinstance(query, FullSignature):
            query = updown_from_signature(query, n_updown)
        if not isinstance(query, UpDownSignature):
            raise ValueError("the updown metric needs up/down lists or a full signature")
        genes, codes = query.codes()
        iq, il = _align(genes, lib.genes)
        return _Plan(metric, il, codes[iq])
    if not isinstance(query, FullSignature):
        raise ValueError(f"the {metric} metric needs a full signature (genes and logFC)")
    if metric == "extreme":
        if not query.has_p or lib.pvalue is None:
            raise ValueError("the extreme metric needs p-values in the query and the library")
        s = np.sign(query.logfc) * -np.log10(np.maximum(query.pvalue, floor))
        ok = np.isfinite(s)
        genes = query.genes[ok]
        ext = extreme_rows(s[ok][None, :], np.argsort(genes, kind="stable"), lib.n_extreme)[0]
        iq, il = _align(genes, lib.genes)
        return _Plan(metric, il, ext[iq])
    ok = np.isfinite(query.logfc)
    if metric == "weighted":
        if not query.has_p and lib.pvalue is None:
            raise ValueError("the weighted metric needs p-values in the query or the library")
        if query.has_p:
            ok &= np.isfinite(query.pvalue)
    iq, il = _align(query.genes[ok], lib.genes)
    x = query.logfc[ok][iq]
    if metric == "weighted":
        a = -np.log10(np.fmax(query.pvalue[ok][iq], floor)) if query.has_p else np.zeros(len(iq))
        return _Plan(metric, il, x, a=a)
    if metric == "pearson":
        return _Plan(metric, il, x)
    raise ValueError(f"unknown metric {metric!r}")


# --- screening (float32 layouts, columns without missing values) -------------------------


def _screen(plan: _Plan, lib) -> tuple[np.ndarray, int]:
    rows = _Rows(lib, plan.rows)
    n = len(plan.rows)
    lay = lib.layouts
    if plan.metric == "randomset":
        k = n
        big_n = len(lib.genes)
        mean = lib.moments["b_sum"] / big_n
        var = lib.moments["b_sq"] / big_n - mean * mean
        total = _rowsum(lay["b"], plan.rows, plan.x)
        return random_set_z(total / max(k, 1), k, mean, var, big_n), k
    if n < 3:
        return np.full(len(lib.signature_ids), np.nan), n
    if plan.metric == "pearson" and rows.full:
        xc = plan.x - plan.x.mean()
        return np.clip(_rowsum(lay["z"], plan.rows, xc / np.linalg.norm(xc)), -1, 1), n
    if plan.metric in ("pearson", "updown"):
        xc = plan.x - plan.x.mean()
        cov = _rowsum(lay["y"], plan.rows, xc)
        sy = rows.total("y", "y_sum")
        vy = _rowsum(lay["y2"], plan.rows, np.ones(n)) - sy * sy / n
        return _corr(cov, float(xc @ xc), vy), n
    if plan.metric == "extreme":
        nz = plan.x != 0
        num = _rowsum(lay["ext"], plan.rows[nz], plan.x[nz])
        se = rows.total("ext", "ext_sum")
        se2 = rows.total_prod("ext", "ext", "ext_sq")
        sq = plan.x.sum()
        return _corr(num - sq * se / n, float(plan.x @ plan.x) - sq * sq / n, se2 - se * se / n), n
    return _screen_weighted(plan, lib, rows), n


def _screen_weighted(plan: _Plan, lib, rows: _Rows) -> np.ndarray:
    lay, x, a, r = lib.layouts, plan.x, plan.a, plan.rows
    sw = np.full(len(lib.signature_ids), a.sum())
    swx, swxx = np.full_like(sw, a @ x), np.full_like(sw, a @ (x * x))
    swy, swyy, swxy = _rowsum(lay["y"], r, a), _rowsum(lay["y2"], r, a), _rowsum(lay["y"], r, a * x)
    if lib.pvalue is not None:
        sw = sw + rows.total("b", "b_sum")
        swx = swx + _rowsum(lay["b"], r, x)
        swxx = swxx + _rowsum(lay["b"], r, x * x)
        swy = swy + rows.total("by", "by_sum")
        swyy = swyy + rows.total_prod("by", "y", "by2_sum")
        swxy = swxy + _rowsum(lay["by"], r, x)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = swxy - swx * swy / sw
        vx = swxx - swx * swx / sw
        vy = swyy - swy * swy / sw
        r_w = cov / np.sqrt(vx * vy)
    return np.where((sw > 0) & (vx > 0) & (vy > 0), r_w, np.nan)


# --- exact float64 scoring of chosen columns ---------------------------------------------


def _exact(plan: _Plan, lib, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(similarity, nGenes) of library columns ``cols``, float64, the reference definitions."""
    r_out = np.full(len(cols), np.nan)
    n_out = np.zeros(len(cols), dtype=np.int64)
    for start in range(0, len(cols), EXACT_BLOCK):
        block = np.sort(cols[start : start + EXACT_BLOCK])
        order = np.searchsorted(block, cols[start : start + EXACT_BLOCK])
        r, n = _exact_block(plan, lib, block)
        r_out[start : start + len(block)] = r[order]
        n_out[start : start + len(block)] = n[order]
    return r_out, n_out


def _raw(matrix, cols, rows=None):
    block = np.asarray(matrix.T[cols], dtype=np.float64)  # signature-major rows
    return block if rows is None else block[:, rows]


def _masked_pearson(x, y, mask):
    """Two-pass Pearson per row of y (k, m) against x (m,) (or (k, m)) over mask."""
    n = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = np.where(mask, x, 0.0).sum(axis=1) / n
        ym = np.where(mask, y, 0.0).sum(axis=1) / n
        dx = np.where(mask, x - xm[:, None], 0.0)
        dy = np.where(mask, y - ym[:, None], 0.0)
        sxx, syy = (dx * dx).sum(axis=1), (dy * dy).sum(axis=1)
        r = np.clip((dx * dy).sum(axis=1) / np.sqrt(sxx * syy), -1.0, 1.0)
    return np.where((n >= 3) & (sxx > 0) & (syy > 0), r, np.nan), n


def _exact_block(plan: _Plan, lib, cols):
    floor = lib.p_floor
    if plan.metric == "randomset":
        return _exact_randomset(plan, lib, cols)
    if plan.metric == "extreme":
        y = _raw(lib.logfc, cols)
        p = _raw(lib.pvalue, cols)
        s = np.sign(y) * -np.log10(np.maximum(p, floor))  # NaN p stays NaN
        ext = extreme_rows(s, np.argsort(lib.genes, kind="stable"), lib.n_extreme)
        ext = np.where(np.isfinite(s), ext, np.nan)[:, plan.rows]
        return _masked_pearson(plan.x, ext, np.isfinite(ext))
    y = _raw(lib.logfc, cols, plan.rows)
    if plan.metric in ("pearson", "updown"):
        return _masked_pearson(plan.x, y, np.isfinite(y))
    w = np.broadcast_to(plan.a, y.shape)
    mask = np.isfinite(y)
    if lib.pvalue is not None:
        pl = _raw(lib.pvalue, cols, plan.rows)
        mask &= np.isfinite(pl)
        w = w + -np.log10(np.maximum(pl, floor))
    return _masked_weighted(plan.x, y, np.where(mask, w, 0.0), mask)


def _masked_weighted(x, y, w, mask):
    n = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sw = w.sum(axis=1)
        xw = np.where(mask, x, 0.0)
        yw = np.where(mask, y, 0.0)
        dx = np.where(mask, xw - (w * xw).sum(axis=1, keepdims=True) / sw[:, None], 0.0)
        dy = np.where(mask, yw - (w * yw).sum(axis=1, keepdims=True) / sw[:, None], 0.0)
        den = np.sqrt((w * dx * dx).sum(axis=1) * (w * dy * dy).sum(axis=1))
        r = (w * dx * dy).sum(axis=1) / den
    return np.where((n >= 3) & (sw > 0) & (den > 0), r, np.nan), n


def _exact_randomset(plan: _Plan, lib, cols):
    y = _raw(lib.logfc, cols)
    if lib.pvalue is None:
        score = np.abs(y)
    else:
        score = -np.log10(np.maximum(_raw(lib.pvalue, cols), lib.p_floor))
        score[~np.isfinite(y)] = np.nan
    ok = np.isfinite(score)
    hits = ok & plan.in_list[None, :]
    k = hits.sum(axis=1)
    big_n = ok.sum(axis=1)
    s0 = np.where(ok, score, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s0.sum(axis=1) / big_n
        var = (np.where(ok, s0 - mean[:, None], 0.0) ** 2).sum(axis=1) / big_n
        hit_mean = np.where(hits, s0, 0.0).sum(axis=1) / k
    return random_set_z(hit_mean, k, mean, var, big_n), k


# --- ranking, p-values and FDR -------------------------------------------------------------


def _p_values(metric: str, r, n) -> np.ndarray:
    if metric == "randomset":
        return sps.norm.sf(r)
    return p_from_r(r, n)


def _order_key(metric: str, r: np.ndarray, order: str) -> np.ndarray:
    key = {"abs": np.abs(r), "up": r, "down": -r}[order] if metric != "randomset" else r
    return np.where(np.isfinite(key), key, -np.inf)


def _top_rows(key: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    if k >= len(key):
        return np.arange(len(key))
    return np.argpartition(-key, k - 1)[:k]


def _bh_prefix(pkey, family, p_of, wanted):
    """BH FDR of the rows ``wanted`` when p decreases with ``pkey`` (constant nGenes).

    Sorts only a prefix of the family by pkey and widens it until every wanted row is inside
    and the running minimum at the deepest wanted row is ≤ the prefix's last p (a lower bound
    of every m·p_(j)/j further down).
    """
    kf = np.where(family, pkey, -np.inf)
    m = int(family.sum())
    out = np.full(len(wanted), np.nan)
    if m == 0:
        return out
    size = min(m, max(1024, 4 * len(wanted)))
    while True:
        idx = _top_rows(kf, size)
        idx = idx[np.argsort(-kf[idx], kind="stable")][:size]
        p = p_of(idx)
        adj = np.minimum.accumulate((p * m / np.arange(1, size + 1))[::-1])[::-1]
        position = pd.Index(idx).get_indexer(wanted)
        inside = position >= 0
        fam_wanted = family[wanted]
        if size == m or (
            inside[fam_wanted].all()
            and (not fam_wanted.any() or adj[position[fam_wanted]].max() <= p[-1])
        ):
            out[inside & fam_wanted] = np.minimum(adj[position[inside & fam_wanted]], 1.0)
            return out
        size = min(m, size * 4)


@dataclass(frozen=True)
class FastResult:
    """Ranked rows and how they were obtained (for the API, the CLI and the benchmarks)."""

    table: pd.DataFrame
    n_signatures: int
    n_rescored: int
    query_genes_used: int


def fast_connectivity(
    query,
    lib,
    *,
    metric: str,
    top: int | None = 100,
    order: str = "abs",
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    n_updown: int = 100,
) -> FastResult:
    """Score a query (engine query types) against a stored library; exact returned rows.

    top: number of rows to return, ranked by |similarity| (order="abs"), similarity
    descending ("up") or ascending ("down"); randomset ranks by z descending. top=None
    scores every signature exactly and returns them in library order.
    Columns: signature column similarity pValue FDR nGenes lowOverlap.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}")
    plan = _plan(query, lib, metric, n_updown)
    n_sig = len(lib.signature_ids)
    if top is None:
        r, n = _exact(plan, lib, np.arange(n_sig))
        p = _p_values(metric, r, n)
        low = n < min_overlap
        fdr = bh_fdr(np.where(low, np.nan, p))
        table = _frame(lib, np.arange(n_sig), r, p, fdr, n, low)
        return FastResult(table, n_sig, n_sig, len(plan.rows))
    r, n_common = _screen(plan, lib)
    r = np.asarray(r, dtype=np.float64).copy()
    n = np.full(n_sig, n_common, dtype=np.int64)
    exact = np.zeros(n_sig, dtype=bool)
    if len(lib.nan_columns):
        r[lib.nan_columns], n[lib.nan_columns] = _exact(plan, lib, lib.nan_columns)
        exact[lib.nan_columns] = True
    chosen = _choose(plan, lib, r, n, exact, top, order)
    p_chosen = _p_values(metric, r[chosen], n[chosen])
    low = n < min_overlap
    family = np.isfinite(r) & ~low
    fdr = _fdr(metric, r, n, family, chosen)
    table = _frame(lib, chosen, r[chosen], p_chosen, fdr, n[chosen], low[chosen])
    return FastResult(table, n_sig, int(exact.sum()), len(plan.rows))


def _choose(plan, lib, r, n, exact, top, order):
    """Re-score candidates exactly until the top rows are certain; returns them ranked."""
    k = min(top, len(r))
    size = min(len(r), k + max(k, 64))
    while True:
        cand = _top_rows(_order_key(plan.metric, r, order), size)
        todo = cand[~exact[cand]]
        if len(todo):
            r[todo], n[todo] = _exact(plan, lib, todo)
            exact[todo] = True
        key = _order_key(plan.metric, r, order)
        ranked = cand[np.lexsort((cand, -key[cand]))][:k]
        rest = np.where(exact, -np.inf, key)
        if k == 0 or size >= len(r) or rest.max() < key[ranked[-1]] - MARGIN:
            return ranked
        size = min(len(r), size * 4)


def _fdr(metric, r, n, family, chosen):
    constant_n = len(np.unique(n[family])) <= 1
    if constant_n:
        pkey = r if metric == "randomset" else np.abs(r)
        return _bh_prefix(pkey, family, lambda idx: _p_values(metric, r[idx], n[idx]), chosen)
    p = np.where(family, _p_values(metric, r, n), np.nan)
    return bh_fdr(p)[chosen]


def _frame(lib, cols, r, p, fdr, n, low) -> pd.DataFrame:
    ids = lib.signature_ids
    return pd.DataFrame(
        {
            "signature": [ids[j] for j in cols.tolist()],
            "column": np.asarray(cols, dtype=np.int64),
            "similarity": r,
            "pValue": p,
            "FDR": fdr,
            "nGenes": np.asarray(n, dtype=np.int64),
            "lowOverlap": np.asarray(low, dtype=bool),
        },
        columns=COLUMNS,
    )


def connections_block(z: np.ndarray, start: int, stop: int, k: int = 100) -> dict:
    """Top-k positive and negative Pearson connections of signatures start..stop with all.

    z: the store's gene-major column-standardised layout (G, S) (any array or memory map), so
    r = z[:, i]·z[:, j]. One blocked GEMM (float32 screening) per call; the block is
    independent of every other, so blocks can be mapped over processes or a dask.distributed
    cluster (``client.map(connections_block, ...)``) with the store path shared.
    Returns int32 indices and float32 r, shape (stop − start, k), self excluded.
    """
    block = np.asarray(z[:, start:stop], dtype=np.float32)
    r = block.T @ np.asarray(z, dtype=np.float32)
    r[np.arange(stop - start), np.arange(start, stop)] = np.nan
    r = np.nan_to_num(r, nan=0.0)
    k = min(k, r.shape[1] - 1)
    pos = np.argpartition(-r, k - 1, axis=1)[:, :k]
    neg = np.argpartition(r, k - 1, axis=1)[:, :k]
    rows = np.arange(r.shape[0])[:, None]
    pos = np.take_along_axis(pos, np.argsort(-r[rows, pos], axis=1, kind="stable"), axis=1)
    neg = np.take_along_axis(neg, np.argsort(r[rows, neg], axis=1, kind="stable"), axis=1)
    return {
        "pos_idx": pos.astype(np.int32),
        "pos_r": r[rows, pos].astype(np.float32),
        "neg_idx": neg.astype(np.int32),
        "neg_r": r[rows, neg].astype(np.float32),
    }
