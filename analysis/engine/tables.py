"""Readers for expression matrices and sample-group files (pure pandas, no Django).

Every reader returns a genes x samples ``pd.DataFrame`` of float64 (gene ids as a string
index named ``gene``, sample ids as string columns; missing values as NaN) or, for groups, a
``pd.Series`` of group labels indexed by sample id. Malformed input raises ``TableError`` (a
``ValueError``) whose message names the file, the line and, where it applies, the column.

Formats:

- expression TSV, the layout of ``../shared/oracle``: first column the gene id (any header),
  remaining header fields the sample ids; ``NA``, ``NaN`` or an empty field is missing.
- GCT 1.2 (``#1.2``, dimensions line, ``NAME Description samples...``) and GCT 1.3
  (``#1.3``, dimensions line with the row- and column-metadata counts, then the column
  metadata rows); plain or gzip (``.gz``). The row/column metadata are returned by
  ``read_gct`` as a ``Gct`` dataclass.
- GEO series-matrix text (``!Series_...`` / ``!Sample_...`` header lines, the table between
  ``!series_matrix_table_begin`` and ``!series_matrix_table_end``).
- groups: ``sample<TAB>group`` with a header (columns found by name, else the first two);
  GSEA ``.cls`` class files are read by ``read_cls``.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

MISSING = ("NA", "NaN", "nan", "")


class TableError(ValueError):
    """A malformed expression or groups file; the message names line and column."""


@dataclass(frozen=True)
class Gct:
    """A GCT file: ``data`` genes x samples, ``row_meta`` genes x fields, ``col_meta`` samples x fields."""

    data: pd.DataFrame
    row_meta: pd.DataFrame
    col_meta: pd.DataFrame
    version: str


def _open_text(path: str | Path) -> io.TextIOBase:
    path = Path(path)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _read_lines(path: str | Path) -> list[str]:
    with _open_text(path) as fh:
        return [line.rstrip("\r\n") for line in fh]


def _to_float_matrix(
    rows: list[list[str]], first_line: int, first_col: int, name: str, columns: list[str]
) -> np.ndarray:
    """Parse string cells to float64 (missing tokens -> NaN); report the first bad cell."""
    for i, cells in enumerate(rows):
        if len(cells) != len(columns):
            raise TableError(
                f"{name}: line {first_line + i} has {len(cells) + first_col} fields, "
                f"expected {len(columns) + first_col}"
            )
    cells = np.char.strip(np.asarray(rows, dtype=str).reshape(len(rows), len(columns)))
    cells[np.isin(cells, MISSING)] = "nan"
    try:
        return cells.astype(np.float64)
    except ValueError:
        pass  # find and name the offending cell below
    out = np.empty((len(rows), len(columns)), dtype=np.float64)
    for i, cells in enumerate(rows):
        for j, cell in enumerate(cells):
            token = cell.strip()
            if token in MISSING:
                out[i, j] = np.nan
                continue
            try:
                out[i, j] = float(token)
            except ValueError:
                raise TableError(
                    f"{name}: line {first_line + i}, column {first_col + j + 1} "
                    f"({columns[j]!r}): {token!r} is not a number"
                ) from None
    return out


def _frame(values: np.ndarray, genes: list[str], samples: list[str], name: str) -> pd.DataFrame:
    frame = pd.DataFrame(values, index=pd.Index(genes, name="gene"), columns=samples)
    dup = frame.index[frame.index.duplicated()]
    if len(dup):
        raise TableError(f"{name}: duplicated gene id {dup[0]!r}")
    dup = frame.columns[frame.columns.duplicated()]
    if len(dup):
        raise TableError(f"{name}: duplicated sample id {dup[0]!r}")
    if not len(genes) or not len(samples):
        raise TableError(f"{name}: no genes or no samples")
    return frame


def read_expression_tsv(path: str | Path) -> pd.DataFrame:
    """Read a genes x samples TSV (first column gene id, header = sample ids)."""
    name = str(path)
    lines = [line for line in _read_lines(path) if line.strip()]
    if len(lines) < 2:
        raise TableError(f"{name}: needs a header line and at least one gene")
    samples = [s.strip() for s in lines[0].split("\t")[1:]]
    if not samples:
        raise TableError(f"{name}: line 1 has no sample columns (is the file tab-separated?)")
    rows = [line.split("\t") for line in lines[1:]]
    genes = [cells[0].strip() for cells in rows]
    for i, gene in enumerate(genes):
        if not gene:
            raise TableError(f"{name}: line {i + 2}, column 1: empty gene id")
    values = _to_float_matrix([cells[1:] for cells in rows], 2, 1, name, samples)
    return _frame(values, genes, samples, name)


def read_gct(path: str | Path) -> Gct:
    """Read a GCT 1.2 or 1.3 file (plain or gzip) with its row and column metadata."""
    name = str(path)
    lines = _read_lines(path)
    if len(lines) < 3 or lines[0].strip() not in {"#1.2", "#1.3"}:
        raise TableError(f"{name}: line 1 must be '#1.2' or '#1.3' (GCT version)")
    version = lines[0].strip()[1:]
    try:
        dims = [int(x) for x in lines[1].split("\t") if x.strip()]
    except ValueError:
        raise TableError(f"{name}: line 2 must hold integer dimensions") from None
    if version == "1.2":
        if len(dims) < 2:
            raise TableError(f"{name}: line 2 must be '<rows> <columns>'")
        n_rows, n_cols, n_rmeta, n_cmeta = dims[0], dims[1], 1, 0
    else:
        if len(dims) != 4:
            raise TableError(f"{name}: line 2 must be '<rows> <cols> <row meta> <col meta>'")
        n_rows, n_cols, n_rmeta, n_cmeta = dims
    header = lines[2].split("\t")
    if len(header) != 1 + n_rmeta + n_cols:
        raise TableError(
            f"{name}: line 3 has {len(header)} fields, expected {1 + n_rmeta + n_cols}"
        )
    samples = [s.strip() for s in header[1 + n_rmeta :]]
    meta_fields = [s.strip() for s in header[1 : 1 + n_rmeta]]
    cmeta_lines = [line.split("\t") for line in lines[3 : 3 + n_cmeta]]
    body = [line.split("\t") for line in lines[3 + n_cmeta :] if line.strip()]
    if len(body) != n_rows:
        raise TableError(f"{name}: {len(body)} data lines, line 2 announces {n_rows}")
    genes = [cells[0].strip() for cells in body]
    first = 4 + n_cmeta
    values = _to_float_matrix(
        [cells[1 + n_rmeta :] for cells in body], first, 1 + n_rmeta, name, samples
    )
    data = _frame(values, genes, samples, name)
    row_meta = pd.DataFrame(
        [cells[1 : 1 + n_rmeta] for cells in body], index=data.index, columns=meta_fields
    )
    col_meta = pd.DataFrame(
        {cells[0].strip(): cells[1 + n_rmeta :] for cells in cmeta_lines},
        index=pd.Index(samples, name="sample"),
    )
    return Gct(data=data, row_meta=row_meta, col_meta=col_meta, version=version)


def read_series_matrix(path: str | Path) -> pd.DataFrame:
    """Read the expression table of a GEO series-matrix text file (plain or gzip)."""
    name = str(path)
    lines = _read_lines(path)
    try:
        begin = next(i for i, x in enumerate(lines) if x.startswith("!series_matrix_table_begin"))
        end = next(i for i, x in enumerate(lines) if x.startswith("!series_matrix_table_end"))
    except StopIteration:
        raise TableError(f"{name}: no !series_matrix_table_begin/_end block") from None
    block = [x.split("\t") for x in lines[begin + 1 : end] if x.strip()]
    if len(block) < 2:
        raise TableError(f"{name}: the series-matrix table is empty")
    unquote = [[c.strip().strip('"') for c in cells] for cells in block]
    samples = unquote[0][1:]
    genes = [cells[0] for cells in unquote[1:]]
    values = _to_float_matrix([c[1:] for c in unquote[1:]], begin + 3, 1, name, samples)
    return _frame(values, genes, samples, name)


def read_expression(path: str | Path) -> pd.DataFrame:
    """Read an expression matrix, choosing the format from the content (GCT, series matrix, TSV)."""
    with _open_text(path) as fh:
        first = fh.readline().strip()
    if first in {"#1.2", "#1.3"}:
        return read_gct(path).data
    if first.startswith("!"):
        return read_series_matrix(path)
    return read_expression_tsv(path)


def read_groups(path: str | Path) -> pd.Series:
    """Read ``sample<TAB>group`` (with a header line) into a Series indexed by sample id."""
    name = str(path)
    lines = [line for line in _read_lines(path) if line.strip()]
    if len(lines) < 2:
        raise TableError(f"{name}: needs a header 'sample<TAB>group' and at least one sample")
    header = [h.strip().lower() for h in lines[0].split("\t")]
    if len(header) < 2:
        raise TableError(f"{name}: line 1 must have two tab-separated fields, sample and group")
    si = header.index("sample") if "sample" in header else 0
    gi = header.index("group") if "group" in header else 1
    samples, groups = [], []
    for i, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) <= max(si, gi):
            raise TableError(
                f"{name}: line {i} has {len(cells)} field(s), expected sample and group"
            )
        sample, group = cells[si].strip(), cells[gi].strip()
        if not sample or not group:
            raise TableError(f"{name}: line {i}: empty sample id or group")
        samples.append(sample)
        groups.append(group)
    out = pd.Series(groups, index=pd.Index(samples, name="sample"), name="group")
    dup = out.index[out.index.duplicated()]
    if len(dup):
        raise TableError(f"{name}: sample {dup[0]!r} is listed twice")
    return out


def read_cls(path: str | Path, samples: list[str] | None = None) -> pd.Series:
    """Read a GSEA categorical ``.cls`` file into group labels (indexed by ``samples`` if given)."""
    name = str(path)
    lines = [line.strip() for line in _read_lines(path) if line.strip()]
    if len(lines) < 3 or not lines[1].startswith("#"):
        raise TableError(f"{name}: a .cls file has a counts line, a '#' class line and labels")
    labels = lines[2].split()
    try:
        n = int(lines[0].split()[0])
    except ValueError:
        raise TableError(f"{name}: line 1 must start with the number of samples") from None
    if len(labels) != n:
        raise TableError(f"{name}: line 3 has {len(labels)} labels, line 1 announces {n}")
    if samples is not None and len(samples) != n:
        raise TableError(f"{name}: {n} labels for {len(samples)} samples")
    index = pd.Index(samples if samples is not None else range(n), name="sample")
    return pd.Series(labels, index=index, name="group")
