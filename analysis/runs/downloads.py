"""Result tables as files: TSV, CSV, Excel, and GCT for signatures.

Spreadsheet programs open every one of these (a .tsv or .gct as readily as a .csv) and run a
cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) as a formula.
Following OWASP's "CSV Injection" advice, such *text* cells are prefixed with a single quote in
every format; numbers (``-1.5``) stay numbers, so a program reading the file gets the same
values except for those text cells.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.engine import formats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_575
FORMATS = ("tsv", "csv", "xlsx", "gct")


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula, made inert (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def is_signature_table(frame: pd.DataFrame) -> bool:
    """A table that GCT can hold: a gene id column and a logFC column."""
    return "logFC" in frame.columns and any(c in frame.columns for c in ("entrez", "gene"))


def table_tsv(frame: pd.DataFrame) -> bytes:
    return neutralised(frame).to_csv(sep="\t", index=False).encode()


def tsv_file_neutralised(path: str | Path) -> Iterator[bytes]:
    """A stored TSV file's lines with every cell neutralised, the rest byte for byte."""
    with open(path, "rb") as file:
        for line in file:
            body = line.rstrip(b"\r\n")
            cells = body.decode().split("\t")
            safe = "\t".join(neutralise(cell) for cell in cells).encode()
            yield safe + line[len(body) :]


def table_csv(frame: pd.DataFrame) -> bytes:
    # every text cell quoted (OWASP; and a lone CR inside a cell cannot split the row);
    # the BOM makes Excel read UTF-8
    text = neutralised(frame).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
    return text.encode("utf-8-sig")


def table_xlsx(frame: pd.DataFrame, *, sheet: str = "table") -> bytes:
    """An .xlsx workbook with one sheet; text cells neutralised, NaN as empty cells."""
    import openpyxl

    if len(frame) > EXCEL_MAX_ROWS:
        raise ValueError(f"{len(frame):,} rows exceed Excel's limit; download TSV instead")
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31] or "table")
    safe = neutralised(frame)
    ws.append(list(safe.columns))
    for row in safe.itertuples(index=False):
        ws.append([_excel_value(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _excel_value(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def table_gct(frame: pd.DataFrame, *, name: str) -> bytes:
    """A signature as GCT 1.3 (written by ``formats.write_gct``): one data column (logFC)
    named ``name``, the other columns (symbol, statistics, p-values) as row metadata."""
    if not is_signature_table(frame):
        raise ValueError("only a signature (gene ids and logFC) can be written as GCT")
    id_col = "entrez" if "entrez" in frame.columns and frame["entrez"].notna().all() else "gene"
    meta = [c for c in frame.columns if c not in (id_col, "logFC")]
    ids = pd.Index([neutralise(str(v)) for v in frame[id_col]], name="id")
    row_meta = pd.DataFrame(
        {neutralise(str(c)): [_meta_cell(v) for v in frame[c]] for c in meta}, index=ids
    )
    data = pd.DataFrame({neutralise(name): frame["logFC"].astype("float64").to_numpy()}, index=ids)
    matrix = formats.Matrix(data, row_meta, pd.DataFrame(index=data.columns))
    return formats.write_gct(matrix).encode()


def _meta_cell(value):
    if isinstance(value, str):
        return neutralise(value)
    return value


def table_download(frame: pd.DataFrame, *, fmt: str, stem: str) -> Download:
    """The table in format ``fmt`` (one of FORMATS); ValueError when it cannot be written."""
    if fmt == "tsv":
        return Download(table_tsv(frame), "text/tab-separated-values", f"{stem}.tsv")
    if fmt == "csv":
        return Download(table_csv(frame), "text/csv", f"{stem}.csv")
    if fmt == "xlsx":
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Download(table_xlsx(frame, sheet=stem), content_type, f"{stem}.xlsx")
    if fmt == "gct":
        return Download(table_gct(frame, name=stem), "text/plain", f"{stem}.gct")
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
