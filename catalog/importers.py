"""Readers for expression-matrix files: GCT 1.2/1.3, GCTX, TSV/CSV tables, GEO series matrix.

Pure parsing (pandas/numpy/h5py, no ORM). Every reader raises ``InputError`` with one line a
person can act on; callers turn it into a command error or a form error.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

NA_TOKENS = frozenset({"", "na", "nan", "NA", "NaN", "N/A", "null", "NULL", "-666", "#N/A"})
ANNOTATION_COLUMNS = frozenset(
    {"description", "symbol", "gene_symbol", "gene_title", "title", "name_genesymbol"}
)


class InputError(ValueError):
    """A malformed or inconsistent input file; the message is one line."""


@dataclass(frozen=True)
class ExpressionMatrix:
    """A parsed matrix: values (features × samples, float64) plus row and column metadata.

    ``row_meta`` is indexed by feature id, ``col_meta`` by sample id (both strings).
    """

    values: pd.DataFrame
    row_meta: pd.DataFrame
    col_meta: pd.DataFrame


def read_text(path: Path | str) -> str:
    """The file's text (gzip when the name ends in .gz); UTF-8, falling back to Latin-1."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{path.name}: cannot read the file ({exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(f"{path.name}: the file is empty")
    return text


def _table(text: str, *, sep: str, name: str, skiprows: int = 0) -> pd.DataFrame:
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            skiprows=skiprows,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_MINIMAL,
            skip_blank_lines=True,
        )
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise InputError(f"{name}: rows have different numbers of fields ({detail})") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: the file has no data rows") from None
    # pandas pads a short row with NaN (and one with quotes never reaches the fast check)
    lines = (line for line in text.split("\n")[skiprows:] if line.strip())
    if '"' in text:
        counts = np.fromiter((len(row) - 1 for row in csv.reader(lines, delimiter=sep)), np.int64)
    else:
        counts = np.fromiter((line.count(sep) for line in lines), dtype=np.int64)
    short = np.flatnonzero(counts != counts[0]) if len(counts) else []
    if len(short):
        raise InputError(
            f"{name}: data line {short[0] + 1} has {counts[short[0]] + 1} fields, "
            f"the header has {counts[0] + 1}"
        )
    return table


def to_numeric(raw: pd.DataFrame, *, name: str) -> pd.DataFrame:
    """Strings to float64; NA tokens become NaN; anything else non-numeric is an error."""
    values = raw.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    bad = values.isna().to_numpy() & ~raw.isin(NA_TOKENS).to_numpy()
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(
            f"{name}: non-numeric value {raw.iat[i, j]!r} in row {raw.index[i]!r}, "
            f"column {raw.columns[j]!r}"
        )
    return values


def _check_unique(ids: pd.Index, *, what: str, name: str) -> None:
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        shown = ", ".join(map(str, duplicated[:5]))
        raise InputError(f"{name}: duplicated {what}: {shown} ({len(duplicated)} in all)")
    if (ids.astype(str).str.strip() == "").any():
        raise InputError(f"{name}: empty {what[:-1] if what.endswith('s') else what}")


def read_gct(path: Path | str) -> ExpressionMatrix:
    """Broad GCT 1.2 or 1.3 (rows = features, columns = samples)."""
    path = Path(path)
    name = path.name
    text = read_text(path)
    lines = text.split("\n", 3)
    version = lines[0].strip()
    if version not in {"#1.2", "#1.3"}:
        raise InputError(f"{name}: not a GCT file (first line must be #1.2 or #1.3)")
    dims = lines[1].split("\t") if len(lines) > 1 else []
    expected_fields = 2 if version == "#1.2" else 4
    try:
        numbers = [int(x) for x in dims if x.strip()]
    except ValueError:
        numbers = []
    if len(numbers) != expected_fields or min(numbers, default=-1) < 0:
        raise InputError(
            f"{name}: GCT {version[1:]} dimensions line must hold {expected_fields} "
            f"tab-separated integers, found {lines[1].strip()!r}"
        )
    n_rows, n_cols = numbers[0], numbers[1]
    n_rmeta, n_cmeta = (1, 0) if version == "#1.2" else (numbers[2], numbers[3])
    table = _table(text, sep="\t", name=name, skiprows=2)
    if table.shape[1] != 1 + n_rmeta + n_cols:
        raise InputError(
            f"{name}: the header has {table.shape[1]} fields, the dimensions line announces "
            f"{1 + n_rmeta + n_cols} (1 id + {n_rmeta} row-metadata + {n_cols} samples)"
        )
    if len(table) != 1 + n_cmeta + n_rows:
        raise InputError(
            f"{name}: found {len(table) - 1 - n_cmeta} data rows, the dimensions line "
            f"announces {n_rows}"
        )
    header = table.iloc[0].tolist()
    samples = pd.Index(header[1 + n_rmeta :], name="sample")
    _check_unique(samples, what="sample ids", name=name)
    body = table.iloc[1 + n_cmeta :]
    features = pd.Index(body.iloc[:, 0].to_numpy(), name="feature")
    _check_unique(features, what="row ids", name=name)
    col_meta = pd.DataFrame(
        table.iloc[1 : 1 + n_cmeta, 1 + n_rmeta :].to_numpy().T,
        index=samples,
        columns=table.iloc[1 : 1 + n_cmeta, 0].tolist(),
    )
    row_meta = pd.DataFrame(
        body.iloc[:, 1 : 1 + n_rmeta].to_numpy(), index=features, columns=header[1 : 1 + n_rmeta]
    )
    raw = pd.DataFrame(body.iloc[:, 1 + n_rmeta :].to_numpy(), index=features, columns=samples)
    return ExpressionMatrix(to_numeric(raw, name=name), row_meta, col_meta)


def _delimiter(first_line: str, *, name: str) -> str:
    tabs, commas = first_line.count("\t"), first_line.count(",")
    if tabs == 0 and commas == 0:
        raise InputError(
            f"{name}: the header has a single column; the file must be tab- or comma-separated"
        )
    return "\t" if tabs >= commas else ","


def read_table(path: Path | str) -> pd.DataFrame:
    """A delimited table with a header, as strings (tab or comma, sniffed from the header)."""
    path = Path(path)
    text = read_text(path)
    first = text.lstrip("\n").split("\n", 1)[0]
    table = _table(text.lstrip("\n"), sep=_delimiter(first, name=path.name), name=path.name)
    if len(table) < 2:
        raise InputError(f"{path.name}: the file has a header but no data rows")
    columns = [str(c).strip() for c in table.iloc[0]]
    return pd.DataFrame(table.iloc[1:].to_numpy(), columns=columns).reset_index(drop=True)


def read_matrix_table(path: Path | str) -> ExpressionMatrix:
    """A genes × samples TSV/CSV: first column feature ids, header = sample ids."""
    path = Path(path)
    name = path.name
    table = read_table(path)
    if table.shape[1] < 2:
        raise InputError(f"{name}: a matrix needs a feature-id column and at least one sample")
    features = pd.Index(table.iloc[:, 0].str.strip().to_numpy(), name="feature")
    _check_unique(features, what="gene ids", name=name)
    annotation = [c for c in table.columns[1:] if c.lower() in ANNOTATION_COLUMNS]
    sample_cols = [c for c in table.columns[1:] if c not in annotation]
    samples = pd.Index(sample_cols, name="sample")
    _check_unique(samples, what="sample ids", name=name)
    raw = pd.DataFrame(table[sample_cols].to_numpy(), index=features, columns=samples)
    row_meta = pd.DataFrame(table[annotation].to_numpy(), index=features, columns=annotation)
    return ExpressionMatrix(
        to_numeric(raw, name=name), row_meta, pd.DataFrame(index=samples, columns=[])
    )


def _geo_values(line: str) -> list[str]:
    return [field.strip().strip('"') for field in line.split("\t")[1:]]


def read_geo_series_matrix(path: Path | str) -> ExpressionMatrix:
    """A GEO series-matrix file: ``!Sample_*`` lines become sample metadata."""
    path = Path(path)
    name = path.name
    text = read_text(path)
    if "!series_matrix_table_begin" not in text:
        raise InputError(f"{name}: not a GEO series matrix (no !series_matrix_table_begin line)")
    head, rest = text.split("!series_matrix_table_begin", 1)
    table_text = rest.split("!series_matrix_table_end", 1)[0].strip("\n")
    meta: dict[str, list[str]] = {}
    for line in head.split("\n"):
        if not line.startswith("!Sample_"):
            continue
        key, values = line.split("\t", 1)[0][len("!Sample_") :], _geo_values(line)
        if key.startswith("characteristics"):
            for j, value in enumerate(values):
                if ":" in value:
                    k, v = (part.strip() for part in value.split(":", 1))
                    meta.setdefault(k, [""] * len(values))[j] = v
            continue
        meta.setdefault(key, values)
    table = _table(table_text, sep="\t", name=name)
    header = [c.strip().strip('"') for c in table.iloc[0]]
    samples = pd.Index(header[1:], name="sample")
    _check_unique(samples, what="sample ids", name=name)
    body = table.iloc[1:]
    features = pd.Index(body.iloc[:, 0].str.strip('"').to_numpy(), name="feature")
    _check_unique(features, what="row ids", name=name)
    raw = pd.DataFrame(body.iloc[:, 1:].to_numpy(), index=features, columns=samples)
    col_meta = pd.DataFrame(
        {k: v for k, v in meta.items() if len(v) == len(samples)}, index=samples
    )
    return ExpressionMatrix(
        to_numeric(raw, name=name), pd.DataFrame(index=features, columns=[]), col_meta
    )


def read_expression(path: Path | str) -> ExpressionMatrix:
    """Any supported matrix file, by its content: GCT, GEO series matrix, or a plain table."""
    path = Path(path)
    text_start = read_text(path)[:4096]
    if text_start.startswith("#") or path.name.lower().removesuffix(".gz").endswith(".gct"):
        return read_gct(path)
    if text_start.startswith("!") or "!series_matrix_table_begin" in text_start:
        return read_geo_series_matrix(path)
    return read_matrix_table(path)


SAMPLE_ID_COLUMNS = ("sample", "sample_id", "sample_name", "id", "name", "geo_accession")


def read_sample_table(path: Path | str) -> pd.DataFrame:
    """A sample-annotation table: one row per sample, indexed by its id (strings)."""
    path = Path(path)
    table = read_table(path)
    lower = [c.lower() for c in table.columns]
    key = next((table.columns[lower.index(c)] for c in SAMPLE_ID_COLUMNS if c in lower), None)
    key = key or table.columns[0]
    ids = pd.Index(table[key].str.strip().to_numpy(), name="sample")
    _check_unique(ids, what="sample ids", name=path.name)
    meta = table.drop(columns=[key])
    meta.index = ids
    if meta.shape[1] == 0:
        raise InputError(f"{path.name}: the sample table has no metadata columns")
    return meta


def align_samples(matrix: ExpressionMatrix, samples: pd.DataFrame | None) -> pd.DataFrame:
    """Per-sample metadata in matrix column order: the matrix's own plus the sample table's."""
    meta = matrix.col_meta.copy()
    if samples is None:
        return meta
    columns = matrix.values.columns
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
