"""The scores of one fast connectivity query, shared by the row choice and the exact FDR.

``score`` screens every column of the library into a ``Screen`` (a score and an error bound
per column) and wraps it in a ``State``; choosing the top rows (``score``) and making their FDR
exact (``fdr``) re-score columns through the same ``State``, so both read and update one set
of arrays and no column is scored twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.engine.connectivity.fast import kernels as fk
from analysis.engine.connectivity.fast.fdr import p_values

#: How rows are ranked: by |similarity|, similarity descending, similarity ascending.
ORDERS = ("abs", "up", "down")

#: Exact scores of some columns: ``score(cols) -> (r, n)``, float64 scores and int genes used.
ExactScorer = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Screen:
    """Screened scores of every library column (arrays of length n_signatures)."""

    r: np.ndarray  # screened score per column (float64)
    bound: np.ndarray  # |exact − screened| ≤ bound (inf: must be re-scored)
    n: int  # nGenes of every complete column
    checked: bool = True  # False: the bound is first-order; check it on re-scored rows
    peak: np.ndarray | None = None  # max |r| + bound per block of columns (kernels.PEAK)


class State:
    """Scores of every column: screened (with a bound) until re-scored exactly.

    Per library column j (arrays of length n_signatures): ``r[j]`` the score (float64; NaN
    unknown), ``bound[j]`` with |exact − r[j]| ≤ bound[j] (0 once exact, inf when unknown),
    ``n[j]`` the genes used (int32), ``exact[j]`` whether it was re-scored; ``peak`` the
    largest |r| + bound per block of ``kernels.PEAK`` columns (inf: look again).
    ``exact_cols`` lists the re-scored columns in the order they were scored and ``exact_p``
    their p-values. ``tail_pool`` holds the candidates of the FDR's tail that the row
    selection found (``exact.select``), or None when it has to be searched again.
    """

    def __init__(
        self, metric: str, screen: Screen, score: ExactScorer, nan_columns: np.ndarray
    ) -> None:
        n_sig = len(screen.r)
        self.metric = metric
        self._score = score
        self._nan_columns = nan_columns
        self.r = np.asarray(screen.r, dtype=np.float64)  # a screened NaN ranks as unknown
        self.bound = np.asarray(screen.bound, dtype=np.float64)
        np.copyto(self.bound, np.inf, where=np.isnan(self.bound))
        self.peak = fk.block_peaks(self.r, self.bound) if screen.peak is None else screen.peak
        self.n = np.full(n_sig, screen.n, dtype=np.int32)
        self.exact = np.zeros(n_sig, dtype=bool)
        self.exact_cols = np.zeros(0, dtype=np.int64)
        self.exact_p = np.zeros(0)  # p-values of exact_cols
        self.checked = screen.checked
        self.widened = False
        self.tail_pool: np.ndarray | None = None  # candidates of the FDR's tail
        if len(nan_columns):
            self.rescore(nan_columns)

    def rescore(self, cols: np.ndarray) -> None:
        """Score the given columns exactly (those not yet exact); widen every bound when a
        first-order bound turns out too narrow (``widened``)."""
        cols = cols[~self.exact[cols]]
        if not len(cols):
            return
        r, n = self._score(cols)
        if not self.checked:  # a first-order bound: widen every bound if it was exceeded
            seen = ~np.isin(cols, self._nan_columns) & np.isfinite(r) & np.isfinite(self.r[cols])
            ratio = np.abs(r[seen] - self.r[cols][seen]) / self.bound[cols][seen]
            if len(ratio) and np.nanmax(ratio) > 0.75:
                self.bound *= 2 * np.nanmax(ratio)
                self.widened = True
        self.r[cols], self.n[cols], self.bound[cols] = r, n, 0.0
        self.peak[cols // fk.PEAK] = np.inf  # no longer the screened peaks: look again
        self.exact[cols] = True
        self.exact_cols = np.concatenate([self.exact_cols, cols])
        self.exact_p = np.concatenate([self.exact_p, p_values(self.metric, r, n)])

    def p_of(self, cols: np.ndarray) -> np.ndarray:
        """p-values of exact columns (computed when they were re-scored)."""
        by_column = np.argsort(self.exact_cols)
        at = np.searchsorted(self.exact_cols[by_column], cols)
        result: np.ndarray = self.exact_p[by_column[at]]
        return result

    @property
    def signed(self) -> bool:
        """Scores ranked by value, not magnitude (randomset z): also how p-values order."""
        return self.metric == "randomset"

    def mode(self, order: str) -> int:
        """The ranking mode of the selection kernels: 0 |r|, 1 r descending, 2 r ascending."""
        return 1 if self.signed else ORDERS.index(order)
