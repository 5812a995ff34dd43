"""Use case 3: SARS-CoV-2 vs mock in A549-ACE2 cells (GSE147507 series 16, 3 vs 3, edgeR QL).

Expected answers: the paper (TNF / NF-kB signalling most enriched among up genes) and the
known interferon response of infected A549-ACE2 cells (Blanco-Melo et al. 2020, Cell).
"""

import pytest

from analysis.tutorials import usecases
from tests.usecases.conftest import submit, table

pytestmark = pytest.mark.django_db
INTERFERON_GENES = ["IFIT1", "IFIT2", "IFIT3", "OAS2", "MX1", "ISG15", "IFNB1"]


@pytest.fixture
def infection(usecase_data):
    run = submit("build_signature", usecases.COVID_BUILD)
    return run, table(run, "signature").sort_values("PValue").reset_index(drop=True)


def test_interferon_genes_are_among_the_strongest_up_genes(infection):
    run, signature = infection
    assert run.summary["group_sizes"] == {"treatment": 3, "baseline": 3}
    by_symbol = signature.dropna(subset=["symbol"]).set_index("symbol")
    cutoff = int(0.1 * len(signature))  # top 10 % by p-value
    for gene in INTERFERON_GENES:
        row = by_symbol.loc[gene]
        rank = int(signature.index[signature.symbol == gene][0]) + 1
        print(f"{gene}: logFC {row.logFC:.2f}, FDR {row.FDR:.1e}, rank {rank}")
        assert row.logFC > 2 and row.FDR < 1e-3 and rank <= cutoff


def test_the_infection_signature_is_enriched_for_nfkb_and_interferon_hallmarks(infection):
    run, _ = infection
    step = usecases.step_of("covid-19", "enrich")
    result = table(submit("enrichment", usecases.step_params(step, run)), "enrichment")
    up = result[result.direction == "up"].sort_values("p_value").reset_index(drop=True)
    print(f"\nup: {up.term.head(5).tolist()}")
    assert up.term.iloc[0] == "HALLMARK_TNFA_SIGNALING_VIA_NFKB"
    for term in ("HALLMARK_INTERFERON_GAMMA_RESPONSE", "HALLMARK_INTERFERON_ALPHA_RESPONSE"):
        assert up.loc[up.term == term, "fdr"].iloc[0] < 1e-3
        assert up.index[up.term == term][0] < 5


@pytest.mark.parametrize("library", usecases.CHEMICAL_LIBRARIES)
def test_the_chemical_libraries_are_searched_for_reversing_signatures(infection, library):
    run, _ = infection
    step = usecases.step_of("covid-19", "connect")
    connect = submit("connectivity", {**usecases.step_params(step, run), "library": library})
    rows = table(connect, "connections").sort_values("similarity")
    print(f"\n{library}: most reversing {rows.perturbagen.head(3).tolist()}")
    print(rows[["perturbagen", "similarity", "pValue"]].head(3).to_string())
    assert len(rows) > 0 and rows.similarity.iloc[0] < 0
