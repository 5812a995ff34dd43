"""GRP gene lists (CMap/GSEA): one gene a line; lines starting with ``#`` are comments."""

from __future__ import annotations

from pathlib import Path

from analysis.engine.formats.common import InputError, read_text


def read_grp(path: Path | str) -> list[str]:
    """The genes of a GRP file in order, blanks and ``#`` comments dropped, each gene once."""
    name = Path(path).name
    genes: list[str] = []
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        gene = line.strip()
        if not gene or gene.startswith("#"):
            continue
        if "\t" in gene:
            raise InputError(
                f"{name}: line {number} holds several fields; a GRP has one gene a line"
            )
        genes.append(gene)
    if not genes:
        raise InputError(f"{name}: the file lists no genes")
    return list(dict.fromkeys(genes))
