"""Smoothers and empirical Bayes helpers used by edgeR's dispersion and QL estimates.

- ``maximize_interpolant``: maximum of a cubic spline (Forsythe-Malcolm-Moler end
  conditions) through a log-likelihood evaluated on a grid, per row.
- ``locfit_constant``: local-constant regression with a tricube kernel and nearest-neighbour
  bandwidth, evaluated on an adaptive binary tree of vertices and linearly interpolated
  between them (Loader 1999, ch. 11: a cell is split while its length exceeds
  ``cut`` times the smaller bandwidth at its ends).
- ``squeeze_var``: Smyth's (2004) moment estimation of a scaled-F prior for variances, with an
  optional natural-spline trend on a covariate (as in limma's fitFDist/squeezeVar).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma, polygamma

from analysis.engine.de import limma_prior

# --- cubic spline maximisation ---------------------------------------------------------


def _fmm_second_derivatives_operator(x: np.ndarray) -> np.ndarray:
    """Matrix A with M = A @ y the spline second derivatives (FMM end conditions)."""
    n = len(x)
    h = np.diff(x)
    a = np.zeros((n, n))
    rhs = np.zeros((n, n))
    for i in range(1, n - 1):
        a[i, i - 1], a[i, i], a[i, i + 1] = h[i - 1], 2 * (h[i - 1] + h[i]), h[i]
        rhs[i, i + 1] += 6 / h[i]
        rhs[i, i] -= 6 / h[i] + 6 / h[i - 1]
        rhs[i, i - 1] += 6 / h[i - 1]

    def third_divided(idx: np.ndarray) -> np.ndarray:  # coefficients of f[x_a, x_b, x_c, x_d] on y
        pts = x[idx]
        c = np.array([1 / np.prod([pts[j] - pts[k] for k in range(4) if k != j]) for j in range(4)])
        return c

    # end conditions: spline third derivative equals that of the cubic through 4 end points
    a[0, 0], a[0, 1] = -1 / h[0], 1 / h[0]
    rhs[0, :4] = 6 * third_divided(np.arange(4))
    a[n - 1, n - 2], a[n - 1, n - 1] = -1 / h[-1], 1 / h[-1]
    rhs[n - 1, n - 4 :] = 6 * third_divided(np.arange(n - 4, n))
    return np.linalg.solve(a, rhs)


def maximize_interpolant(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row of ``y`` (rows x len(x)), the x maximising the interpolating cubic spline."""
    x = np.asarray(x, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    second = y @ _fmm_second_derivatives_operator(x).T
    rows = np.arange(y.shape[0])
    imax = np.argmax(y, axis=1)
    best_x, best_y = x[imax], y[rows, imax]
    for side in (-1, 0):  # the segments left and right of the grid maximum
        seg = imax + side
        ok = (seg >= 0) & (seg < len(x) - 1)
        seg = np.clip(seg, 0, len(x) - 2)
        h = x[seg + 1] - x[seg]
        y0, y1 = y[rows, seg], y[rows, seg + 1]
        m0, m1 = second[rows, seg], second[rows, seg + 1]
        b = (y1 - y0) / h - h * (2 * m0 + m1) / 6
        c = m0 / 2
        d = (m1 - m0) / (6 * h)
        for t in _quadratic_roots(3 * d, 2 * c, b):
            inside = ok & np.isfinite(t) & (t >= 0) & (t <= h)
            val = y0 + t * (b + t * (c + t * d))
            better = inside & (val > best_y)
            best_x = np.where(better, x[seg] + t, best_x)
            best_y = np.where(better, val, best_y)
    return best_x


def _quadratic_roots(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both real roots of a t^2 + b t + c (NaN where none; linear case handled)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = b * b - 4 * a * c
        sq = np.sqrt(disc)
        r1 = (-b + sq) / (2 * a)
        r2 = (-b - sq) / (2 * a)
        lin = -c / b
    small = np.abs(a) < 1e-300
    return np.where(small, lin, r1), np.where(small, np.nan, r2)


# --- locfit-style local constant smoother ------------------------------------------------


def _knn_bandwidth(xs: np.ndarray, points: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest value in sorted ``xs``."""
    out = np.empty(len(points))
    for j, p in enumerate(points):
        out[j] = np.partition(np.abs(xs - p), k - 1)[k - 1]
    return out


def _tricube_means(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, points: np.ndarray, h: np.ndarray
) -> np.ndarray:
    """Tricube-weighted means of the columns of ``y`` at ``points`` (len(points) x cols)."""
    u = np.abs(x[None, :] - points[:, None]) / h[:, None]
    k = np.where(u < 1, (1 - u**3) ** 3, 0.0) * w[None, :]
    return (k @ y) / k.sum(axis=1, keepdims=True)


def locfit_constant(
    x: np.ndarray, y: np.ndarray, span: float, cut: float = 0.8, weights: np.ndarray | None = None
) -> np.ndarray:
    """Degree-0 local regression of each column of ``y`` (n x cols) on ``x`` (n,)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float).reshape(len(x), -1)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    k = int(np.floor(len(x) * span))
    xs = np.sort(x)
    lo, hi = xs[0], xs[-1]
    band = {
        lo: _knn_bandwidth(xs, np.array([lo]), k)[0],
        hi: _knn_bandwidth(xs, np.array([hi]), k)[0],
    }
    stack = [(lo, hi)]
    while stack:
        a, b = stack.pop()
        if b - a > cut * min(band[a], band[b]):
            mid = (a + b) / 2
            band[mid] = _knn_bandwidth(xs, np.array([mid]), k)[0]
            stack += [(a, mid), (mid, b)]
    verts = np.array(sorted(band))
    vals = _tricube_means(x, y, w, verts, np.array([band[v] for v in verts]))
    return np.column_stack([np.interp(x, verts, vals[:, j]) for j in range(y.shape[1])])


# --- scaled-F prior (squeezeVar) ---------------------------------------------------------


def trigamma_inverse(x: np.ndarray | float) -> np.ndarray:
    """Solve trigamma(y) = x by Newton's method on 1/trigamma (Smyth 2004)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    y = 0.5 + 1.0 / x
    for _ in range(50):
        tri = polygamma(1, y)
        dif = tri * (1 - tri / x) / polygamma(2, y)
        y = y + dif
        if np.all(-dif / y < 1e-12):
            break
    y = np.where(x > 1e7, 1 / np.sqrt(x), y)
    return np.where(x < 1e-6, 1 / x, y)


def natural_spline_basis(x: np.ndarray, df: int, at: np.ndarray | None = None) -> np.ndarray:
    """Basis spanning R's ``ns(x, df, intercept=TRUE)`` (knots at quantiles of x).

    Only the column space matters for least squares; beyond the boundary knots the basis is
    linear, as ns's predictions are.
    """
    at = x if at is None else at
    inner = np.quantile(x, np.linspace(0, 1, df)[1:-1]) if df > 2 else np.array([])
    knots = np.concatenate([[x.min()], inner, [x.max()]])
    scale = knots[-1] - knots[0]
    z = (at - knots[0]) / scale
    kz = (knots - knots[0]) / scale
    cols = [np.ones_like(z), z]

    def d(j: int) -> np.ndarray:
        return (np.maximum(z - kz[j], 0) ** 3 - np.maximum(z - kz[-1], 0) ** 3) / (kz[-1] - kz[j])

    for j in range(len(kz) - 2):
        cols.append(d(j) - d(len(kz) - 2))
    return np.column_stack(cols[:df])


def fit_f_dist(
    var: np.ndarray, df1: np.ndarray, covariate: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Moment estimates (scale per gene, df2) of var ~ scale * F(df1, df2).

    Genes with df1 = 0 or non-finite var are left out of the estimate; with a covariate the
    log-scale trend is a natural cubic spline (1-4 df by number of genes) extrapolated
    linearly to them.
    """
    n = len(var)
    df1 = np.broadcast_to(np.asarray(df1, dtype=float), (n,))
    ok = np.isfinite(df1) & (df1 > 1e-15) & np.isfinite(var) & (var > -1e-15)
    nok = int(ok.sum())
    v = np.maximum(var[ok], 0)
    m = np.median(v)
    v = np.maximum(v, 1e-5 * (m if m > 0 else 1.0))
    e = np.log(v) - digamma(df1[ok] / 2) + np.log(df1[ok] / 2)
    if covariate is None:
        emean_ok = np.full(nok, e.mean())
        emean = np.full(n, e.mean())
        evar = np.sum((e - e.mean()) ** 2) / (nok - 1)
    else:
        cov = np.asarray(covariate, dtype=float)
        splinedf = 1 + (nok >= 3) + (nok >= 6) + (nok >= 30)
        splinedf = min(splinedf, len(np.unique(cov[ok])))
        if splinedf < 2:
            return fit_f_dist(var, df1, None)
        basis = natural_spline_basis(cov[ok], splinedf)
        coef, *_ = np.linalg.lstsq(basis, e, rcond=None)
        emean_ok = basis @ coef
        rank = np.linalg.matrix_rank(basis)
        evar = np.sum((e - emean_ok) ** 2) / (nok - rank)
        emean = natural_spline_basis(cov[ok], splinedf, at=cov) @ coef
    evar = evar - np.mean(polygamma(1, df1[ok] / 2))
    if evar > 0:
        df2 = 2 * trigamma_inverse(evar)[0]
        scale = np.exp(emean + digamma(df2 / 2) - np.log(df2 / 2))
    else:
        df2 = np.inf
        scale = np.exp(emean)
    return scale, float(df2)


def squeeze_var(
    var: np.ndarray, df: np.ndarray, covariate: np.ndarray | None = None, robust: bool = False
) -> tuple[np.ndarray, Any, Any]:
    """Empirical Bayes posterior variances: (var_post, var_prior, df_prior).

    ``robust=True`` uses limma's robust estimator (Phipson et al. 2016, gene-wise df_prior)
    from ``analysis.engine.de.limma_prior``.
    """
    var = np.array(var, dtype=float)
    df = np.broadcast_to(np.asarray(df, dtype=float), var.shape)
    var[df == 0] = 0
    if robust:
        return limma_prior.squeeze_var(var, df, covariate, robust=True)
    var_prior, df_prior = fit_f_dist(var, df, covariate)
    if np.isinf(df_prior):
        return np.array(var_prior, dtype=float), var_prior, df_prior
    var_post = (df * var + df_prior * var_prior) / (df + df_prior)
    return var_post, var_prior, df_prior
