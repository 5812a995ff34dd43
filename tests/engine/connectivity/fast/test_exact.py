"""The one-pass selection of the fast path agrees with the separate passes it replaces."""

import numpy as np
import pytest

from analysis.engine.connectivity.fast import exact as fx
from analysis.engine.connectivity.fast import kernels as fk


def screened(size, seed, *, nan=0, exact=0, wide=0):
    rng = np.random.default_rng(seed)
    r = np.tanh(rng.standard_normal(size) * 0.2)
    bound = np.abs(rng.standard_normal(size)) * 0.01
    done = np.zeros(size, dtype=bool)
    n = np.full(size, 50, dtype=np.int32)
    r[rng.choice(size, nan, replace=False)] = np.nan
    bound[rng.choice(size, wide, replace=False)] = np.inf
    at = rng.choice(size, exact, replace=False)
    done[at], bound[at] = True, 0.0
    n[rng.choice(size, size // 100, replace=False)] = 5  # below min_overlap
    return r, bound, done, n


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("size", [300, 60_000])
def test_select_finds_the_kth_lower_bound_and_the_columns_reaching_it(mode, size):
    r, bound, done, n = screened(size, mode, nan=7, exact=40, wide=3)
    ok, kth, reach, pool = fx.select(
        r, bound, done, n, fk.block_peaks(r, bound), mode, 100, 10, False, 256
    )
    assert ok
    assert kth == fx.kth_lower(r, bound, mode, 100)
    np.testing.assert_array_equal(np.sort(reach), fx.reaching(r, bound, done, mode, kth))
    # the FDR's tail from the pool, once re-scoring has made the reaching columns exact
    done[reach], bound[reach] = True, 0.0
    tail = fx.fdr_tail(r, bound, done, pool, False, 256)
    m, expected = fx.fdr_family(r, bound, done, n, 10, False, 256)
    assert size < 1_000 or len(expected) == 256
    if len(expected) < 256:  # fewer screened family columns than the tail: the pool declines
        assert len(tail) == 0
    else:
        up = np.abs(r) + bound
        np.testing.assert_array_equal(np.sort(up[tail]), np.sort(up[expected]))
    assert fx.family_size(r, n, 10) == m


def test_select_declines_when_its_sample_misjudges():
    size = 60_000
    r, bound, done, n = screened(size, 3)
    r[:5_000] = 0.99  # far more ties at the top than one part of the pass keeps
    ok, *_ = fx.select(r, bound, done, n, fk.block_peaks(r, bound), 0, 100, 10, False, 256)
    assert not ok
    r, bound, done, n = screened(size, 4, nan=size - 50)  # fewer than k finite columns
    ok, *_ = fx.select(r, bound, done, n, fk.block_peaks(r, bound), 0, 100, 10, False, 256)
    assert not ok


def test_the_fdr_tail_declines_when_too_few_candidates_are_left():
    r, bound, done, n = screened(60_000, 5)
    _, _, _, pool = fx.select(r, bound, done, n, fk.block_peaks(r, bound), 0, 100, 10, False, 256)
    done[pool[: len(pool) - 10]] = True
    assert len(fx.fdr_tail(r, bound, done, pool, False, 256)) == 0


def test_upper_counts_bins_the_screened_family_upper_bounds():
    r, bound, done, n = screened(5_000, 6, nan=20, exact=30, wide=10)
    bound[:5] = 2.0  # upper bounds past 1 go to the last bin
    family = ~done & np.isfinite(r) & (n >= 10)
    upper = np.minimum(np.abs(r[family]) + bound[family], 1.0)
    expected = np.bincount(np.minimum((upper * 64).astype(int), 63), minlength=64)
    np.testing.assert_array_equal(fx.upper_counts(r, bound, done, n, 10, 64), expected)


@pytest.mark.parametrize("metric", ["pearson", "extreme", "updown", "weighted"])
@pytest.mark.parametrize("partial", [False, True])
def test_the_screen_writes_the_peaks_of_its_blocks(metric, partial):
    from analysis.engine.connectivity.fast import score as fc
    from analysis.engine.connectivity.fast.library import arrays_library
    from analysis.engine.connectivity.metrics import FullSignature

    rng = np.random.default_rng(8)
    n_genes, n_sig = 60, 9_000  # three tiles, the last one partial
    logfc = rng.standard_normal((n_genes, n_sig))
    p = np.clip(np.exp(-np.abs(logfc)) * rng.uniform(0.5, 1, logfc.shape), 1e-12, 1)
    genes = np.arange(1, n_genes + 1)
    lib = arrays_library(genes, logfc, p, [f"S{j}" for j in range(n_sig)], n_extreme=10)
    used = n_genes - 7 if partial else n_genes
    query = FullSignature(genes[:used], rng.standard_normal(used), rng.uniform(0, 1, used))
    screen = fc._screen(fc._plan(query, lib, metric, 10), lib)
    np.testing.assert_array_equal(screen.peak, fk.block_peaks(screen.r, screen.bound))
