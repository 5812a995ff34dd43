"""Use case 2: TCGA BRCA Luminal A vs HER2-enriched, protein (RPPA) and mRNA signatures.

Expected answers: iLINCS' own tables for the same contrast (fixtures/ilincs_reference_outputs
useCase2_t03/t04 for proteins, t08 for RNA-seq) and the paper's Fig. 5.
"""

import pytest
from scipy import stats

from analysis.tutorials import usecases
from tests.usecases.conftest import submit, table

pytestmark = pytest.mark.django_db


@pytest.fixture
def protein(usecase_data):
    run = submit("build_signature", usecases.BRCA_PROTEIN_BUILD)
    return run, table(run, "signature").sort_values("P.Value").reset_index(drop=True)


@pytest.fixture
def mrna(usecase_data):
    run = submit("build_signature", usecases.BRCA_MRNA_BUILD)
    return run, table(run, "signature")


def test_the_protein_signature_has_the_subtype_drivers_with_ilincs_directions(protein):
    _, ours = protein
    reference = usecases.reference_table("useCase2_t04")  # iLINCS top 12, p < 1e-10
    mine = ours.set_index("gene")
    # the mixOmics subset in the shared data has 142 of the TCGA antibodies
    reference = reference[reference.PROBE.isin(mine.index)]
    assert len(reference) >= 10  # FoxM1 and G6PD are not in the subset
    for row in reference.itertuples():
        assert (mine.loc[row.PROBE, "logFC"] > 0) == (row.Value_LogDiffExp > 0), row.PROBE
    rho = stats.spearmanr(
        [mine.loc[p, "logFC"] for p in reference.PROBE], reference.Value_LogDiffExp
    ).statistic
    top12 = set(ours.gene.head(12))
    print(f"\nours top 12: {ours.gene.head(12).tolist()}")
    print(f"overlap with iLINCS top 12: {len(top12 & set(reference.PROBE))}, logFC rho {rho:.2f}")
    assert rho > 0.8
    assert len(top12 & set(reference.PROBE)) >= 7
    assert {"ER-alpha", "PR", "HER2", "HER2_pY1248"} <= set(ours.gene.head(8))
    assert mine.loc["ER-alpha", "logFC"] > 1 and mine.loc["PR", "logFC"] > 1
    assert mine.loc["HER2", "logFC"] < -1 and mine.loc["HER2_pY1248", "logFC"] < 0


def test_the_protein_and_ilincs_rna_seq_signatures_agree_in_direction(protein):
    _, ours = protein
    both = usecases.concordance_table(ours, usecases.reference_mrna_signature())
    same = (both.protein_logFC > 0) == (both.mrna_logFC > 0)
    print(f"\n{int(same.sum())}/{len(both)} antibodies agree with iLINCS RNA-seq in direction")
    assert len(both) >= 15  # the 11 genes of Fig. 5b, several with phospho-antibodies
    assert same.mean() >= 0.9


def test_the_protein_and_mrna_panel_signatures_are_compared_where_both_measure_a_gene(
    protein, mrna
):
    both = usecases.concordance_table(protein[1], mrna[1])
    print(f"\nshared antibody/gene pairs with the 200-gene panel: {both.to_dict('records')}")
    assert len(both) >= 1  # the mixOmics panel shares few genes with the RPPA antibodies


def test_the_mrna_signature_shows_estrogen_response_in_luminal_a_and_g2m_in_her2(mrna):
    run, _ = mrna
    step = usecases.step_of("breast-cancer-proteogenomics", "enrich")
    result = table(submit("enrichment", usecases.step_params(step, run)), "enrichment")
    up = result[result.direction == "up"].sort_values("p_value")
    down = result[result.direction == "down"].sort_values("p_value")
    print(f"\nLumA-up: {up.term.head(3).tolist()}; Her2-up: {down.term.head(3).tolist()}")
    assert up.term.iloc[0].startswith("HALLMARK_ESTROGEN_RESPONSE")
    assert down.term.iloc[0] in {"HALLMARK_G2M_CHECKPOINT", "HALLMARK_E2F_TARGETS"}
    assert down.p_value.iloc[0] < 0.01


def test_the_mrna_signature_queries_the_plate_library(mrna):
    run, _ = mrna
    step = usecases.step_of("breast-cancer-proteogenomics", "connect")
    connect = submit("connectivity", usecases.step_params(step, run))
    rows = table(connect, "connections")
    print(f"\nconnected (genes used {connect.summary.get('n_genes_used')}):")
    print(rows[["perturbagen", "similarity", "pValue"]].head(5).to_string())
    assert len(rows) == 59
