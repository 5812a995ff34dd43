"""The fast store path gives the reference connectivity numbers (connectivity.metrics)."""

import gzip

import numpy as np
import pandas as pd
import pytest

from analysis.engine.connectivity.fast.extreme import extreme_rows, extreme_vector
from analysis.engine.connectivity.fast.library import arrays_library
from analysis.engine.connectivity.fast.score import fast_connectivity
from analysis.engine.connectivity.metrics import (
    FullSignature,
    GeneList,
    UpDownSignature,
    connectivity,
)
from tests.conftest import FIXTURES

METRICS = ("extreme", "weighted", "updown", "pearson")


@pytest.fixture(scope="module")
def random_library():
    """Correlated random signatures with missing logFC values (three latent factors)."""
    rng = np.random.default_rng(7)
    n_genes, n_sig = 400, 300
    genes = rng.choice(100_000, n_genes, replace=False)
    factors = rng.standard_normal((n_genes, 3))
    loadings = rng.standard_normal((3, n_sig))
    logfc = 0.5 * factors @ loadings + rng.standard_normal((n_genes, n_sig))
    p = np.clip(np.exp(-3 * np.abs(logfc)) * rng.uniform(0.5, 1, logfc.shape), 0, 1)
    logfc[5, 7] = logfc[9, 11] = np.nan
    query_logfc = factors[:300] @ loadings[:, 0] + rng.standard_normal(300)
    query = FullSignature(
        genes=np.append(genes[:300], [10**7, 10**7 + 1]),  # two genes the library lacks
        logfc=np.append(query_logfc, [1.0, 2.0]),
        pvalue=np.clip(np.exp(-2 * np.abs(np.append(query_logfc, [1.0, 2.0]))), 0, 1),
    )
    ids = [f"S{j}" for j in range(n_sig)]
    return genes, logfc, p, ids, query


def compare(query, genes, logfc, p, ids, metric, *, top):
    reference = connectivity(query, genes, logfc, p, metric=metric, signature_ids=ids)
    fast = fast_connectivity(query, arrays_library(genes, logfc, p, ids), metric=metric, top=top)
    ours = fast.table.set_index("signature")
    ref = reference.set_index("signature").loc[ours.index]
    np.testing.assert_allclose(ours["similarity"], ref["similarity"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.log10(ours["pValue"]), np.log10(ref["pValue"]), atol=1e-9)
    np.testing.assert_array_equal(ours["nGenes"], ref["nGenes"])
    np.testing.assert_allclose(ours["FDR"], ref["FDR"], rtol=1e-5)
    return reference, ours


@pytest.mark.parametrize("metric", METRICS)
def test_the_top_rows_equal_the_reference_with_missing_values_and_partial_overlap(
    random_library, metric
):
    genes, logfc, p, ids, query = random_library
    reference, ours = compare(query, genes, logfc, p, ids, metric, top=15)
    expected = reference.assign(a=reference["similarity"].abs()).nlargest(15, "a")
    assert set(ours.index) == set(expected["signature"])


@pytest.mark.parametrize("metric", METRICS)
def test_every_row_scored_exactly_equals_the_reference(random_library, metric):
    genes, logfc, p, ids, query = random_library
    compare(query, genes, logfc, p, ids, metric, top=None)


def test_up_down_lists_and_gene_lists_equal_the_reference(random_library):
    genes, logfc, p, ids, _ = random_library
    updown = UpDownSignature(up=genes[:30], down=np.append(genes[30:60], [10**8]))
    compare(updown, genes, logfc, p, ids, "updown", top=10)
    reference = connectivity(
        GeneList(genes[:40]), genes, logfc, p, metric="randomset", signature_ids=ids
    )
    fast = fast_connectivity(
        GeneList(genes[:40]), arrays_library(genes, logfc, p, ids), metric="randomset", top=10
    ).table
    assert list(fast["signature"]) == list(reference.nlargest(10, "similarity")["signature"])
    ref = reference.set_index("signature").loc[fast["signature"]]
    np.testing.assert_allclose(fast["similarity"], ref["similarity"], atol=1e-12)


def test_a_query_without_p_values_uses_the_library_weights(random_library):
    genes, logfc, p, ids, query = random_library
    plain = FullSignature(genes=query.genes, logfc=query.logfc)
    for metric in ("weighted", "pearson"):
        compare(plain, genes, logfc, p, ids, metric, top=10)


@pytest.fixture(scope="module")
def modz_library():
    """The real LINCS level-5 MODZ library (272 signatures x 978 landmarks)."""
    path = FIXTURES / "lincs" / "level5_modz_n272x978_cmapR.gct.gz"
    with gzip.open(path, "rt", encoding="latin-1") as fh:
        fh.readline()
        n_rows, n_cols, n_rmeta, n_cmeta = map(int, fh.readline().split())
        table = pd.read_csv(fh, sep="\t", index_col=0, low_memory=False)
    values = table.iloc[n_cmeta:, n_rmeta:].astype(float)
    genes = table.iloc[n_cmeta:]["pr_gene_id"].astype(np.int64).to_numpy()
    z = values.to_numpy()
    from scipy import stats

    return genes, z, 2 * stats.norm.sf(np.abs(z)), list(values.columns)


@pytest.mark.parametrize("metric", METRICS)
def test_a_real_library_queried_with_a_real_ilincs_signature_gives_the_reference(
    modz_library, metric
):
    genes, z, p, ids = modz_library
    sig = pd.read_csv(
        FIXTURES / "ilincs_examples" / "ilincs_signature_LINCSCP_100_full.tsv", sep="\t"
    )
    query = FullSignature(
        genes=sig["ID_geneid"].to_numpy(),
        logfc=sig["Value_LogDiffExp"].to_numpy(),
        pvalue=sig["Significance_pvalue"].to_numpy(),
    )
    compare(query, genes, z, p, ids, metric, top=20)


@pytest.fixture(scope="module")
def complete_library():
    """Correlated random signatures without missing values (full overlap with the query)."""
    rng = np.random.default_rng(5)
    n_genes, n_sig = 300, 500
    genes = np.arange(1, n_genes + 1) * 7
    factors = rng.standard_normal((n_genes, 4))
    logfc = 0.6 * factors @ rng.standard_normal((4, n_sig)) + rng.standard_normal((n_genes, n_sig))
    from scipy import stats

    p = 2 * stats.norm.sf(np.abs(logfc))
    q = factors @ rng.standard_normal(4) + rng.standard_normal(n_genes)
    query = FullSignature(genes=genes, logfc=q, pvalue=2 * stats.norm.sf(np.abs(q)))
    return genes, logfc, p, [f"C{j}" for j in range(n_sig)], query


@pytest.mark.parametrize("metric", [*METRICS, "randomset"])
@pytest.mark.parametrize("overlap", ["full", "partial"])
def test_every_screened_score_lies_within_its_error_bound_of_the_reference(
    complete_library, metric, overlap
):
    from analysis.engine.connectivity.fast import score as fastconn

    genes, logfc, p, ids, query = complete_library
    if overlap == "partial":
        query = FullSignature(genes=genes[:200], logfc=query.logfc[:200], pvalue=query.pvalue[:200])
    if metric == "randomset":
        query = GeneList(genes[:40] if overlap == "full" else genes[::9])
    lib = arrays_library(genes, logfc, p, ids)
    plan = fastconn._plan(query, lib, metric, 100)
    screen = fastconn._screen(plan, lib)
    ref = connectivity(query, genes, logfc, p, metric=metric, signature_ids=ids)["similarity"]
    assert np.all(np.abs(screen.r - ref.to_numpy()) <= screen.bound)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("order", ["up", "down"])
def test_the_most_positive_and_most_negative_rows_are_those_of_the_reference(
    complete_library, metric, order
):
    genes, logfc, p, ids, query = complete_library
    reference, ours = compare(query, genes, logfc, p, ids, metric, top=25)
    fast = fast_connectivity(
        query, arrays_library(genes, logfc, p, ids), metric=metric, top=25, order=order
    )
    expected = reference.sort_values("similarity", ascending=order == "down").head(25)
    assert list(fast.table["signature"]) == list(expected["signature"])


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("window", [4, 32])
def test_the_fdr_is_exact_when_the_window_of_p_lower_bounds_is_small(
    complete_library, metric, window, monkeypatch
):
    """A small window makes the FDR bound the rows past it from the histogram of their p
    lower bounds, or re-score more rows: either way the returned FDR equals BH over all."""
    from analysis.engine.connectivity.fast import fdr as fastfdr

    monkeypatch.setattr(fastfdr, "TAIL", window)
    genes, logfc, p, ids, query = complete_library
    compare(query, genes, logfc, p, ids, metric, top=20)


def test_the_query_extreme_vector_follows_the_store_rule_with_ties():
    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(3, 1200))
        s = np.round(rng.standard_normal(n), int(rng.integers(0, 3)))  # many ties
        order = np.argsort(rng.choice(10**6, n, replace=False), kind="stable")
        k = int(rng.integers(1, 120))
        np.testing.assert_array_equal(
            extreme_vector(s, order, k), extreme_rows(s[None, :], order, k)[0][0]
        )
