"""Connectivity metrics against the R oracle, the iLINCS API outputs and CMap's expectations.

Libraries are real signatures: the 20 iLINCS LINCSCP signatures connected to LINCSCP_100
(497 genes) and the 272 LINCS level-5 MODZ signatures (978 landmarks, probes mapped to Entrez
ids). Neither file carries p-values, so both libraries get p = 2·Φ(−|z|) of their values (a fixed
input transformation, applied identically for R and Python); in the LINCSCP library the values
capped at ±10 get p = 0, to exercise the p = 0 clamp, and 3 % of its entries are blanked (NaN) to
exercise partial overlap.
"""

import gzip
import inspect

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from analysis.engine import formats
from analysis.engine.connectivity.metrics import (
    FullSignature,
    GeneList,
    UpDownSignature,
    connectivity,
    perturbagen_connectivity,
    random_set,
    wtcs,
)
from analysis.engine.stats import P_FLOOR, p_from_r
from tests.conftest import FIXTURES
from tests.oracle import read_oracle_table, run_oracle

ILINCS = FIXTURES / "ilincs_examples"
CMAP = FIXTURES / "cmap_validation"
REFERENCE = FIXTURES / "ilincs_reference_outputs"
DOUBLE_TINY = float(np.finfo(np.float64).tiny)


# ---- real inputs -------------------------------------------------------------------------


def read_gct(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values: row ids × column ids, row metadata) of a GCT file."""
    gct = formats.read_gct(path)
    return gct.data, gct.row_meta


def z_to_p(z: np.ndarray) -> np.ndarray:
    return 2 * sps.norm.sf(np.abs(z))


@pytest.fixture(scope="session")
def query_lincscp_100() -> FullSignature:
    table = pd.read_csv(ILINCS / "ilincs_signature_LINCSCP_100_full.tsv", sep="\t")
    return FullSignature(
        genes=table["ID_geneid"],
        logfc=table["Value_LogDiffExp"],
        pvalue=table["Significance_pvalue"],
    )


@pytest.fixture(scope="session")
def query_lincscp_1000_without_p() -> FullSignature:
    table = pd.read_csv(ILINCS / "ilincs_signature_LINCSCP_1000_genes_logdiff.tsv", sep="\t")
    return FullSignature(genes=table["ID_geneid"], logfc=table["Value_LogDiffExp"])


@pytest.fixture(scope="session")
def lincscp_library() -> dict:
    values, meta = read_gct(ILINCS / "ilincs_LINCSCP_signatures_n20x497.gct.gz")
    logfc = values.to_numpy().copy()
    p = z_to_p(logfc)
    p[np.abs(logfc) >= 10] = 0.0
    blank = np.random.default_rng(4).random(logfc.shape) < 0.03
    logfc[blank] = np.nan
    p[np.roll(blank, 1, axis=0)] = np.nan  # some genes lose their p but keep their logFC
    genes = meta["ID_geneid"].astype(np.int64).to_numpy()
    return {"genes": genes, "logfc": logfc, "p": p, "ids": list(values.columns)}


@pytest.fixture(scope="session")
def modz_library() -> dict:
    values, _ = read_gct(FIXTURES / "lincs" / "level5_modz_n272x978_cmapR.gct.gz")
    probes = pd.read_csv(FIXTURES / "lincs" / "landmark_probe_meta_n978.txt", sep="\t")
    entrez = probes.set_index("rid")["pr_gene_id"].astype(np.int64)
    genes = entrez.reindex(values.index).to_numpy()
    logfc = values.to_numpy()
    return {"genes": genes, "logfc": logfc, "p": z_to_p(logfc), "ids": list(values.columns)}


def _one_digit(p: np.ndarray) -> np.ndarray:
    return np.array([float(f"{x:.0e}") if np.isfinite(x) else np.nan for x in np.ravel(p)]).reshape(
        np.shape(p)
    )


@pytest.fixture(scope="session")
def query_lincscp_100_tied(query_lincscp_100) -> FullSignature:
    """LINCSCP_100 with p rounded to one digit: many ties at the 100th gene."""
    q = query_lincscp_100
    return FullSignature(genes=q.genes, logfc=q.logfc, pvalue=_one_digit(q.pvalue))


@pytest.fixture(scope="session")
def modz_library_tied(modz_library) -> dict:
    return {**modz_library, "p": _one_digit(modz_library["p"])}


@pytest.fixture(scope="session")
def updown_lists(query_lincscp_1000_without_p) -> UpDownSignature:
    """An explicit list: LINCSCP_1000's 60 most up and 40 most down genes."""
    order = np.lexsort((query_lincscp_1000_without_p.genes, -query_lincscp_1000_without_p.logfc))
    genes = query_lincscp_1000_without_p.genes[order]
    return UpDownSignature(up=genes[:60], down=genes[-40:])


# ---- the R oracle ------------------------------------------------------------------------


def _padded(genes) -> list[str]:
    # connectivity_ref.R breaks ties by gene id as text, in byte order; a letter prefix keeps
    # R from reading the ids as numbers and zero-padding makes byte order the numeric order
    # the engine uses.
    return [f"g{g:012d}" for g in genes]


def _write_matrix(path, genes, values, ids):
    pd.DataFrame(values, index=_padded(genes), columns=ids).rename_axis("gene").to_csv(
        path, sep="\t", na_rep="NA", float_format="%.17g"
    )


def oracle_run(rscript, tmp, name, query, library, *, pmin, updown=None):
    folder = tmp / name
    folder.mkdir()
    q = {"gene": _padded(query.genes), "logFC": query.logfc}
    if query.has_p:
        q["pvalue"] = query.pvalue
    pd.DataFrame(q).to_csv(folder / "q.tsv", sep="\t", index=False, float_format="%.17g")
    _write_matrix(folder / "l.tsv", library["genes"], library["logfc"], library["ids"])
    _write_matrix(folder / "p.tsv", library["genes"], library["p"], library["ids"])
    args = ["--query", folder / "q.tsv", "--lib-logfc", folder / "l.tsv"]
    args += ["--lib-p", folder / "p.tsv", "--out", folder / "out.tsv", "--pmin", repr(pmin)]
    if updown is not None:
        ud = pd.DataFrame(
            {"gene": _padded(np.r_[updown.up, updown.down]), "direction": updown.codes()[1]}
        )
        ud.astype({"direction": int}).to_csv(folder / "ud.tsv", sep="\t", index=False)
        args += ["--updown", folder / "ud.tsv"]
    run_oracle(rscript, "connectivity_ref.R", *args)
    return read_oracle_table(folder / "out.tsv")


CASES = {
    # name: (query fixture, library fixture, p floor, explicit up/down list)
    "lincscp100_vs_lincscp20": ("query_lincscp_100", "lincscp_library", P_FLOOR, False),
    "lincscp100_vs_lincscp20_double_floor": (
        "query_lincscp_100",
        "lincscp_library",
        DOUBLE_TINY,
        False,
    ),
    "lincscp100_vs_modz272": ("query_lincscp_100", "modz_library", P_FLOOR, False),
    "tied_p_values": ("query_lincscp_100_tied", "modz_library_tied", P_FLOOR, False),
    "lincscp1000_without_p_vs_modz272": (
        "query_lincscp_1000_without_p",
        "modz_library",
        P_FLOOR,
        True,
    ),
}


@pytest.fixture(scope="session")
def oracle_results(request, rscript, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("connectivity-oracle")
    out = {}
    for name, (query_name, lib_name, floor, explicit) in CASES.items():
        query = request.getfixturevalue(query_name)
        library = request.getfixturevalue(lib_name)
        updown = request.getfixturevalue("updown_lists") if explicit else None
        table = oracle_run(rscript, tmp, name, query, library, pmin=floor, updown=updown)
        out[name] = (query, library, floor, updown, table)
    return out


def _engine(query, library, metric, floor):
    table = connectivity(
        query,
        library["genes"],
        library["logfc"],
        library["p"],
        metric=metric,
        signature_ids=library["ids"],
        p_floor=floor,
    )
    return table.set_index("signature")


def _assert_matches_oracle(ours, reference, prefix):
    expected_r = reference[f"{prefix}_r"].to_numpy()
    expected_p = reference[f"{prefix}_p"].to_numpy()
    assert list(ours.index) == list(reference.index)
    np.testing.assert_array_equal(ours["nGenes"], reference[f"{prefix}_n"].astype(np.int64))
    np.testing.assert_array_equal(np.isnan(ours["similarity"]), np.isnan(expected_r))
    np.testing.assert_allclose(ours["similarity"], expected_r, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours["pValue"], expected_p, rtol=1e-9, atol=0)


@pytest.mark.oracle
@pytest.mark.parametrize("case", [c for c in CASES if not c.startswith("lincscp1000")])
@pytest.mark.parametrize("metric", ["extreme", "weighted", "updown"])
def test_full_signature_metrics_equal_the_r_reference(oracle_results, case, metric):
    query, library, floor, _, reference = oracle_results[case]
    _assert_matches_oracle(_engine(query, library, metric, floor), reference, metric)


@pytest.mark.oracle
def test_a_query_without_p_values_is_weighted_by_the_library_p_values_only(oracle_results):
    query, library, floor, _, reference = oracle_results["lincscp1000_without_p_vs_modz272"]
    _assert_matches_oracle(_engine(query, library, "weighted", floor), reference, "weighted")


@pytest.mark.oracle
def test_explicit_up_down_lists_equal_the_r_reference(oracle_results):
    _, library, floor, updown, reference = oracle_results["lincscp1000_without_p_vs_modz272"]
    _assert_matches_oracle(_engine(updown, library, "updown", floor), reference, "updown")


def test_the_extreme_metric_needs_p_values(query_lincscp_1000_without_p, modz_library):
    with pytest.raises(ValueError, match="p-values"):
        _engine(query_lincscp_1000_without_p, modz_library, "extreme", P_FLOOR)


def test_a_metric_that_does_not_fit_the_query_is_refused(updown_lists, modz_library):
    with pytest.raises(ValueError, match="does not apply"):
        _engine(updown_lists, modz_library, "pearson", P_FLOOR)


def test_plain_pearson_equals_scipy_over_the_shared_measured_genes(
    query_lincscp_100, lincscp_library
):
    ours = _engine(query_lincscp_100, lincscp_library, "pearson", P_FLOOR)
    q = pd.Series(query_lincscp_100.logfc, index=query_lincscp_100.genes)
    for j, sid in enumerate(lincscp_library["ids"]):
        lib = pd.Series(lincscp_library["logfc"][:, j], index=lincscp_library["genes"]).dropna()
        x = q.reindex(lib.index).dropna()
        expected = sps.pearsonr(x.to_numpy(), lib.reindex(x.index).to_numpy())
        assert ours.loc[sid, "nGenes"] == len(x)
        assert ours.loc[sid, "similarity"] == pytest.approx(expected.statistic, abs=1e-12)
        assert ours.loc[sid, "pValue"] == pytest.approx(expected.pvalue, rel=1e-9)


def test_fdr_is_benjamini_hochberg_over_the_library(query_lincscp_100, modz_library):
    ours = _engine(query_lincscp_100, modz_library, "weighted", P_FLOOR)
    expected = multipletests(ours["pValue"], method="fdr_bh")[1]
    np.testing.assert_allclose(ours["FDR"], expected, rtol=1e-12)


def test_rows_below_the_minimum_overlap_are_flagged_and_left_out_of_the_fdr(modz_library):
    # A query that shares 3 genes with the library: scored, flagged, no FDR.
    genes = np.r_[modz_library["genes"][:3], [1, 2, 3, 9]]
    query = FullSignature(genes=genes, logfc=[1.0, -2.0, 0.5, 1, 1, 1, 1], pvalue=[0.01] * 7)
    table = connectivity(
        query,
        modz_library["genes"],
        modz_library["logfc"],
        modz_library["p"],
        metric="pearson",
        signature_ids=modz_library["ids"],
        min_overlap=10,
    )
    assert (table["nGenes"] == 3).all()
    assert table["lowOverlap"].all()
    assert table["FDR"].isna().all()
    assert table["similarity"].notna().any()
    assert list(table.columns) == [
        "signature",
        "similarity",
        "pValue",
        "FDR",
        "nGenes",
        "lowOverlap",
    ]


def test_a_signature_without_shared_measured_genes_gets_no_score(query_lincscp_100):
    lib_genes = np.array([1, 2, 3, query_lincscp_100.genes[0]], dtype=np.int64)
    logfc = np.array([[0.1, np.nan], [0.2, np.nan], [0.3, np.nan], [0.4, np.nan]])
    table = connectivity(
        query_lincscp_100, lib_genes, logfc, None, metric="pearson", signature_ids=["a", "b"]
    )
    assert table["nGenes"].tolist() == [1, 0]
    assert table["similarity"].isna().all() and table["pValue"].isna().all()


# ---- p-values as the iLINCS API prints them ----------------------------------------------


def test_the_weighted_p_value_matches_the_ilincs_api_example():
    # oracle README: r 0.5366747 over n 973 genes; iLINCS printed 1.123590e-73.
    assert p_from_r(0.5366747, 973) == pytest.approx(1.12359e-73, rel=1e-5)


@pytest.mark.parametrize(
    "table",
    [
        "useCase2_t09_Find_connected_CP_signatures.tsv",
        "usingIlincsApis_t07_Signature_as_a_list_of_up_and_down_genes.tsv",
        "usingIlincsApis_t08_Find_connected_signatures.tsv",
    ],
)
def test_p_from_r_reproduces_the_p_values_of_ilincs_result_tables(table):
    # The similarities are printed with 7 digits, which bounds the agreement of p.
    rows = pd.read_csv(REFERENCE / table, sep="\t")
    ours = p_from_r(rows["similarity"].to_numpy(), rows["nGenes"].to_numpy())
    np.testing.assert_allclose(ours, rows["pValue"], rtol=2e-4, atol=0)


# ---- random set and perturbagen level ----------------------------------------------------


def _random_set_by_hand(values: np.ndarray, members: np.ndarray) -> float:
    """z from the textbook formulas, written independently of the engine."""
    pop = values[np.isfinite(values)]
    hits = values[members & np.isfinite(values)]
    n_pop, k = len(pop), len(hits)
    sigma2 = ((pop - pop.mean()) ** 2).sum() / n_pop
    return (hits.mean() - pop.mean()) / np.sqrt(sigma2 / k * (n_pop - k) / (n_pop - 1))


def test_random_set_z_is_the_finite_population_z_of_the_mean_significance(
    query_lincscp_100, lincscp_library
):
    top = query_lincscp_100.genes[np.argsort(query_lincscp_100.pvalue)[:100]]
    table = connectivity(
        GeneList(genes=top),
        lincscp_library["genes"],
        lincscp_library["logfc"],
        lincscp_library["p"],
        metric="randomset",
        signature_ids=lincscp_library["ids"],
    ).set_index("signature")
    members = np.isin(lincscp_library["genes"], top)
    for j, sid in enumerate(lincscp_library["ids"]):
        p = lincscp_library["p"][:, j].copy()
        p[np.isnan(lincscp_library["logfc"][:, j])] = np.nan
        score = -np.log10(np.maximum(p, P_FLOOR))
        z = _random_set_by_hand(score, members)
        assert table.loc[sid, "similarity"] == pytest.approx(z, rel=1e-12)
        assert table.loc[sid, "pValue"] == pytest.approx(sps.norm.sf(z), rel=1e-9)
        assert table.loc[sid, "nGenes"] == (members & np.isfinite(score)).sum()
    # LINCSCP_100's own strongest genes are most enriched in LINCSCP_100 itself
    assert table["similarity"].idxmax() == "LINCSCP_100"


def test_random_set_matches_a_monte_carlo_draw_of_random_sets(modz_library):
    rng = np.random.default_rng(7)
    genes = rng.choice(modz_library["genes"], size=25, replace=False)
    logfc = modz_library["logfc"][:, :1]
    table = random_set(
        GeneList(genes=genes), modz_library["genes"], logfc, None, signature_ids=["s"]
    )
    score = np.abs(logfc[:, 0])
    draws = np.array(
        [score[rng.choice(len(score), 25, replace=False)].mean() for _ in range(20000)]
    )
    observed = score[np.isin(modz_library["genes"], genes)].mean()
    z_mc = (observed - draws.mean()) / draws.std()
    assert table["similarity"].iloc[0] == pytest.approx(z_mc, abs=0.05)


def test_perturbagen_level_scores_both_tails_separately(query_lincscp_100, modz_library):
    scores = _engine(query_lincscp_100, modz_library, "weighted", P_FLOOR)["similarity"]
    values, _ = read_gct(FIXTURES / "lincs" / "level5_modz_n272x978_cmapR.gct.gz")
    with gzip.open(
        FIXTURES / "lincs" / "level5_modz_n272x978_cmapR.gct.gz", "rt", encoding="latin-1"
    ) as fh:
        lines = [next(fh) for _ in range(20)]
    iname = next(line for line in lines if line.startswith("pert_iname")).rstrip("\n").split("\t")
    perts = iname[1 + len(iname) - 1 - len(values.columns) :]
    table = perturbagen_connectivity(scores.to_numpy(), perts).set_index("perturbagen")
    assert table["nSignatures"].to_dict() == {
        "atorvastatin": 94,
        "vemurafenib": 140,
        "venlafaxine": 38,
    }
    s = scores.to_numpy()
    for name, row in table.iterrows():
        z = _random_set_by_hand(s, np.asarray(perts) == name)
        assert row["zScore"] == pytest.approx(z, rel=1e-12)
        assert row["pValueUp"] == pytest.approx(sps.norm.sf(z), rel=1e-9)
        assert row["pValueDown"] == pytest.approx(sps.norm.cdf(z), rel=1e-9)
        assert row["connDirection"] == ("+" if z > 0 else "-")
    np.testing.assert_allclose(table["FDRUp"], multipletests(table["pValueUp"], method="fdr_bh")[1])


# ---- CMap weighted connectivity score ----------------------------------------------------


def _read_gctx(path):
    gctx = formats.read_gctx(path)
    return gctx.data.to_numpy(), gctx.data.index.to_numpy(str), gctx.data.columns.to_numpy(str)


def _read_gmt(path) -> dict[str, list[str]]:
    return {s.name: s.genes for s in formats.read_gmt(path)}


@pytest.mark.parametrize(
    ("weighted", "es_up", "es_down", "score"),
    [(True, 0.7449, -0.8016, 0.7733), (False, 0.5516, -0.5585, 0.5551)],
)
def test_wtcs_of_trichostatin_a_with_the_hdac_query_equals_cmap(weighted, es_up, es_down, score):
    folder = CMAP / "wtcs_trichostatin"
    values, _ = read_gct(folder / "trichostatina_mcf7_10um_score.gct.gz")
    ranks, _ = read_gct(folder / "trichostatina_mcf7_10um_rank_full.gct.gz")
    up = formats.read_grp(folder / "HDAC_UP.grp")
    down = formats.read_grp(folder / "HDAC_DN.grp")
    ids = values.index.to_numpy(dtype=str)
    for given_ranks in (ranks.reindex(values.index).to_numpy(), None):
        row = wtcs(ids, values.to_numpy(), up, down, ranks=given_ranks, weighted=weighted)
        assert row.loc[0, "esUp"] == pytest.approx(es_up, abs=1e-4)
        assert row.loc[0, "esDown"] == pytest.approx(es_down, abs=1e-4)
        assert row.loc[0, "wtcs"] == pytest.approx(score, abs=1e-4)


def test_the_lamb_2006_hdac_query_gives_the_same_wtcs_as_the_grp_files():
    folder = CMAP / "wtcs_trichostatin"
    values, _ = read_gct(folder / "trichostatina_mcf7_10um_score.gct.gz")
    up = _read_gmt(CMAP / "lamb2006_queries" / "science_cmap_up.gmt")
    down = _read_gmt(CMAP / "lamb2006_queries" / "science_cmap_dn.gmt")
    hdac_up = next(v for k, v in up.items() if "HDAC" in k.upper())
    hdac_down = next(v for k, v in down.items() if "HDAC" in k.upper())
    row = wtcs(values.index.to_numpy(dtype=str), values.to_numpy(), hdac_up, hdac_down)
    assert row.loc[0, "wtcs"] == pytest.approx(0.7733, abs=1e-4)


def test_wtcs_of_the_cmap_query_contest_equals_the_expected_matrix():
    folder = CMAP / "contest_query"
    scores, genes, sig_ids = _read_gctx(folder / "contest_modzs_ezid_n10x10174.gctx")
    ranks, rank_genes, _ = _read_gctx(folder / "contest_rank_ezid_n10x10174.gctx")
    expected, exp_sigs, queries = _read_gctx(folder / "contest_results_n10x10.gctx")
    assert (rank_genes == genes).all()
    up = _read_gmt(folder / "contest_query_ezid_up_n10.gmt")
    down = _read_gmt(folder / "contest_query_ezid_down_n10.gmt")
    for k, name in enumerate(queries):
        table = wtcs(
            genes,
            scores,
            up[f"{name}_UP"],
            down[f"{name}_DN"],
            ranks=ranks,
            signature_ids=list(sig_ids),
        )
        ours = table.set_index("signature")["wtcs"].reindex(exp_sigs).to_numpy()
        np.testing.assert_allclose(ours, expected[:, k], rtol=0, atol=2e-7)


# ---- the query types and the public signature --------------------------------------------


def test_a_query_with_duplicated_genes_is_refused():
    with pytest.raises(ValueError, match="duplicated"):
        FullSignature(genes=[1, 2, 2], logfc=[0.1, 0.2, 0.3])


def test_p_values_outside_zero_one_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        FullSignature(genes=[1, 2, 3], logfc=[0.1, 0.2, 0.3], pvalue=[0.1, 1.5, 0.2])


def test_a_gene_cannot_be_both_up_and_down():
    with pytest.raises(ValueError, match="both up and down"):
        UpDownSignature(up=[1, 2], down=[2, 3])


def test_the_connectivity_entry_point_keeps_its_documented_signature():
    params = inspect.signature(connectivity).parameters
    assert list(params)[:4] == ["query", "lib_genes", "lib_logfc", "lib_p"]
    keyword_only = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert keyword_only[:4] == ["metric", "signature_ids", "n_extreme", "min_overlap"]
    assert params["n_extreme"].default == 100
