"""edgeR engine against the edgeR 3.40 oracle (edger_ref.R) on real GSE147507 counts.

Cases (SARS-CoV-2 vs mock, 3 + 3 samples): A549-ACE2 (series 16) with and without
filterByExpr, Calu-3 (series 7) filtered, and series 16 fitted together with the series 6
A549-ACE2 samples (four groups, ``--keep-all-groups``) and with robust empirical Bayes.  R runs once per case per session;
the Python pipeline runs once per case and method.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.engine.de import edger
from tests.conftest import FIXTURES
from tests.oracle import read_oracle_table, run_oracle

RNASEQ = FIXTURES / "rnaseq"
CASES = {
    "a549ace2_filtered": ("Series16_A549-ACE2", ("--filter",)),
    "a549ace2_all_genes": ("Series16_A549-ACE2", ()),
    "calu3_filtered": ("Series7_Calu3", ("--filter",)),
    "a549ace2_four_groups": ("Series16_A549-ACE2", ("--filter", "--keep-all-groups")),
    "a549ace2_robust": ("Series16_A549-ACE2", ("--filter", "--robust")),
}
FOUR_GROUPS = "A549-ACE2"  # samples listed in the --keep-all-groups case


@dataclass
class EdgerCase:
    """Inputs of one comparison, the oracle's outputs and the engine's results (lazily)."""

    counts: pd.DataFrame
    groups: pd.Series
    treatment: str
    baseline: str
    flags: tuple[str, ...]
    prefix: Path
    results: dict = field(default_factory=dict)

    @property
    def options(self) -> dict[str, bool]:
        return {
            "filter_": "--filter" in self.flags,
            "keep_all_groups": "--keep-all-groups" in self.flags,
        }

    @property
    def robust(self) -> bool:
        return "--robust" in self.flags

    def oracle(self, suffix: str) -> pd.DataFrame:
        return read_oracle_table(f"{self.prefix}.{suffix}.tsv")

    def summary(self, key: str) -> float:
        return float(self.oracle("summary").loc[key, "value"])

    def python(self, method: str) -> pd.DataFrame:
        if method not in self.results:
            opts = self.options
            table = edger.edger_two_group(
                self.counts, self.groups, self.treatment, self.baseline, method=method,
                filter=opts["filter_"], keep_all_groups=opts["keep_all_groups"],
                robust=self.robust,
            )  # fmt: skip
            self.results[method] = table.set_index("gene")
        return self.results[method]

    def prepared(self):
        return edger._prepare(
            self.counts, self.groups, self.treatment, self.baseline, **self.options
        )


@pytest.fixture(scope="session")
def rnaseq_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edger")
    counts = pd.read_csv(RNASEQ / "GSE147507_raw_counts_human_subset_n40.tsv.gz", sep="\t")
    counts = counts.set_index(counts.columns[0])
    annotation = pd.read_csv(RNASEQ / "GSE147507_sample_annotation_n40.tsv", sep="\t")
    groups = pd.Series(
        (annotation["comparison_id"] + "_" + annotation["condition"]).to_numpy(),
        index=annotation["sample"].rename("sample"),
        name="group",
    )
    counts.to_csv(folder / "counts.tsv", sep="\t")
    return folder, counts, groups


@pytest.fixture(scope="session")
def edger_cases(rscript, rnaseq_inputs) -> dict[str, EdgerCase]:
    folder, counts, groups = rnaseq_inputs
    cases = {}
    for name, (series, flags) in CASES.items():
        keep_all = "--keep-all-groups" in flags
        case_groups = groups[groups.str.contains(FOUR_GROUPS)] if keep_all else groups
        case_groups.to_frame().to_csv(folder / f"{name}.groups.tsv", sep="\t")
        treatment, baseline = f"{series}_SARS-CoV-2", f"{series}_Mock"
        cases[name] = EdgerCase(counts, case_groups, treatment, baseline, flags, folder / name)

    def run(case: EdgerCase) -> None:
        run_oracle(
            rscript, "edger_ref.R", "--counts", folder / "counts.tsv",
            "--groups", f"{case.prefix}.groups.tsv", "--treatment", case.treatment,
            "--baseline", case.baseline, "--out-prefix", case.prefix, *case.flags,
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=2) as pool:  # R is single-threaded; two cores
        list(pool.map(run, cases.values()))
    return cases


def max_rel(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    same = ours == theirs
    rel = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)
    return float(np.max(np.where(same, 0.0, rel)))


@pytest.fixture(params=list(CASES))
def case(request, edger_cases) -> EdgerCase:
    return edger_cases[request.param]


def test_tmm_factors_and_library_sizes_match_edger(case):
    samples = case.oracle("samples")
    prep = case.prepared()
    assert list(samples["group"]) == list(case.groups.loc[samples.index])
    assert len(prep.genes) == case.summary("genes.used")
    lib = prep.counts.sum(axis=0)
    np.testing.assert_array_equal(lib, samples["lib.size"])
    np.testing.assert_allclose(
        edger.calc_norm_factors_tmm(prep.counts), samples["norm.factors"], rtol=1e-8
    )


def test_filter_by_expr_keeps_the_genes_edger_keeps(edger_cases):
    case = edger_cases["a549ace2_filtered"]
    kept = case.oracle("qlf").index
    prep = case.prepared()
    assert sorted(prep.genes) == sorted(kept)


def test_dispersions_match_estimate_disp(case):
    prep = case.prepared()
    ref = case.oracle("disp").loc[np.asarray(prep.genes)]
    glm = edger.estimate_disp(prep.counts, prep.groups, prep.lib_size, robust=case.robust)
    classic = edger.estimate_disp(
        prep.counts, prep.groups, prep.lib_size, classic=True, robust=case.robust
    )
    assert glm.common == pytest.approx(case.summary("common.disp.glm"), rel=1e-9)
    assert classic.common == pytest.approx(case.summary("common.disp.classic"), rel=1e-9)
    np.testing.assert_allclose(glm.ave_log_cpm, ref["AveLogCPM"], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(glm.trended, ref["trended.disp"], rtol=1e-8)
    np.testing.assert_allclose(glm.tagwise, ref["tagwise.disp"], rtol=1e-7)
    np.testing.assert_allclose(classic.trended, ref["classic.trended.disp"], rtol=1e-8)
    np.testing.assert_allclose(classic.tagwise, ref["classic.tagwise.disp"], rtol=1e-7)


def test_ql_prior_matches_glm_ql_fit(case):
    prep = case.prepared()
    ref = case.oracle("disp").loc[np.asarray(prep.genes)]
    disp = edger.estimate_disp(prep.counts, prep.groups, prep.lib_size, robust=case.robust)
    fit = edger.glm_ql_fit(
        prep.counts, prep.groups, prep.lib_size, disp.trended, disp.ave_log_cpm, case.robust
    )
    df_prior = np.broadcast_to(fit.df_prior, (len(prep.genes),))
    np.testing.assert_allclose(df_prior, ref["ql.df.prior"], rtol=1e-8)
    np.testing.assert_array_equal(fit.df_residual_zeros, ref["ql.df.residual.zeros"])
    np.testing.assert_allclose(fit.var_prior, ref["ql.var.prior"], rtol=1e-8)
    np.testing.assert_allclose(fit.var_post, ref["ql.var.post"], rtol=1e-8)


@pytest.mark.parametrize(("method", "suffix", "stat"), [("ql", "qlf", "F"), ("lrt", "lrt", "LR")])
def test_glm_tests_match_edger(case, method, suffix, stat):
    ours, ref = case.python(method), case.oracle(suffix)
    assert list(ours.columns) == ["logFC", "logCPM", stat, "PValue", "FDR"]
    ours = ours.loc[ref.index]
    np.testing.assert_allclose(ours["logFC"], ref["logFC"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours["logCPM"], ref["logCPM"], rtol=1e-9, atol=1e-10)
    # the statistic is compared absolutely too: near-zero LR carry GLM iteration noise
    np.testing.assert_allclose(ours[stat], ref[stat], rtol=1e-6, atol=1e-8)
    assert max_rel(ours["PValue"], ref["PValue"]) < 1e-6
    assert max_rel(ours["FDR"], ref["FDR"]) < 1e-6


def test_exact_test_matches_classic_edger(case):
    ours, ref = case.python("exact"), case.oracle("exact")
    assert list(ours.columns) == ["logFC", "logCPM", "PValue", "FDR"]
    ours = ours.loc[ref.index]
    np.testing.assert_allclose(ours["logFC"], ref["logFC"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours["logCPM"], ref["logCPM"], rtol=1e-8, atol=1e-10)
    # rtol 1e-8 on p; smaller p (< 1e-10) move with the ~1e-9 dispersion agreement
    # in proportion to |log p|, so there the check is on log p
    moderate = ref["PValue"] >= 1e-10
    assert max_rel(ours["PValue"][moderate], ref["PValue"][moderate]) < 1e-8
    positive = ref["PValue"] > 0
    assert (ours["PValue"][~positive] == 0).all()
    log_ours, log_ref = np.log(ours["PValue"][positive]), np.log(ref["PValue"][positive])
    assert np.max(np.abs(log_ours - log_ref) / np.maximum(1, np.abs(log_ref))) < 1e-9


def test_it_rejects_groups_without_samples(rnaseq_inputs):
    _, counts, groups = rnaseq_inputs
    with pytest.raises(ValueError, match="treatment group"):
        edger.edger_two_group(counts, groups, "nope", "Series7_Calu3_Mock")
    with pytest.raises(ValueError, match="method"):
        edger.edger_two_group(
            counts, groups, "Series7_Calu3_SARS-CoV-2", "Series7_Calu3_Mock", method="wald"
        )
