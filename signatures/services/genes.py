"""Writes genes: the LINCS gene space joined with the org.Hs.eg.db annotation."""

from __future__ import annotations

import pandas as pd

from analysis.engine.formats import is_missing
from catalog.fields import fit
from catalog.models import Organism
from signatures.models import Gene
from signatures.services._common import upsert

GENE_FIELDS = ["symbol", "name", "gene_type", "cytoband", "synonyms", "ensembl_ids"]
GENE_FIELDS += ["is_landmark", "is_inferred", "is_lincs", "organism_id"]


def _listed(value: str) -> list[str]:
    value = str(value or "").strip()
    return [] if is_missing(value) else [v for v in value.split("|") if v]


def genes_import(
    *,
    gene_info: pd.DataFrame,
    annotation: pd.DataFrame | None = None,
    organism: Organism | None = None,
    include_all: bool = False,
) -> dict[str, int]:
    """Upsert the LINCS genes (gene_info) with names, synonyms, Ensembl ids from the
    org.Hs.eg.db table; with ``include_all`` every gene of that table is added too."""
    annotation = annotation if annotation is not None else pd.DataFrame()
    wanted = {}
    lincs = {int(r["entrez_id"]): r for r in gene_info.to_dict("records")}
    ids = list(lincs)
    if include_all and len(annotation):
        ids += [int(i) for i in annotation.index if int(i) not in lincs]
    for entrez in ids:
        info = lincs.get(entrez, {})
        ann = annotation.loc[entrez] if entrez in annotation.index else {}
        symbol = fit(Gene, "symbol", str(info.get("symbol") or ann.get("symbol", "")))
        wanted[entrez] = {
            "symbol": symbol,
            "name": fit(Gene, "name", str(ann.get("name") or info.get("title", "") or "")),
            "gene_type": fit(Gene, "gene_type", str(ann.get("gene_type", ""))),
            "cytoband": fit(Gene, "cytoband", str(ann.get("cytoband", ""))),
            "synonyms": [a for a in _listed(ann.get("aliases", "")) if a != symbol],
            "ensembl_ids": _listed(ann.get("ensembl_ids", "")),
            "is_landmark": bool(info.get("is_landmark", False)),
            "is_inferred": bool(info.get("is_inferred", False)),
            "is_lincs": entrez in lincs,
            "organism_id": organism.pk if organism else None,
        }
    existing = Gene.objects.in_bulk(list(wanted), field_name="entrez_id")
    return upsert(Gene, wanted, existing, GENE_FIELDS, "entrez_id")
