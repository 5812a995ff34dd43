"""Broad GCT 1.2 and 1.3 text matrices: read (whole, or streamed row by row) and write.

GCT 1.2: ``#1.2``, ``<rows> <cols>``, header ``Name Description samples…``, one row a line.
GCT 1.3: ``#1.3``, ``<rows> <cols> <row-meta fields> <col-meta fields>``, header ``id
row-meta… samples…``, then one line per column-metadata field, then the rows. Values are
floats with missing tokens (``MISSING_TOKENS``, -666 among them) as NaN; plain or gzip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.engine.formats.common import (
    InputError,
    Matrix,
    check_unique,
    read_text,
    to_numeric,
)

VERSIONS = ("#1.2", "#1.3")


@dataclass(frozen=True)
class GctLayout:
    """What a GCT's first three lines announce."""

    version: str
    n_rows: int
    n_cols: int
    n_rmeta: int
    n_cmeta: int
    header: list[str]

    @property
    def samples(self) -> list[str]:
        return [s.strip() for s in self.header[1 + self.n_rmeta :]]

    @property
    def meta_fields(self) -> list[str]:
        return [s.strip() for s in self.header[1 : 1 + self.n_rmeta]]


def gct_layout(
    version: str, dims_line: str | None, header_line: str | None, *, name: str
) -> GctLayout:
    """The layout from the version, dimensions and header lines; InputError if inconsistent."""
    version = version.strip()
    if version not in VERSIONS:
        raise InputError(f"{name}: not a GCT file (line 1 must be #1.2 or #1.3)")
    expected = 2 if version == "#1.2" else 4
    try:
        dims = [int(x) for x in (dims_line or "").split("\t") if x.strip()]
    except ValueError:
        dims = []
    if len(dims) != expected or min(dims, default=-1) < 0:
        raise InputError(
            f"{name}: line 2: the GCT {version[1:]} dimensions line must hold {expected} "
            f"tab-separated non-negative integers, found {(dims_line or '').strip()!r}"
        )
    n_rmeta, n_cmeta = (1, 0) if version == "#1.2" else (dims[2], dims[3])
    if header_line is None:
        raise InputError(f"{name}: the GCT file is truncated (no header line)")
    header = header_line.split("\t")
    if len(header) != 1 + n_rmeta + dims[1]:
        raise InputError(
            f"{name}: line 3: the header has {len(header)} fields, the dimensions line "
            f"announces {1 + n_rmeta + dims[1]} (1 id + {n_rmeta} row-metadata + "
            f"{dims[1]} samples)"
        )
    return GctLayout(version, dims[0], dims[1], n_rmeta, n_cmeta, header)


def gct_rows(lines: Iterable[str], layout: GctLayout, *, name: str) -> Iterator[list[str]]:
    """The data rows (lists of fields) after the header, column metadata skipped, checked
    against the layout as they stream by (line numbers count non-blank lines from 4)."""
    width, n = len(layout.header), 0
    for number, line in enumerate(lines, start=4):
        if number < 4 + layout.n_cmeta:
            continue
        row = line.rstrip("\r\n").split("\t")
        if len(row) != width:
            raise InputError(f"{name}: line {number} has {len(row)} fields, the header has {width}")
        n += 1
        if n > layout.n_rows:
            raise InputError(f"{name}: holds more than the {layout.n_rows:,} rows it declares")
        yield row
    if n != layout.n_rows:
        raise InputError(
            f"{name}: found {n} data rows, the dimensions line announces {layout.n_rows} "
            f"(it declares {layout.n_rows} x {layout.n_cols} values)"
        )


def read_gct(path: Path | str) -> Matrix:
    """A GCT 1.2 or 1.3 file (plain or gzip) with its row and column metadata."""
    name = Path(path).name
    lines = [line for line in read_text(path).split("\n") if line.strip()]
    layout = gct_layout(lines[0], *(lines[1:3] + [None, None])[:2], name=name)
    cmeta = [line.split("\t") for line in lines[3 : 3 + layout.n_cmeta]]
    for number, row in enumerate(cmeta, start=4):
        if len(row) != len(layout.header):
            raise InputError(
                f"{name}: line {number} has {len(row)} fields, the header has {len(layout.header)}"
            )
    body = list(gct_rows(lines[3:], layout, name=name))
    samples = pd.Index(layout.samples, name="sample")
    check_unique(samples, what="sample ids", name=name)
    features = pd.Index([row[0].strip() for row in body], name="feature")
    check_unique(features, what="row ids", name=name)
    first = 1 + layout.n_rmeta
    raw = pd.DataFrame([row[first:] for row in body], index=features, columns=samples)
    row_meta = pd.DataFrame(
        [row[1:first] for row in body], index=features, columns=layout.meta_fields
    )
    col_meta = pd.DataFrame(
        {row[0].strip(): row[first:] for row in cmeta}, index=samples, dtype=object
    )
    return Matrix(to_numeric(raw, name=name), row_meta, col_meta)


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    if isinstance(value, float):
        return repr(value)
    return str(value).replace("\t", " ").replace("\n", " ")


def write_gct(matrix: Matrix) -> str:
    """GCT 1.3 text of a matrix: floats written exactly (``repr``), NaN as ``NA``."""
    data, rmeta, cmeta = matrix.data, matrix.row_meta, matrix.col_meta
    header = ["id", *map(str, rmeta.columns), *map(str, data.columns)]
    lines = [
        "#1.3",
        f"{data.shape[0]}\t{data.shape[1]}\t{rmeta.shape[1]}\t{cmeta.shape[1]}",
        "\t".join(map(_cell, header)),
    ]
    for field in cmeta.columns:
        cells = [str(field), *[""] * rmeta.shape[1], *cmeta[field].reindex(data.columns)]
        lines.append("\t".join(map(_cell, cells)))
    aligned = rmeta if rmeta.index.equals(data.index) else rmeta.reindex(data.index)
    meta_rows = aligned.itertuples(index=False)
    for feature, values, meta in zip(data.index, data.to_numpy(), meta_rows, strict=True):
        cells = [feature, *meta, *(float(v) for v in values)]
        lines.append("\t".join(map(_cell, cells)))
    return "\n".join(lines) + "\n"
