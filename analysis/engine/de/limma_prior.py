"""The variance prior of limma's empirical Bayes (``squeezeVar``), with its helpers.

- ``fit_f_dist``: moment estimates of the scaled-F hyper-parameters, Smyth (2004) Stat Appl
  Genet Mol Biol 3:3, section 6; with a covariate (limma-trend, Law et al. 2014) the mean of
  the bias-corrected log-variances is a natural cubic regression spline (up to 4 df) in it.
- ``fit_f_dist_robustly``: Phipson et al. (2016) Ann Appl Stat 10:946 (Winsorised moments,
  gene-wise shrunk prior df for outlier variances); with a covariate the trend of the
  log-variances is Cleveland's (1979) lowess (span 0.4, 3 robustness passes).
- ``squeeze_var``: posterior variances ``(df*s2 + df0*s0^2)/(df + df0)``.

Inputs are length-G arrays of variances (squared log-expression units) and their residual df.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special, stats


def trigamma_inverse(x: np.ndarray | float) -> np.ndarray:
    """Solve ``trigamma(y) = x`` for y > 0 by Newton's method on ``1/trigamma`` (Smyth 2004)."""
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.full_like(x, np.nan)
    big, small = x > 1e7, x < 1e-6
    y[big] = 1.0 / np.sqrt(x[big])
    y[small] = 1.0 / x[small]
    todo = (x >= 1e-6) & (x <= 1e7)
    if todo.any():
        xt = x[todo]
        yt = 0.5 + 1.0 / xt
        for _ in range(51):
            tri = special.polygamma(1, yt)
            step = tri * (1.0 - tri / xt) / special.polygamma(2, yt)
            yt = yt + step
            if np.max(-step / yt) < 1e-8:
                break
        y[todo] = yt
    return y


def _natural_spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Natural cubic spline basis (with intercept) for sorted ``knots`` incl. the boundary ones.

    Spans the same space as R's ``splines::ns(..., intercept=TRUE)`` with the same knots
    (cubic between knots, linear beyond the boundary knots), so regression fits coincide.
    """
    lo, hi = knots[0], knots[-1]
    scale = hi - lo if hi > lo else 1.0
    u, k = (x - lo) / scale, (knots - lo) / scale
    cols = [np.ones_like(u), u]

    def d(j: int) -> np.ndarray:
        return (np.maximum(u - k[j], 0) ** 3 - np.maximum(u - k[-1], 0) ** 3) / (k[-1] - k[j])

    last = d(len(k) - 2)
    cols += [d(j) - last for j in range(len(k) - 2)]
    return np.column_stack(cols)


def _spline_trend(
    e: np.ndarray, covariate: np.ndarray, new: np.ndarray, splinedf: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Regress ``e`` on a natural spline of ``covariate``; fitted values, predictions at ``new``
    and the residual variance ``RSS / (n - rank)``."""
    probs = np.linspace(0, 1, splinedf)[1:-1]
    knots = np.concatenate([[covariate.min()], np.quantile(covariate, probs), [covariate.max()]])
    basis = _natural_spline_basis(covariate, knots)
    beta, _, rank, _ = np.linalg.lstsq(basis, e, rcond=None)
    fitted = basis @ beta
    evar = np.sum((e - fitted) ** 2) / (len(e) - rank)
    predicted = _natural_spline_basis(new, knots) @ beta if len(new) else new
    return fitted, predicted, evar


def fit_f_dist(
    x: np.ndarray, df1: np.ndarray, covariate: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Moment estimates of the scaled-F hyper-parameters (Smyth 2004, section 6).

    ``x`` (G) are sample variances on ``df1`` (G) degrees of freedom, assumed
    ``x ~ scale * F(df1, df2)``. Returns ``(scale, df2)``; ``scale`` is length G (constant
    without a covariate; a spline trend in ``covariate`` otherwise). Genes with non-finite
    ``x`` or zero df are left out of the fit (their scale is predicted from the trend).
    """
    x = np.asarray(x, dtype=np.float64)
    df1 = np.broadcast_to(np.asarray(df1, dtype=np.float64), x.shape)
    n = len(x)
    ok = np.isfinite(df1) & (df1 > 1e-15)
    with np.errstate(invalid="ignore"):
        ok &= np.isfinite(x) & (x > -1e-15)
    nok = int(ok.sum())
    if nok == 0:
        return np.full(n, np.nan), np.nan
    if nok == 1:
        return np.full(n, x[ok][0]), 0.0
    xs, d1 = np.maximum(x[ok], 0.0), df1[ok]
    splinedf = 1
    if covariate is not None:
        cov = np.asarray(covariate, dtype=np.float64)
        splinedf = 1 + (nok >= 3) + (nok >= 6) + (nok >= 30)
        splinedf = min(splinedf, len(np.unique(cov[ok])))
        if splinedf < 2:
            covariate = None
    m = np.median(xs)
    xs = np.maximum(xs, 1e-5 * (m if m > 0 else 1.0))
    z = np.log(xs)
    e = z - special.digamma(d1 / 2) + np.log(d1 / 2)
    if covariate is None:
        emean = np.full(n, e.mean())
        evar = np.sum((e - e.mean()) ** 2) / (nok - 1)
    else:
        fitted, predicted, evar = _spline_trend(e, cov[ok], cov[~ok], splinedf)
        emean = np.empty(n)
        emean[ok], emean[~ok] = fitted, predicted
    evar -= np.mean(special.polygamma(1, d1 / 2))
    if evar > 0:
        df2 = 2 * trigamma_inverse(evar)[0]
        return np.exp(emean + special.digamma(df2 / 2) - np.log(df2 / 2)), float(df2)
    if covariate is None:
        return np.full(n, xs.mean()), np.inf
    return np.exp(emean), np.inf


def _brent_root(
    f: Callable[[float], float], a: float, b: float, fa: float, fb: float, tol: float
) -> float:
    """Brent's (1973) root finder, the zeroin variant behind R's ``uniroot``."""
    eps = np.finfo(float).eps
    c, fc = a, fa
    if fa == 0:
        return a
    if fb == 0:
        return b
    for _ in range(1000):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # secant
                t1 = fb / fa
                p, q = cb * t1, 1.0 - t1
            else:  # inverse quadratic interpolation
                q, t1, t2 = fa / fc, fb / fc, fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < 0.75 * cb * q - abs(tol_act * q) / 2 and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(128)
_GAUSS_NODES, _GAUSS_WEIGHTS = (_GAUSS_NODES + 1) / 2, _GAUSS_WEIGHTS / 2  # on [0, 1]


def _f_ppf(p: np.ndarray, df1: float, df2: float) -> np.ndarray:
    if np.isinf(df2):
        return stats.chi2.ppf(p, df1) / df1
    return stats.f.ppf(p, df1, df2)


def _f_pdf(x: np.ndarray, df1: float, df2: float) -> np.ndarray:
    if np.isinf(df2):
        return stats.chi2.pdf(x * df1, df1) * df1
    return stats.f.pdf(x, df1, df2)


def _f_sf(x: np.ndarray, df1: float, df2: float) -> np.ndarray:
    if np.isinf(df2):
        return stats.chi2.sf(x * df1, df1)
    return stats.f.sf(x, df1, df2)


def _winsorized_moments(df1: float, df2: float, tail: np.ndarray) -> tuple[float, float]:
    """Mean and variance of log F(df1, df2) Winsorised at the ``tail`` probabilities,
    by Gauss–Legendre quadrature on the scale ``F/(1+F)`` (Phipson et al. 2016)."""
    fq = _f_ppf(np.array([tail[0], 1 - tail[1]]), df1, df2)
    zq = np.log(fq)
    q = fq / (1 + fq)
    nodes = q[0] + (q[1] - q[0]) * _GAUSS_NODES
    fnodes = nodes / (1 - nodes)
    znodes = np.log(fnodes)
    dens = _f_pdf(fnodes, df1, df2) / (1 - nodes) ** 2
    width = q[1] - q[0]
    mean = width * np.sum(_GAUSS_WEIGHTS * dens * znodes) + np.sum(zq * tail)
    var = width * np.sum(_GAUSS_WEIGHTS * dens * (znodes - mean) ** 2) + np.sum(
        (zq - mean) ** 2 * tail
    )
    return float(mean), float(var)


def _equalise_df(
    x: np.ndarray, df1: np.ndarray, scale: np.ndarray, df2: float
) -> tuple[np.ndarray, float]:
    """Map variances on smaller df to the largest df by matching F tail probabilities."""
    df1max = df1.max()
    low = df1 < df1max - 1e-14
    if not low.any():
        return x, float(df1max)
    x = x.copy()
    s = scale[low]
    f = x[low] / s
    isf: Callable[[np.ndarray], np.ndarray]
    ppf: Callable[[np.ndarray], np.ndarray]
    if np.isinf(df2):
        upper = stats.chi2.logsf(f * df1[low], df1[low])
        lower = stats.chi2.logcdf(f * df1[low], df1[low])
        isf = lambda lp: stats.chi2.isf(np.exp(lp), df1max) / df1max  # noqa: E731
        ppf = lambda lp: stats.chi2.ppf(np.exp(lp), df1max) / df1max  # noqa: E731
    else:
        upper = stats.f.logsf(f, df1[low], df2)
        lower = stats.f.logcdf(f, df1[low], df2)
        isf = lambda lp: stats.f.isf(np.exp(lp), df1max, df2)  # noqa: E731
        ppf = lambda lp: stats.f.ppf(np.exp(lp), df1max, df2)  # noqa: E731
    up = upper < lower
    f[up] = isf(upper[up])
    f[~up] = ppf(lower[~up])
    x[low] = f * s
    return x, float(df1max)


def _shrunk_df(
    z: np.ndarray,
    ztrend: np.ndarray,
    zwmean: float,
    df1: float,
    df2: float,
    mom_mean: float,
    nonrobust_df2: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Gene-wise prior df, reduced for genes whose variance looks like an outlier."""
    n = len(z)
    trend = ztrend + zwmean - mom_mean
    zresid = z - trend
    fstat = np.exp(zresid)
    tail_p = _f_sf(fstat, df1, df2)
    rank = stats.rankdata(fstat)
    prob_not_outlier = np.minimum(tail_p / ((n - rank + 0.5) / n), 1.0)
    shrunk = np.full(n, df2)
    if not (prob_not_outlier < 1).any():
        return np.exp(trend), shrunk
    order = np.argsort(tail_p, kind="stable")
    if np.isinf(df2):
        outlier = prob_not_outlier < 1
        shrunk[outlier] = prob_not_outlier[outlier] * n * df1
        shrunk[order] = np.maximum.accumulate(shrunk[order])
        return np.exp(trend), shrunk
    df2_outlier = np.log(0.5) / np.log(tail_p.min()) * df2
    new_tail = _f_sf(np.array([fstat.max()]), df1, df2_outlier)[0]
    df2_outlier = np.log(0.5) / np.log(new_tail) * df2_outlier
    shrunk = prob_not_outlier * df2 + (1 - prob_not_outlier) * df2_outlier
    ordered = shrunk[order]
    running = np.cumsum(ordered) / np.arange(1, n + 1)
    imin = int(np.argmin(running))
    ordered[: imin + 1] = running[imin]
    shrunk[order] = np.maximum.accumulate(ordered)
    return np.exp(trend), shrunk


def fit_f_dist_robustly(
    x: np.ndarray,
    df1: np.ndarray,
    covariate: np.ndarray | None = None,
    winsor_tail_p: tuple[float, float] = (0.05, 0.1),
) -> tuple[np.ndarray, float, np.ndarray]:
    """Robust scaled-F hyper-parameters (Phipson et al. 2016): ``(scale, df2, df2_shrunk)``.

    ``scale`` and ``df2_shrunk`` are length G; genes with missing variance or zero df get
    the global ``scale`` and ``df2``.
    """
    x = np.asarray(x, dtype=np.float64)
    df1 = np.broadcast_to(np.asarray(df1, dtype=np.float64), x.shape).copy()
    n = len(x)
    if n < 2:
        return np.full(n, np.nan), np.nan, np.full(n, np.nan)
    if n == 2:
        scale, df2 = fit_f_dist(x, df1, covariate)
        return scale, df2, np.full(n, df2)
    ok = ~np.isnan(x) & np.isfinite(df1) & (df1 > 1e-6)
    if not ok.all():
        sub_cov = None if covariate is None else np.asarray(covariate)[ok]
        scale_ok, df2, shrunk_ok = fit_f_dist_robustly(x[ok], df1[ok], sub_cov, winsor_tail_p)
        shrunk = np.full(n, df2)
        shrunk[ok] = shrunk_ok
        if covariate is None:
            scale = np.full(n, scale_ok[0])
        else:
            cov = np.asarray(covariate, dtype=np.float64)
            order = np.argsort(cov[ok], kind="stable")
            scale = np.empty(n)
            scale[ok] = scale_ok
            scale[~ok] = np.exp(np.interp(cov[~ok], cov[ok][order], np.log(scale_ok[order])))
        return scale, df2, shrunk
    m = np.median(x)
    if m <= 0:
        raise ValueError("most variances are <= 0: robust empirical Bayes cannot be fitted")
    x = np.maximum(x, m * 1e-12)
    nr_scale, nr_df2 = fit_f_dist(x, df1, covariate)
    tail = np.asarray(winsor_tail_p, dtype=np.float64)
    if np.all(tail < 1 / n):
        return nr_scale, nr_df2, np.full(n, nr_df2)
    x, d1 = _equalise_df(x, df1, nr_scale, nr_df2)
    z = np.log(x)
    if covariate is None:
        ztrend = np.full(n, stats.trim_mean(z, tail[1]))
    else:
        ztrend = lowess_fit(np.asarray(covariate, dtype=np.float64), z, span=0.4, iterations=4)
    zresid = z - ztrend
    zq = np.quantile(zresid, [tail[0], 1 - tail[1]])
    zwins = np.clip(zresid, zq[0], zq[1])
    zwmean = zwins.mean()
    zwvar = np.mean((zwins - zwmean) ** 2) * n / (n - 1)

    def objective(u: float) -> float:
        df2 = u / (1 - u) if u < 1 else np.inf
        return np.log(zwvar / _winsorized_moments(d1, df2, tail)[1])

    at_inf = objective(1.0)
    if at_inf <= 0:
        df2 = np.inf
    else:
        low = nr_df2 / (1 + nr_df2) if np.isfinite(nr_df2) else 1.0
        at_low = objective(low)
        if at_low >= 0:
            df2 = nr_df2
        else:
            u = _brent_root(objective, low, 1.0, at_low, at_inf, 1e-8)
            df2 = u / (1 - u)
    mom_mean = _winsorized_moments(d1, df2, tail)[0]
    scale, shrunk = _shrunk_df(z, ztrend, zwmean, d1, df2, mom_mean, nr_df2)
    return scale, float(df2), shrunk


def squeeze_var(
    var: np.ndarray,
    df: np.ndarray,
    covariate: np.ndarray | None = None,
    robust: bool = False,
    winsor_tail_p: tuple[float, float] = (0.05, 0.1),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Empirical-Bayes posterior variances: ``(var_post, var_prior, df_prior)``, each length G.

    Genes with zero residual df take the prior variance as their posterior.
    """
    var = np.asarray(var, dtype=np.float64).copy()
    df = np.broadcast_to(np.asarray(df, dtype=np.float64), var.shape)
    n = len(var)
    if robust:
        var_prior, _, df_prior = fit_f_dist_robustly(var, df, covariate, winsor_tail_p)
    else:
        var_prior, df2 = fit_f_dist(var, df, covariate)
        df_prior = np.full(n, df2)
    if np.isnan(df_prior).any():
        raise ValueError("could not estimate the prior degrees of freedom")
    var[df == 0] = 0.0
    with np.errstate(invalid="ignore"):
        var_post = (df * var + df_prior * var_prior) / (df + df_prior)
    infinite = np.isinf(df_prior)
    var_post[infinite] = var_prior[infinite]
    return var_post, var_prior, df_prior


# --------------------------------------------------------------------------- lowess


def _lowess_point(
    x: np.ndarray, y: np.ndarray, xs: float, nleft: int, nright: int, rw: np.ndarray
) -> float | None:
    """Locally weighted linear fit at ``xs`` (tricube weights), or None if no weight."""
    n = len(x)
    h = max(xs - x[nleft], x[nright] - xs)
    j_end = nright + 1
    while j_end < n and abs(x[j_end] - xs) <= 0.999 * h:
        j_end += 1
    xw = x[nleft:j_end]
    r = np.abs(xw - xs)
    w = np.where(r <= 0.001 * h, 1.0, (1 - (r / h) ** 3) ** 3) if h > 0 else np.ones_like(r)
    w = np.where(r <= 0.999 * h, w, 0.0) * rw[nleft:j_end]
    total = w.sum()
    if total <= 0:
        return None
    w = w / total
    if h > 0:
        a = np.sum(w * xw)
        c = np.sum(w * (xw - a) ** 2)
        if np.sqrt(c) > 0.001 * (x[-1] - x[0]):
            w = w * ((xs - a) / c * (xw - a) + 1)
    return float(np.sum(w * y[nleft:j_end]))


def _lowess_pass(x: np.ndarray, y: np.ndarray, ns: int, delta: float, rw: np.ndarray) -> np.ndarray:
    n = len(x)
    fitted = np.empty(n)
    nleft, nright, last, i = 0, ns - 1, -1, 0
    while True:
        while nright < n - 1 and x[i] - x[nleft] > x[nright + 1] - x[i]:
            nleft += 1
            nright += 1
        value = _lowess_point(x, y, x[i], nleft, nright, rw)
        fitted[i] = y[i] if value is None else value
        if last < i - 1:  # linear interpolation over the skipped points
            alpha = (x[last + 1 : i] - x[last]) / (x[i] - x[last])
            fitted[last + 1 : i] = alpha * fitted[i] + (1 - alpha) * fitted[last]
        last = i
        cut = x[last] + delta
        i = last + 1
        while i < n and x[i] <= cut:
            if x[i] == x[last]:
                fitted[i] = fitted[last]
                last = i
            i += 1
        i = max(last + 1, i - 1)
        if last >= n - 1:
            return fitted


def lowess_fit(x: np.ndarray, y: np.ndarray, span: float = 0.4, iterations: int = 4) -> np.ndarray:
    """Cleveland's (1979) robust locally-weighted linear regression of ``y`` on ``x``.

    Fitted values in the input order; ``iterations - 1`` robustness (bisquare) passes,
    neighbourhoods of ``span * n`` points, and points within 1% of the x-range of a fitted
    point interpolated linearly (the defaults of R's ``lowess`` as used by limma).
    """
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    n = len(xs)
    ns = max(2, min(n, int(span * n + 1e-7)))
    delta = 0.01 * (xs[-1] - xs[0])
    rw = np.ones(n)
    for iteration in range(iterations):
        fitted = _lowess_pass(xs, ys, ns, delta, rw)
        if iteration == iterations - 1:
            break
        res = np.abs(ys - fitted)
        sc = res.sum() / n
        srt = np.sort(res)
        m1 = n // 2
        cmad = 3 * (srt[m1] + srt[n - m1 - 1]) if n % 2 == 0 else 6 * srt[m1]
        if cmad < 1e-7 * sc:
            break
        rw = np.where(res <= 0.001 * cmad, 1.0, (1 - (res / cmad) ** 2) ** 2)
        rw[res > 0.999 * cmad] = 0.0
    out = np.empty(n)
    out[order] = fitted
    return out
