"""Delimited tables (TSV/CSV, delimiter sniffed from the header) and .xlsx workbooks.

``read_table`` gives strings (no value is interpreted); ``read_matrix_table`` a features ×
samples ``Matrix`` whose first column holds the feature ids and whose annotation columns
(symbol, description, …) become row metadata.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import IO

import pandas as pd

from analysis.engine.formats.common import (
    InputError,
    Matrix,
    check_unique,
    read_bytes,
    read_text,
    split_table,
    to_numeric,
)

ANNOTATION_COLUMNS = frozenset(
    {"description", "symbol", "gene_symbol", "gene_title", "title", "name_genesymbol"}
)
XLSX_MAGIC = b"PK\x03\x04"


def sniff_delimiter(first_line: str, *, name: str) -> str:
    """Tab or comma, whichever the header holds more of (tab on a tie)."""
    tabs, commas = first_line.count("\t"), first_line.count(",")
    if tabs == 0 and commas == 0:
        raise InputError(
            f"{name}: the header has a single column; the file must be tab- or comma-separated"
        )
    return "\t" if tabs >= commas else ","


def _frame(rows: pd.DataFrame, *, name: str) -> pd.DataFrame:
    if len(rows) < 2:
        raise InputError(f"{name}: the file has a header but no data rows")
    columns = [str(c).strip() for c in rows.iloc[0]]
    return pd.DataFrame(rows.iloc[1:].to_numpy(), columns=columns).reset_index(drop=True)


def read_table(path: Path | str) -> pd.DataFrame:
    """A table with a header, as strings: TSV/CSV (plain or gzip) or an .xlsx first sheet."""
    path = Path(path)
    if read_bytes(path)[:4] == XLSX_MAGIC:
        with path.open("rb") as fh:
            rows = xlsx_rows(fh, name=path.name)
        width = max((len(r) for r in rows), default=0)
        padded = [r + [""] * (width - len(r)) for r in rows if any(c.strip() for c in r)]
        return _frame(pd.DataFrame(padded, dtype=object), name=path.name)
    text = read_text(path)
    skipped = len(text) - len(text.lstrip("\n"))
    text = text.lstrip("\n")
    sep = sniff_delimiter(text.split("\n", 1)[0], name=path.name)
    rows = split_table(text, sep=sep, name=path.name, first_line=1 + skipped)
    return _frame(rows, name=path.name)


def read_matrix_table(path: Path | str) -> Matrix:
    """A features × samples TSV/CSV/xlsx: first column the ids, header the sample ids."""
    name = Path(path).name
    table = read_table(path)
    if table.shape[1] < 2:
        raise InputError(f"{name}: a matrix needs a feature-id column and at least one sample")
    features = pd.Index(table.iloc[:, 0].str.strip().to_numpy(), name="feature")
    check_unique(features, what="gene ids", name=name)
    annotation = [c for c in table.columns[1:] if c.lower() in ANNOTATION_COLUMNS]
    sample_cols = [c for c in table.columns[1:] if c not in annotation]
    samples = pd.Index(sample_cols, name="sample")
    check_unique(samples, what="sample ids", name=name)
    if not len(samples):
        raise InputError(f"{name}: no sample columns")
    raw = pd.DataFrame(table[sample_cols].to_numpy(), index=features, columns=samples)
    row_meta = pd.DataFrame(table[annotation].to_numpy(), index=features, columns=annotation)
    return Matrix(to_numeric(raw, name=name), row_meta, pd.DataFrame(index=samples))


MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_XLSX_RATIO = 100


def _check_xlsx_size(file: IO[bytes], *, name: str) -> None:
    """Refuse zip bombs: the members' declared sizes, and their compression ratio."""
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise InputError(f"{name}: the Excel file is damaged (not a valid .xlsx archive)") from None
    with archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        packed = sum(info.compress_size for info in infos) or 1
    if total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO and total > 10_000_000:
        raise InputError(
            f"{name}: the Excel file unpacks to {total / 1e6:.0f} MB; at most "
            f"{MAX_XLSX_UNCOMPRESSED / 1e6:.0f} MB are accepted (save the sheet as TSV)"
        )


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # Entrez ids stored as numbers
    return str(value)


def xlsx_rows(
    data: bytes | IO[bytes], *, max_rows: int | None = None, name: str = "the Excel file"
) -> list[list[str]]:
    """The first sheet of an .xlsx workbook (bytes or a binary file) as rows of text cells."""
    import openpyxl

    file = io.BytesIO(data) if isinstance(data, bytes) else data
    _check_xlsx_size(file, name=name)
    file.seek(0)
    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for bad files
        raise InputError(f"{name}: the Excel file cannot be read: {exc}") from None
    try:
        rows: list[list[str]] = []
        for row in book.worksheets[0].iter_rows(values_only=True):
            if max_rows is not None and len(rows) >= max_rows:
                raise InputError(f"{name}: the sheet has more than {max_rows:,} rows")
            rows.append(["" if v is None else _cell_text(v) for v in row])
    finally:
        book.close()
    return rows
