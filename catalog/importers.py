"""Catalogue dataset imports: the sample table and its alignment to the matrix.

The matrix files themselves are read by ``analysis.engine.formats`` (one reader per format,
one missing-value rule, one ``InputError``); this module adds what only the catalogue needs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.engine.formats import InputError, Matrix, read_table
from analysis.engine.formats.common import check_unique

__all__ = ["align_samples", "read_sample_table"]

SAMPLE_ID_COLUMNS = ("sample", "sample_id", "sample_name", "id", "name", "geo_accession")


def read_sample_table(path: Path | str) -> pd.DataFrame:
    """A sample-annotation table: one row per sample, indexed by its id (strings)."""
    path = Path(path)
    table = read_table(path)
    lower = [c.lower() for c in table.columns]
    key = next((table.columns[lower.index(c)] for c in SAMPLE_ID_COLUMNS if c in lower), None)
    key = key or table.columns[0]
    ids = pd.Index(table[key].str.strip().to_numpy(), name="sample")
    check_unique(ids, what="sample ids", name=path.name)
    meta = table.drop(columns=[key])
    meta.index = ids
    if meta.shape[1] == 0:
        raise InputError(f"{path.name}: the sample table has no metadata columns")
    return meta


def align_samples(matrix: Matrix, samples: pd.DataFrame | None) -> pd.DataFrame:
    """Per-sample metadata in matrix column order: the matrix's own plus the sample table's."""
    meta = matrix.col_meta.copy()
    if samples is None:
        return meta
    columns = matrix.data.columns
    extra = samples.index.difference(columns)
    missing = columns.difference(samples.index)
    if len(extra) or len(missing):
        which = extra if len(extra) else missing
        where = "not in the matrix" if len(extra) else "missing from the sample table"
        shown = ", ".join(map(str, which[:5]))
        raise InputError(f"sample table: {len(which)} sample(s) {where}: {shown}")
    table = samples.loc[columns]
    for column in table.columns:
        meta[column] = table[column].to_numpy()
    return meta
