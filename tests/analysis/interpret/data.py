"""Real demo data for the interpretation tests, loaded quickly into the test database.

Readers are cached per session; each test still gets its own rows (the database is rolled
back) but pays only for bulk inserts: genes, the SKB compounds (annotated from the drug
annotation table, as load_demo does), gene-set libraries and the 100-signature SKB library.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from signatures import importers, services
from signatures.models import Gene
from tests.conftest import FIXTURES

LINCS = FIXTURES / "lincs"
SKB = LINCS / "level5_SKB_toydb_n100x5000_signatureSearch.tsv.gz"
GENESET_FILES = {
    "hallmark": "msigdb_h.all.v7.0.symbols.gmt",
    "kegg-2016": "enrichr_KEGG_2016.gmt",
    "kegg-msigdb": "msigdb_c2.cp.kegg.v7.5.1.symbols.gmt",
}


@cache
def gene_info() -> pd.DataFrame:
    return importers.read_gene_info(LINCS / "GSE92742_Broad_LINCS_gene_info.txt.gz")


@cache
def gmt(slug: str) -> dict:
    return importers.read_gmt(FIXTURES / "genesets" / GENESET_FILES[slug])


@cache
def skb_compound_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    names = {c.split("__")[0].lower() for c in pd.read_csv(SKB, sep="\t", nrows=0).columns[1:]}
    pertinfo = importers.read_pertinfo(LINCS / "lincscloud_pertinfo.tsv.gz")
    pertinfo = pertinfo[
        pertinfo.pert_iname.str.lower().isin(names) & pertinfo.pert_type.eq("trt_cp")
    ]
    annotations = importers.read_drug_annotations(
        FIXTURES / "drug_annotations" / "lincs_pert_info2_moa_targets_signatureSearch.tsv.gz"
    )
    return pertinfo, annotations


def load_genes() -> None:
    info = gene_info()
    Gene.objects.bulk_create(
        Gene(
            entrez_id=int(r.entrez_id),
            symbol=r.symbol,
            is_landmark=bool(r.is_landmark),
            is_inferred=bool(r.is_inferred),
        )
        for r in info.itertuples()
    )


def load_genesets(*slugs: str) -> None:
    for slug in slugs:
        services.geneset_library_import(slug=slug, name=slug, sets=gmt(slug), provenance=slug)


def load_skb() -> None:
    """The SKB compounds (targets/MoA from signatureSearch's table) and their library."""
    pertinfo, annotations = skb_compound_rows()
    services.perturbagens_import(pertinfo=pertinfo, annotations=[annotations])
    services.library_import(
        slug="lincs-skb-100",
        source=importers.library_from_matrices(SKB),
        name="LINCS SKB compound signatures",
        kind="chemical",
        gene_space="genome",
        score_kind="zscore",
    )
