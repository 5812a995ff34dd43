"""Mechanism-of-action workflows on real LINCS data and drug annotations.

Expected answers come from biology and the iLINCS paper, not from this code: HDAC inhibitors
connect to HDAC inhibitors (the signatureSearch toy database was built with five of them),
MTOR/PIK3CA knock-downs point to the mTOR pathway (iLINCS use case 1b, Fig. 2D), and mTOR
inhibitors switch off mTORC1-responsive genes (MSigDB Hallmark MTORC1 signalling).
"""

import gzip

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.engine.enrichment import ora_signature, read_gmt
from analysis.engine.moa import (
    brd_prefix,
    compound_annotation_enrichment,
    knockdown_pathways,
    lincs_annotations,
    match_compounds,
    normalise_name,
    repurposing_hub_annotations,
    top_connected,
)
from tests.conftest import FIXTURES

DRUGS = FIXTURES / "drug_annotations"
GENESETS = FIXTURES / "genesets"


@pytest.fixture(scope="module")
def lincs():
    table = pd.read_csv(
        DRUGS / "lincs_pert_info2_moa_targets_signatureSearch.tsv.gz", sep="\t", dtype=str
    )
    return lincs_annotations(table)


@pytest.fixture(scope="module")
def hub():
    table = pd.read_csv(DRUGS / "repurposing_hub_export_drugs.txt.gz", sep="\t", dtype=str)
    return repurposing_hub_annotations(table)


@pytest.fixture(scope="module")
def vorinostat_connections() -> tuple[pd.DataFrame, list[str]]:
    """Pearson connectivity of the vorinostat SKB signature with the 99 other compounds."""
    db = pd.read_csv(
        FIXTURES / "lincs" / "level5_SKB_toydb_n100x5000_signatureSearch.tsv.gz",
        sep="\t",
        index_col=0,
    )
    compounds = [c.split("__")[0] for c in db.columns]
    r = np.corrcoef(db.to_numpy().T)[0]
    table = pd.DataFrame({"compound": compounds, "similarity": r}).iloc[1:]
    return table, compounds


def test_compounds_are_matched_by_brd_prefix_name_or_alias(lincs):
    assert brd_prefix("BRD-K81418486-001-66-9") == "BRD-K81418486"
    assert normalise_name("Trichostatin A") == normalise_name("trichostatin-a")
    matched = match_compounds(["BRD-K81418486-001-66-9", "Trichostatin A", "no-such-drug"], lincs)
    assert list(matched.index) == ["BRD-K81418486-001-66-9", "Trichostatin A"]
    assert "HDAC inhibitor" in matched.loc["Trichostatin A", "moa"]
    assert "HDAC1" in matched.loc["BRD-K81418486-001-66-9", "targets"]


def test_hdac_inhibitor_moa_and_hdac1_come_first_among_compounds_connected_to_vorinostat(
    lincs, vorinostat_connections
):
    connections, library = vorinostat_connections
    connected = top_connected(connections, n=10).compound
    result = compound_annotation_enrichment(connected, library, lincs)
    moa = result[result.kind == "moa"].iloc[0]
    target = result[result.kind == "target"].iloc[0]
    assert moa.term == "HDAC inhibitor" and moa.fdr < 0.05
    assert target.term == "HDAC1"
    assert {"trichostatin-a", "HC-toxin", "pyroxamide"} <= set(moa.compounds.split(";"))
    # the hypergeometric tail is the one-sided Fisher test on the same 2x2 table
    k, big_k, n, big_n = (
        moa.overlap,
        moa.term_size,
        moa.connected_annotated,
        moa.background_annotated,
    )
    _, p = stats.fisher_exact([[k, big_k - k], [n - k, big_n - big_k - n + k]], "greater")
    assert moa.p_value == pytest.approx(p, rel=1e-9)


def test_the_repurposing_hub_annotations_give_the_same_answer(hub, vorinostat_connections):
    connections, library = vorinostat_connections
    connected = top_connected(connections, n=10).compound
    result = compound_annotation_enrichment(connected, library, hub)
    assert result[result.kind == "moa"].iloc[0].term == "HDAC inhibitor"


def test_knockdown_of_mtor_pik3ca_and_rptor_points_to_the_mtor_pathway():
    kegg = read_gmt(GENESETS / "msigdb_c2.cp.kegg.v7.5.1.symbols.gmt")
    hallmark = read_gmt(GENESETS / "msigdb_h.all.v7.0.symbols.gmt")
    genes = ["MTOR", "PIK3CA", "RPTOR"]
    assert knockdown_pathways(genes, kegg).term.iloc[0] == "KEGG_MTOR_SIGNALING_PATHWAY"
    # Hallmark MTORC1_SIGNALING holds mTORC1-responsive genes, not the kinase complex itself
    assert knockdown_pathways(genes, hallmark).term.iloc[0] == "HALLMARK_PI3K_AKT_MTOR_SIGNALING"


def test_genes_of_cgs_connected_to_everolimus_rank_mtor_signalling_first_as_in_ilincs():
    published = pd.read_csv(
        FIXTURES
        / "ilincs_reference_outputs"
        / "useCase1b_t05_Enrichr_analysis_of_connected_CGSes_Fig_2D.tsv",
        sep="\t",
    )
    genes = sorted({g for cell in published.Genes for g in cell.split(";")})
    kegg = read_gmt(GENESETS / "enrichr_KEGG_2016.gmt")
    result = knockdown_pathways(genes, kegg)
    assert result.term.iloc[0].startswith("mTOR signaling pathway")
    assert published.Term.iloc[0] == "mTOR signaling pathway"


def _read_level3_plate():
    path = FIXTURES / "lincs" / "level3_LJP005_A375_24H_n377x978_cmapPy.gct.gz"
    with gzip.open(path, "rt", encoding="latin-1") as handle:
        handle.readline()
        n_rowmeta, n_colmeta = map(int, handle.readline().split("\t")[2:4])
        table = pd.read_csv(handle, sep="\t", index_col=0, low_memory=False)
    genes = table.iloc[n_colmeta:]["pr_gene_symbol"]
    wells = table.iloc[:n_colmeta, n_rowmeta:].T
    values = table.iloc[n_colmeta:, n_rowmeta:].astype(float)
    values.index = genes.to_numpy()
    return values, wells


@pytest.mark.parametrize("drug", ["torin-2", "NVP-BEZ235"])
def test_mtorc1_genes_are_enriched_among_genes_an_mtor_inhibitor_switches_off(drug):
    values, wells = _read_level3_plate()
    dmso = values.loc[:, wells.pert_iname.eq("DMSO").to_numpy()]
    centre = dmso.median(axis=1)
    spread = 1.4826 * dmso.sub(centre, axis=0).abs().median(axis=1)
    treated = values.loc[:, wells.pert_iname.eq(drug).to_numpy()]
    z = treated.sub(centre, axis=0).div(spread, axis=0).mean(axis=1)
    z = z[~z.index.duplicated()].dropna()
    hallmark = read_gmt(GENESETS / "msigdb_h.all.v7.0.symbols.gmt")
    down = ora_signature(z, hallmark, n_top=100).query("direction == 'down'")
    mtorc1 = down.set_index("term").loc["HALLMARK_MTORC1_SIGNALING"]
    assert mtorc1.fdr < 0.01
    assert "HALLMARK_MTORC1_SIGNALING" in down.term.head(4).tolist()
