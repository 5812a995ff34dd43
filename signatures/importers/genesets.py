"""Gene-set libraries from GMT files, read by ``analysis.engine.formats.read_gmt``."""

from __future__ import annotations

from pathlib import Path

from analysis.engine import formats

GmtSet = formats.GeneSet
NAME_LENGTH = 300  # GeneSet.name's max_length in signatures.models


def read_gmt(path: Path | str) -> list[GmtSet]:
    """A GMT file's sets, names cut to the length the catalogue stores."""
    return [GmtSet(s.name[:NAME_LENGTH], s.description, s.genes) for s in formats.read_gmt(path)]
