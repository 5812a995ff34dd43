"""manage.py precompute_connections: the stored arrays, the dask path, errors and progress."""

import io as stdio

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from threadpoolctl import threadpool_limits

from analysis.engine.allpairs import NAMES, all_pairs_top_k, standardised
from analysis.management.commands.precompute_connections import progress_line
from signatures import io

N_SIG, N_GENES = 53, 40


@pytest.fixture
def logfc(settings):
    """A stored 53-signature library; a few values missing, signature 9 entirely."""
    rng = np.random.default_rng(21)
    values = rng.standard_normal((N_GENES, N_SIG))
    values[rng.uniform(size=values.shape) < 0.03] = np.nan
    values[:, 9] = np.nan
    writer = io.LibraryWriter(
        slug="pairs-lib", genes=np.arange(1, N_GENES + 1), n_signatures=N_SIG, has_pvalues=False
    )
    writer.add_block(signature_ids=[f"S{j}" for j in range(N_SIG)], logfc=values)
    writer.commit()
    return values


def stored(**options) -> dict:
    call_command("precompute_connections", "pairs-lib", **options)
    with np.load(io.library_open(slug="pairs-lib").path / "connections.npz") as npz:
        return {name: npz[name] for name in npz.files}


def test_stores_every_signatures_top_k_as_the_engine_computes_it(logfc):
    got = stored(top=7, block=10)
    assert sorted(got) == sorted(NAMES)
    with threadpool_limits(1, user_api="blas"):  # the same GEMM calls, so the same roundings
        want = all_pairs_top_k(standardised(logfc.T), k=7, block=10)
    for name in NAMES:
        assert got[name].shape == (N_SIG, 7)
        assert got[name].dtype == (np.int32 if name.endswith("idx") else np.float32)
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    r = pd.DataFrame(logfc).corr().to_numpy()[4]  # pairwise-complete Pearson, for scale
    assert got["pos_r"][4, 0] == pytest.approx(np.nanmax(np.delete(r, 4)), abs=0.05)
    assert np.all(np.diff(got["pos_r"], axis=1) <= 0) and np.all(np.diff(got["neg_r"], axis=1) >= 0)


def test_top_at_least_the_library_keeps_every_other_signature(logfc):
    got = stored(top=500, block=16)
    assert got["pos_idx"].shape == (N_SIG, N_SIG - 1)
    assert sorted(got["pos_idx"][0]) == list(range(1, N_SIG))


def test_a_dask_cluster_gives_identical_arrays(logfc):
    import distributed  # in the test extra, so CI has it: a missing install fails, never skips

    here = stored(top=5, block=8)
    started_here = stored(top=5, block=8, dask="local", threads=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        at_an_address = stored(top=5, block=8, dask=cluster.scheduler_address)
    for name in NAMES:
        np.testing.assert_array_equal(started_here[name], here[name], err_msg=name)
        np.testing.assert_array_equal(at_an_address[name], here[name], err_msg=name)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"top": 0}, "--top must be at least 1"),
        ({"block": 0}, "--block must be at least 1"),
        ({"threads": 0}, "--threads must be at least 1"),
    ],
)
def test_bad_options_exit_2_with_the_reason(logfc, options, message):
    with pytest.raises(CommandError, match=message) as caught:
        call_command("precompute_connections", "pairs-lib", **options)
    assert caught.value.returncode == 2


def test_an_unknown_library_exits_2(settings):
    with pytest.raises(CommandError) as caught:
        call_command("precompute_connections", "no-such-lib")
    assert caught.value.returncode == 2


class Terminal(stdio.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_progress_bar_with_elapsed_time_and_eta(logfc):
    terminal = Terminal()
    call_command("precompute_connections", "pairs-lib", block=8, stderr=terminal)
    assert "100%" in terminal.getvalue() and "ETA 0:00" in terminal.getvalue()
    quiet = stdio.StringIO()
    call_command("precompute_connections", "pairs-lib", block=8, stderr=quiet)
    assert quiet.getvalue() == ""


def test_progress_line():
    line = progress_line("lib", 25, 100, 30.0, width=8)
    assert line == "lib [##------]  25%  0:30 elapsed  ETA 1:30"
    assert progress_line("lib", 0, 100, 1.0).endswith("ETA ?")
    assert "1:01:40 elapsed" in progress_line("lib", 1, 2, 3700.0)
