"""limma against the R reference (limma 3.54 via ../shared/oracle/limma_ref.R) on real data.

Tolerances are those of the issue: logFC and t to rtol 1e-9, |Δlog10 p| < 1e-9, and the
oracle's intermediates (sigma, residual and prior df, s2.prior, s2.post, df.total) to
rtol 1e-9. A small absolute tolerance (1e-12) covers constant genes, where R's logFC, t and
sigma are floating-point noise around zero (e.g. -1.8e-15) and ours may be exactly 0.
"""

import functools
import subprocess

import numpy as np
import pandas as pd
import pytest

from analysis.engine import formats
from analysis.engine.de import limma
from tests.conftest import FIXTURES
from tests.engine.conftest import CASES

RTOL = 1e-9
ATOL_NOISE = 1e-12


@functools.cache
def _python_result(expr, groups, treatment, baseline, flags) -> limma.LimmaResult:
    options = {f.strip("-").replace("-", "_"): True for f in flags}
    return limma.limma_fit_two_group(
        formats.read_matrix(expr).data, formats.read_groups(groups), treatment, baseline, **options
    )


def python_result(case) -> limma.LimmaResult:
    return _python_result(case.expr, case.groups, case.treatment, case.baseline, case.flags)


def intermediates(result: limma.LimmaResult) -> pd.DataFrame:
    fit = result.fit
    return pd.DataFrame(
        {
            "sigma": fit.sigma,
            "df.residual": fit.df_residual,
            "stdev.unscaled": fit.stdev_unscaled,
            "s2.prior": fit.s2_prior,
            "df.prior": fit.df_prior,
            "s2.post": fit.s2_post,
            "df.total": fit.df_total,
        },
        index=result.table["gene"].to_numpy(),
    )


def assert_same_missing(ours: pd.Series, theirs: pd.Series) -> None:
    assert np.array_equal(ours.isna().to_numpy(), theirs.isna().to_numpy()), ours.name


def assert_log10_close(ours: pd.Series, theirs: pd.Series) -> None:
    assert_same_missing(ours, theirs)
    keep = theirs.notna().to_numpy()
    diff = np.abs(np.log10(ours.to_numpy()[keep]) - np.log10(theirs.to_numpy()[keep]))
    assert diff.max() < 1e-9, f"{ours.name}: max |dlog10 p| {diff.max():.3g}"


def assert_close(ours: pd.Series, theirs: pd.Series, atol: float = 0.0) -> None:
    assert_same_missing(ours, theirs)
    keep = theirs.notna().to_numpy()
    np.testing.assert_allclose(
        ours.to_numpy()[keep], theirs.to_numpy()[keep], rtol=RTOL, atol=atol, err_msg=ours.name
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_top_table_matches_limma(limma_oracle, name):
    case = limma_oracle(name)
    ours = python_result(case).table.set_index("gene").loc[case.table.index]
    assert list(ours.columns) == list(case.table.columns)
    for column in ("logFC", "t"):
        assert_close(ours[column], case.table[column], atol=ATOL_NOISE)
    for column in ("AveExpr", "B"):
        assert_close(ours[column], case.table[column])
    for column in ("P.Value", "adj.P.Val"):
        assert_log10_close(ours[column], case.table[column])


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_intermediate_statistics_match_limma(limma_oracle, name):
    case = limma_oracle(name)
    ours = intermediates(python_result(case)).loc[case.extra.index]
    assert_close(ours["sigma"], case.extra["sigma"], atol=ATOL_NOISE)
    for column in case.extra.columns.drop("sigma"):
        assert_close(ours[column], case.extra[column])


def test_a_gene_with_no_treatment_value_gets_no_statistics_but_keeps_its_variance(
    limma_oracle,
):
    case = limma_oracle("rat-missing-all-groups-robust")
    result = python_result(case)
    gene = result.table["gene"].iloc[0]
    row = result.table.set_index("gene").loc[gene]
    assert row[["logFC", "t", "P.Value", "adj.P.Val", "B"]].isna().all()
    assert np.isfinite(intermediates(result).loc[gene, "sigma"])
    assert case.table.loc[gene, ["logFC", "t", "P.Value"]].isna().all()


def test_the_result_has_exactly_the_oracle_columns_in_input_gene_order(limma_oracle):
    case = limma_oracle("tcga-luma-vs-her2")
    expr = formats.read_matrix(case.expr).data
    table = limma.limma_two_group(expr, formats.read_groups(case.groups), "LumA", "Her2")
    assert tuple(table.columns) == limma.TOP_TABLE_COLUMNS
    assert table["gene"].tolist() == expr.index.tolist()


def test_luminal_a_tumours_have_more_estrogen_receptor_and_less_her2_than_her2_tumours(
    limma_oracle,
):
    # iLINCS use case 2 (TCGA BRCA LumA vs HER2): ER/PR up, HER2 down in LumA.
    case = limma_oracle("tcga-luma-vs-her2")
    table = python_result(case).table.set_index("gene")
    assert table.loc["ER-alpha", "logFC"] > 0 and table.loc["PR", "logFC"] > 0
    assert table.loc["HER2", "logFC"] < 0
    assert table.loc[["ER-alpha", "HER2"], "adj.P.Val"].max() < 1e-6


COVARIATE_R = r"""
suppressPackageStartupMessages(library(limma))
a <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.delim(a[1], row.names = 1, check.names = FALSE, na.strings = "NA"))
s <- read.delim(a[2], colClasses = "character")
s <- s[s$group %in% c("d50", "d1500"), ]
x <- x[, s$sample]
group <- factor(s$group, levels = c("d50", "d1500"))
time <- factor(s$time)
design <- model.matrix(~0 + group + time)
fit <- eBayes(contrasts.fit(lmFit(x, design), c(-1, 1, rep(0, ncol(design) - 2))))
tt <- topTable(fit, number = Inf, sort.by = "none")
write.table(data.frame(gene = rownames(tt), logFC = sprintf("%.17g", tt$logFC),
  t = sprintf("%.17g", tt$t), P.Value = sprintf("%.17g", tt$P.Value)),
  a[3], sep = "\t", quote = FALSE, row.names = FALSE)
"""


@pytest.mark.parametrize("data", ["rat", "rat_na"])
def test_a_batch_covariate_in_the_design_matches_limma(rscript, limma_inputs, tmp_path, data):
    expr_path, groups_path = limma_inputs[data]
    groups = formats.read_groups(groups_path)
    annotation = pd.read_csv(
        FIXTURES / "expression" / "liver_toxicity_rat_APAP_sample_annotation_n64.tsv",
        sep="\t",
        index_col="sample",
    )
    time = annotation["Time.Group"].astype(str).rename("time")
    pd.concat([groups, time], axis=1).rename_axis("sample").to_csv(
        tmp_path / "samples.tsv", sep="\t"
    )
    script = tmp_path / "covariate.R"
    script.write_text(COVARIATE_R)
    out = tmp_path / "out.tsv"
    subprocess.run(
        [rscript, str(script), str(expr_path), str(tmp_path / "samples.tsv"), str(out)],
        check=True,
        capture_output=True,
    )
    expected = pd.read_csv(out, sep="\t", index_col=0, na_values=["NA"])
    expr = formats.read_matrix(expr_path).data
    ours = limma.limma_two_group(
        expr, groups, "d1500", "d50", covariates=time.to_frame()
    ).set_index("gene")
    ours = ours.loc[expected.index]
    assert_close(ours["logFC"], expected["logFC"], atol=ATOL_NOISE)
    assert_close(ours["t"], expected["t"], atol=ATOL_NOISE)
    assert_log10_close(ours["P.Value"], expected["P.Value"])


def test_benjamini_hochberg_ignores_missing_p_values():
    # R 4.2: p.adjust(c(0.01, NA, 0.04, 0.03), "BH") = 0.03 NA 0.04 0.04
    adjusted = limma.p_adjust_bh(np.array([0.01, np.nan, 0.04, 0.03]))
    np.testing.assert_allclose(adjusted, [0.03, np.nan, 0.04, 0.04], rtol=1e-15)
