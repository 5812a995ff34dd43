"""PCA, t-SNE, clustering and correlations of real TCGA BRCA tumours, checked against R."""

import subprocess

import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy

from analysis.engine.explore import (
    cluster,
    clustered,
    correlation_matrix,
    pca,
    tsne,
    tsne_perplexity,
)
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def tumours() -> tuple[pd.DataFrame, pd.Series]:
    """200 genes × 150 TCGA BRCA tumours and their PAM50 subtype (Basal, Her2, LumA)."""
    table = pd.read_csv(
        FIXTURES / "tcga_brca" / "breastTCGA_train_mrna_n150x200.tsv.gz", sep="\t", index_col=0
    )
    return table.drop(columns="subtype").T, table["subtype"]


@pytest.fixture(scope="module")
def r_reference(rscript, tumours, tmp_path_factory):
    """prcomp scores, hclust(average, 1 − cor) heights and groups, cor(): computed once by R."""
    matrix, _ = tumours
    folder = tmp_path_factory.mktemp("explore-r")
    matrix.iloc[:, :40].to_csv(folder / "m.tsv", sep="\t")
    script = f"""
    m <- as.matrix(read.delim('{folder}/m.tsv', row.names = 1, check.names = FALSE))
    p <- prcomp(t(m))
    write.table(p$x[, 1:3], '{folder}/pca.tsv', sep = '\\t', quote = FALSE)
    h <- hclust(as.dist(1 - cor(m)), method = 'average')
    write.table(sort(h$height), '{folder}/heights.tsv', sep = '\\t', quote = FALSE)
    write.table(cutree(h, k = 4), '{folder}/groups.tsv', sep = '\\t', quote = FALSE)
    write.table(cor(m, method = 'spearman'), '{folder}/spearman.tsv', sep = '\\t', quote = FALSE)
    """
    subprocess.run([rscript, "-e", script], check=True, capture_output=True, text=True)
    return folder


def test_pca_scores_equal_r_prcomp_up_to_the_sign_of_each_axis(tumours, r_reference):
    matrix, _ = tumours
    ours = pca(matrix.iloc[:, :40], n_components=3).coords
    theirs = pd.read_csv(r_reference / "pca.tsv", sep="\t", index_col=0)
    for ours_axis, theirs_axis in zip(ours.columns, theirs.columns, strict=True):
        a, b = ours[ours_axis].to_numpy(), theirs.loc[ours.index, theirs_axis].to_numpy()
        sign = np.sign(np.dot(a, b))
        np.testing.assert_allclose(a * sign, b, rtol=1e-8, atol=1e-10)


def test_pca_reports_the_explained_variance_of_each_component(tumours):
    embedding = pca(tumours[0], n_components=2)
    ratio = embedding.explained_variance_ratio
    assert ratio.shape == (2,) and ratio[0] >= ratio[1] > 0 and ratio.sum() < 1


def test_average_linkage_on_one_minus_pearson_matches_r_hclust(tumours, r_reference):
    matrix, _ = tumours
    result = cluster(matrix.iloc[:, :40])
    heights = pd.read_csv(r_reference / "heights.tsv", sep="\t", index_col=0).iloc[:, 0]
    np.testing.assert_allclose(np.sort(result.linkage[:, 2]), heights.to_numpy(), rtol=1e-10)
    groups = pd.read_csv(r_reference / "groups.tsv", sep="\t", index_col=0).iloc[:, 0]
    ours = pd.Series(
        hierarchy.fcluster(result.linkage, 4, criterion="maxclust"), index=matrix.columns[:40]
    )
    assert pd.crosstab(ours, groups.loc[ours.index]).gt(0).sum(axis=1).eq(1).all()
    assert sorted(result.order) == sorted(matrix.columns[:40])


def test_spearman_correlation_matrix_equals_r_cor(tumours, r_reference):
    matrix, _ = tumours
    ours = correlation_matrix(matrix.iloc[:, :40], method="spearman")
    theirs = pd.read_csv(r_reference / "spearman.tsv", sep="\t", index_col=0)
    np.testing.assert_allclose(ours.to_numpy(), theirs.loc[ours.index, ours.columns], rtol=1e-10)


def test_tsne_separates_basal_tumours_from_luminal_a_and_is_reproducible(tumours):
    matrix, subtype = tumours
    first = tsne(matrix, seed=7).coords
    again = tsne(matrix, seed=7).coords
    pd.testing.assert_frame_equal(first, again)
    # nearest neighbour in the embedding has the same PAM50 label for most tumours
    xy = first.to_numpy()
    distance = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distance, np.inf)
    labels = subtype.loc[first.index].to_numpy()
    nearest_agrees = labels[distance.argmin(axis=1)] == labels
    assert nearest_agrees[labels != "Her2"].mean() > 0.85


def test_tsne_adapts_its_perplexity_to_a_handful_of_signatures(tumours):
    assert tsne_perplexity(5) == pytest.approx(4 / 3)
    assert tsne_perplexity(500) == 30
    coords = tsne(tumours[0].iloc[:, :5], seed=1).coords
    assert coords.shape == (5, 2)


def test_clustered_puts_rows_and_columns_in_leaf_order_and_tolerates_a_constant_gene(tumours):
    matrix = tumours[0].iloc[:30, :12].copy()
    matrix.iloc[0] = 1.0
    ordered = clustered(matrix)
    assert sorted(ordered.index) == sorted(matrix.index)
    assert sorted(ordered.columns) == sorted(matrix.columns)


def test_too_few_items_is_a_clear_error(tumours):
    with pytest.raises(ValueError, match="at least 3"):
        tsne(tumours[0].iloc[:, :2])
