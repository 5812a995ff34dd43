"""Gene tables: LINCS gene_info and the org.Hs.eg.db gene export (no ORM)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.engine.formats import read_table
from signatures.importers.common import entrez_ids, require


def read_gene_info(path: Path | str) -> pd.DataFrame:
    """LINCS gene_info: entrez_id, symbol, title, is_landmark, is_inferred."""
    name = Path(path).name
    table = read_table(path)
    require(table, ["pr_gene_id", "pr_gene_symbol", "pr_is_lm", "pr_is_bing"], name=name)
    return pd.DataFrame(
        {
            "entrez_id": entrez_ids(table["pr_gene_id"], name=name),
            "symbol": table["pr_gene_symbol"].str.strip().to_numpy(),
            "title": table.get("pr_gene_title", pd.Series([""] * len(table))).to_numpy(),
            "is_landmark": table["pr_is_lm"].str.strip().isin({"1", "True", "TRUE"}).to_numpy(),
            "is_inferred": table["pr_is_bing"].str.strip().isin({"1", "True", "TRUE"}).to_numpy(),
        }
    )


def read_gene_table(path: Path | str) -> pd.DataFrame:
    """The org.Hs.eg.db export: entrez_id, symbol, name, gene_type, cytoband, aliases, ensembl."""
    name = Path(path).name
    table = read_table(path)
    require(table, ["entrez_id", "symbol", "name"], name=name)
    table["entrez_id"] = entrez_ids(table["entrez_id"], name=name)
    for column in ("gene_type", "cytoband", "aliases", "ensembl_ids"):
        if column not in table.columns:
            table[column] = ""
    return table.set_index("entrez_id")
