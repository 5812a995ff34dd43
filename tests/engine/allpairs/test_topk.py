"""analysis.engine.allpairs: all-pairs top-k connections against a brute-force numpy top-k."""

import numpy as np
import pytest

from analysis.engine.allpairs import topk as ap
from analysis.engine.allpairs.topk import standardised


def brute_top_k(r: np.ndarray, k: int) -> dict:
    """Per row of the full matrix r (S, S): the k largest / smallest r over j != i, ties to the
    lower j (a plain lexsort per row)."""
    n = r.shape[0]
    out = {name: [] for name in ap.NAMES}
    for i in range(n):
        j = np.delete(np.arange(n), i)
        v = r[i, j]
        for sign, idx_name, r_name in ((-1, "pos_idx", "pos_r"), (1, "neg_idx", "neg_r")):
            order = np.lexsort((j, sign * v))[:k]
            out[idx_name].append(j[order])
            out[r_name].append(v[order])
    return {
        name: np.array(rows, dtype=np.int32 if name.endswith("idx") else np.float32).reshape(n, k)
        for name, rows in out.items()
    }


def integer_rows(rng, n, g=12):
    """Small-integer rows: every dot product is exact in float32 whatever the summation order,
    and many are tied, so the tie rule is tested too."""
    return rng.integers(-2, 3, (n, g)).astype(np.float32)


@pytest.mark.parametrize(
    ("n", "k", "block"),
    [
        (61, 5, 16),  # block does not divide n
        (40, 100, 7),  # k >= n - 1: every other signature, k capped at n - 1
        (40, 39, 64),  # one block bigger than the library
        (90, 20, 1),  # one signature per block
        (300, 100, 128),
    ],
)
def test_equals_brute_force_exactly_including_ties(n, k, block):
    z = integer_rows(np.random.default_rng(n + k + block), n)
    got = ap.all_pairs_top_k(z, k=k, block=block)
    want = brute_top_k(z.astype(np.float64) @ z.T.astype(np.float64), min(k, n - 1))
    for name in ap.NAMES:
        assert got[name].dtype == want[name].dtype, name
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_standardised_rows_with_nans_give_a_correct_top_k():
    """Real-valued signatures (some with NaNs, one constant, one all-NaN): each list holds the
    k best by the float64 Pearson r of the standardised rows, to float32 accuracy."""
    rng = np.random.default_rng(3)
    raw = rng.standard_normal((150, 40))
    raw[rng.uniform(size=raw.shape) < 0.05] = np.nan
    raw[7] = 2.5
    raw[8] = np.nan
    z = standardised(raw)
    k = 12
    got = ap.all_pairs_top_k(z, k=k, block=37)
    r = z.astype(np.float64) @ z.T.astype(np.float64)
    np.fill_diagonal(r, np.nan)
    for i in range(len(z)):
        for idx, val, sign in (("pos_idx", "pos_r", 1), ("neg_idx", "neg_r", -1)):
            j, v = got[idx][i], got[val][i]
            assert len(set(j)) == k and i not in j
            np.testing.assert_allclose(v, r[i, j], atol=1e-6)
            assert np.all(np.diff(sign * v) <= 0)  # sorted best first
            rest = np.delete(r[i], np.r_[j, i])
            assert np.all(sign * rest <= sign * v[-1] + 1e-6)  # nothing better was left out
    # a constant or all-NaN signature correlates 0 with everything
    assert np.all(got["pos_r"][7] == 0) and np.all(got["neg_r"][8] == 0)


def test_each_pair_is_one_number_in_both_lists():
    z = standardised(np.random.default_rng(4).standard_normal((120, 30)))
    got = ap.all_pairs_top_k(z, k=30, block=50)
    seen = {}
    for i in range(len(z)):
        for idx, val in (("pos_idx", "pos_r"), ("neg_idx", "neg_r")):
            for j, v in zip(got[idx][i], got[val][i], strict=True):
                key = (min(i, j), max(i, j))
                assert seen.setdefault(key, v) == v


def test_tiles_merge_in_any_order_and_floors_change_nothing():
    z = integer_rows(np.random.default_rng(5), 83)
    k, block = 9, 20
    plan = ap.tiles(len(z), block)
    assert sum(map(ap.tile_work, plan)) >= len(z) * (len(z) - 1) // 2
    expected = ap.all_pairs_top_k(z, k=k, block=block)
    for seed, with_floor in ((0, False), (1, True)):
        state = ap.TopK(len(z), k)
        for t in np.random.default_rng(seed).permutation(len(plan)):
            floor = state.floor(plan[t]) if with_floor else None
            state.merge(ap.tile_top_k(z, *plan[t], k, floor=floor))
        got = state.result()
        for name in ap.NAMES:
            np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_a_missing_tile_or_a_bad_tile_is_an_error():
    z = integer_rows(np.random.default_rng(6), 30)
    state = ap.TopK(30, 4)
    for tile in ap.tiles(30, 10)[1:]:
        state.merge(ap.tile_top_k(z, *tile, 4))
    with pytest.raises(RuntimeError, match="never merged"):
        state.result()
    part = ap.tile_top_k(z, 0, 10, 0, 10, 4)
    state.merge(part)
    with pytest.raises(ValueError, match="already merged"):
        state.merge(part)
    assert state.result()["pos_idx"].shape == (30, 4)
    with pytest.raises(ValueError, match="diagonal"):
        ap.tile_top_k(z, 10, 20, 5, 15, 4)
    with pytest.raises(ValueError, match="outside"):
        ap.tile_top_k(z, 20, 30, 20, 31, 4)
    with pytest.raises(ValueError):
        ap.tiles(30, 0)


@pytest.mark.parametrize(("n", "k"), [(1, 100), (2, 100), (5, 0)])
def test_tiny_libraries(n, k):
    got = ap.all_pairs_top_k(integer_rows(np.random.default_rng(7), n), k=k, block=3)
    width = min(k, n - 1)
    assert all(got[name].shape == (n, width) for name in ap.NAMES)
    if n == 2 and k:
        assert got["pos_idx"].ravel().tolist() == [1, 0]


@pytest.mark.parametrize("tile", [(0, 64, 0, 64), (0, 64, 64, 128)])
def test_rows_at_an_odd_byte_offset_give_the_same_tile(tile):
    # as a dask worker may receive them: numpy copies misaligned operands one by one, so a
    # diagonal tile would go to gemm instead of syrk and round differently
    z = standardised(np.random.default_rng(8).standard_normal((128, 25))).astype(np.float32)
    raw = np.empty(z.nbytes + 1, dtype=np.uint8)[1:]
    odd = raw.view(np.float32).reshape(z.shape)
    odd[:] = z
    assert not odd.flags.aligned
    want, got = ap.tile_top_k(z, *tile, 10), ap.tile_top_k(odd, *tile, 10)
    for name in ("rows", "ptr", "s", "j"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)


def test_tiles_mapped_over_a_dask_cluster_give_identical_arrays():
    import distributed  # in the test extra, so CI has it: a missing install fails, never skips

    z = standardised(np.random.default_rng(8).standard_normal((260, 25)))
    k, block = 15, 64
    expected = ap.all_pairs_top_k(z, k=k, block=block)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        z_remote = client.scatter(z, broadcast=True)

        def submit(tile, k, floor):
            return client.submit(ap.tile_top_k, z_remote, *tile, k, floor, pure=False)

        got = ap.run_tiles(len(z), k, block, submit, depth=4)
    for name in ap.NAMES:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
