"""Uploaded or pasted query signatures, turned into a connectivity payload.

Accepted shapes (header names case-insensitive; the first matching column wins):

- an iLINCS signature download (``ID_geneid``/``Name_GeneSymbol``, ``Value_LogDiffExp``,
  optional ``Significance_pvalue``);
- a full signature: a gene column, a logFC column and optionally a p-value column, with a
  header or without one (then the columns are gene, logFC, p-value in that order);
- up and down lists: columns headed ``up`` and ``down`` (either may be shorter), or a gene
  column with a direction column holding ``up``/``down``;
- a plain gene list: one column, or genes separated by spaces, commas or new lines;
- a GCT 1.2/1.3 file (the first data column is the signature; iLINCS ``entrez::symbol::title``
  row ids and ``pr_gene_id``/``pr_gene_symbol`` row metadata are understood);
- an Excel ``.xlsx`` workbook (its first sheet is read as a table).

Text may be UTF-8 (with or without a BOM), UTF-16 with a BOM, or Latin-1; the delimiter is a
tab, comma, semicolon (with decimal commas) or runs of spaces. ``parse_upload`` needs no
database; ``upload_summary`` resolves the genes to say how many are recognised.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from dataclasses import dataclass, field

from analysis.connectivity.upload_lines import (  # noqa: F401 - UploadError is part of this module's API
    CHUNK_BYTES,
    UploadError,
    checked_lines,
    file_lines,
    text_lines,
)
from analysis.engine import formats

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = formats.tables.MAX_XLSX_UNCOMPRESSED
MAX_XLSX_RATIO = formats.tables.MAX_XLSX_RATIO
MAX_ROWS = 100_000
CELLS_PER_ROW = 20  # a table may hold at most this many cells per allowed row

GENE_HEADERS = (
    "id_geneid",
    "entrez",
    "entrez_id",
    "entrezid",
    "geneid",
    "gene_id",
    "name_genesymbol",
    "gene",
    "genes",
    "symbol",
    "gene_symbol",
    "genesymbol",
    "id",
    "name",
)
LOGFC_HEADERS = (
    "value_logdiffexp",
    "logfc",
    "log2fc",
    "log2foldchange",
    "log2_fold_change",
    "logdiffexp",
    "fc",
    "score",
    "value",
    "t",
)
P_HEADERS = (
    "significance_pvalue",
    "pvalue",
    "p.value",
    "p_value",
    "pval",
    "p",
    "p-value",
)


@dataclass
class ParsedUpload:
    """A connectivity payload (see ``analysis.engine.connectivity.query``) and how it was read."""

    payload: dict
    kind: str  # "signature" | "updown" | "genes"
    source_format: str  # "ilincs" | "table" | "gct" | "xlsx" | "list"
    n_rows: int
    notes: list[str] = field(default_factory=list)


# --- lines -> rows ---------------------------------------------------------------------


def _delimiter(lines: list[str]) -> str | None:
    head = lines[: min(len(lines), 20)]
    for delim in ("\t", ",", ";"):
        if all(delim in line for line in head[: min(len(head), 5)]):
            return delim
    return None


def split_rows(lines, *, max_rows: int = MAX_ROWS) -> tuple[list[list[str]], str | None]:
    """Rows of cells (stripped, blank lines dropped) and the delimiter found (None: spaces).

    ``lines`` is text or an iterable of lines; it is consumed one line at a time."""
    lines = checked_lines(text_lines(lines) if isinstance(lines, str) else lines, max_rows=max_rows)
    head = list(itertools.islice(lines, 20))
    delim = _delimiter(head)
    lines = itertools.chain(head, lines)
    if delim is None:
        rows = map(str.split, lines)
    else:
        rows = ([cell.strip() for cell in row] for row in csv.reader(lines, delimiter=delim))
    out, cells, max_cells = [], 0, CELLS_PER_ROW * max_rows
    for row in rows:
        cells += len(row)
        if cells > max_cells:
            raise UploadError(
                f"the upload has more than {max_cells:,} cells: keep the gene, logFC and "
                "p-value columns"
            )
        out.append(row)
    return out, delim


# --- numbers ------------------------------------------------------------------------------


def _number(text: str, *, decimal_comma: bool) -> float | None:
    """A float, NaN for an empty/NA cell, None when the text is not a number."""
    value = text.strip()
    if formats.is_missing(value):
        return math.nan
    if decimal_comma:
        value = value.replace(",", ".")
    try:
        return float(value)
    except ValueError:
        return None


def _is_number(text: str) -> bool:
    value = _number(text, decimal_comma=False)
    return value is not None and not math.isnan(value)


def _numbers(rows, col: int, name: str, *, decimal_comma: bool, first_line: int) -> list[float]:
    out = []
    for i, row in enumerate(rows):
        cell = row[col] if col < len(row) else ""
        value = _number(cell, decimal_comma=decimal_comma)
        if value is None:
            raise UploadError(f"line {first_line + i}: {name} {cell!r} is not a number")
        out.append(value)
    return out


# --- tables -> payloads ---------------------------------------------------------------------


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _gene_id(text: str) -> str:
    """iLINCS GCT rows are ``entrez::symbol::title``; keep the Entrez id."""
    return text.split("::", 1)[0].strip() if "::" in text else text.strip()


def _updown_payload(up: list[str], down: list[str]) -> dict:
    up = [g for g in up if g]
    down = [g for g in down if g]
    if not up and not down:
        raise UploadError("the up and down lists are both empty")
    return {"up": up, "down": down}


def _direction_payload(rows: list[list[str]], gene: int, direction: int) -> dict | None:
    """A gene column with a direction column of up/down (or +1/-1) values, else None."""
    signs = {"up": "up", "+": "up", "1": "up", "+1": "up", "down": "down", "-": "down"}
    signs["-1"] = "down"
    labels = [(row[direction].strip().lower() if direction < len(row) else "") for row in rows]
    if not labels or not all(label in signs for label in labels):
        return None
    if all(_is_number(label) for label in labels):
        return None  # numbers: a logFC column, not a direction
    up = [row[gene] for row, lab in zip(rows, labels, strict=True) if signs[lab] == "up"]
    down = [row[gene] for row, lab in zip(rows, labels, strict=True) if signs[lab] == "down"]
    return _updown_payload(up, down)


def _has_header(rows: list[list[str]]) -> bool:
    first = rows[0]
    if len(first) == 1:
        return first[0].strip().lower() in GENE_HEADERS + ("up", "down")
    return not any(_is_number(cell) for cell in first[1:])


def _full_payload(body, gene: int, logfc: int, p: int | None, *, decimal_comma, first_line):
    genes = [_gene_id(row[gene]) if gene < len(row) else "" for row in body]
    values = _numbers(body, logfc, "logFC", decimal_comma=decimal_comma, first_line=first_line)
    if any(math.isinf(v) for v in values):
        raise UploadError("logFC values must be finite numbers (found an infinite value)")
    keep = [i for i, g in enumerate(genes) if g and not math.isnan(values[i])]
    notes = []
    if len(keep) < len(genes):
        notes.append(f"{len(genes) - len(keep)} row(s) without a gene or a logFC were skipped")
    payload = {"genes": [genes[i] for i in keep], "logFC": [values[i] for i in keep]}
    if p is not None:
        pvals = _numbers(body, p, "p-value", decimal_comma=decimal_comma, first_line=first_line)
        pvals = [pvals[i] for i in keep]
        bad = [v for v in pvals if not math.isnan(v) and not 0 <= v <= 1]
        if bad:
            raise UploadError(f"p-values must lie between 0 and 1 (found {bad[0]:g})")
        payload["pvalue"] = [None if math.isnan(v) else v for v in pvals]
    if not payload["genes"]:
        raise UploadError("no row has both a gene and a logFC value")
    return payload, notes


def table_payload(rows: list[list[str]], *, decimal_comma: bool = False) -> ParsedUpload:
    """Interpret rows of cells (the first may be a header) as a signature or gene list."""
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise UploadError("the upload is empty")
    width = max(len(row) for row in rows)
    header = [h.strip() for h in rows[0]] if _has_header(rows) else None
    body = rows[1:] if header else rows
    first_line = 2 if header else 1
    if not body:
        raise UploadError("the upload has a header but no data rows")
    lowered = [h.lower() for h in header] if header else []
    if "up" in lowered or "down" in lowered:
        up_col, down_col = _find(header, ("up",)), _find(header, ("down",))
        col = lambda c: [row[c] for row in body if c is not None and c < len(row)]  # noqa: E731
        payload = _updown_payload(col(up_col), col(down_col))
        return ParsedUpload(payload, "updown", "table", len(body))
    if width == 1:
        genes = [_gene_id(row[0]) for row in body if row and row[0].strip()]
        return ParsedUpload({"genes": genes}, "genes", "list", len(body))
    fmt = "ilincs" if header and "value_logdiffexp" in lowered else "table"
    gene = (_find(header, GENE_HEADERS) if header else None) or 0
    logfc = _find(header, LOGFC_HEADERS) if header else None
    p = _find(header, P_HEADERS) if header else None
    if logfc is None:
        direction = _direction_payload(body, gene, 1 if gene == 0 else 0)
        if direction is not None:
            return ParsedUpload(direction, "updown", fmt, len(body))
        numeric = [c for c in range(width) if c != gene and _numeric_column(body, c)]
        if not numeric:
            raise UploadError(
                "no logFC column: name it logFC (or Value_LogDiffExp), or upload one gene per line"
            )
        logfc = numeric[0]
        if header is None and p is None and len(numeric) > 1:
            p = numeric[1]
    payload, notes = _full_payload(
        body, gene, logfc, p, decimal_comma=decimal_comma, first_line=first_line
    )
    return ParsedUpload(payload, "signature", fmt, len(body), notes)


def _numeric_column(body: list[list[str]], col: int) -> bool:
    cells = [row[col] for row in body[:50] if col < len(row) and row[col].strip()]
    return bool(cells) and all(_is_number(c) or formats.is_missing(c) for c in cells)


# --- formats ------------------------------------------------------------------------------


GCT_NAME = "the GCT file"
GCT_GENE_FIELDS = ("pr_gene_id", "entrez", "gene_id", "pr_gene_symbol", "symbol", "gene_symbol")


def parse_gct(lines, *, max_rows: int = MAX_ROWS) -> ParsedUpload:
    """The first data column of a GCT 1.2 or 1.3 file (text or lines) as a full signature.

    The layout and the rows are checked by ``formats`` as the lines stream by; only the gene
    and the first value of each row are kept."""
    lines = text_lines(lines) if isinstance(lines, str) else iter(lines)
    lines = (line.rstrip("\r") for line in lines if line.strip())
    version, dims_line, header_line = next(lines, ""), next(lines, None), next(lines, None)
    try:
        if header_line is None and version.strip() in formats.gct.VERSIONS:
            raise UploadError(
                "the GCT file is truncated (needs a version, dimensions and a header)"
            )
        layout = formats.gct_layout(version, dims_line, header_line, name=GCT_NAME)
        if layout.n_rows > max_rows:
            raise UploadError(
                f"the GCT file declares {layout.n_rows:,} rows; at most {max_rows:,} are read"
            )
        if layout.n_cols < 1:
            raise UploadError("the GCT file holds no data column")
        meta = [h.lower() for h in layout.meta_fields]
        gene_col = next((1 + meta.index(name) for name in GCT_GENE_FIELDS if name in meta), 0)
        first = 1 + layout.n_rmeta
        rows = [
            [row[gene_col], row[first]] for row in formats.gct_rows(lines, layout, name=GCT_NAME)
        ]
    except UploadError:
        raise
    except formats.InputError as exc:
        raise UploadError(str(exc)) from None
    parsed = table_payload([["gene", "logFC"], *rows])
    parsed.source_format = "gct"
    if layout.n_cols > 1:
        parsed.notes.append(
            f"the GCT holds {layout.n_cols} columns; the first, {layout.header[first]!r}"
        )
    return parsed


def xlsx_rows(data, *, max_rows: int = MAX_ROWS) -> list[list[str]]:
    """The first sheet of an .xlsx workbook (bytes or a binary file) as rows of text cells."""
    try:
        return formats.xlsx_rows(data, max_rows=max_rows, name="the Excel file")
    except formats.InputError as exc:
        raise UploadError(str(exc).removeprefix("the Excel file: ")) from None


def parse_upload(
    *,
    file=None,
    data: bytes | None = None,
    text: str | None = None,
    filename: str = "",
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = MAX_ROWS,
):
    """Read an uploaded file (a binary file object such as Django's ``UploadedFile``, or
    bytes) or pasted text into a ``ParsedUpload``; the portal passes its
    ``PORTAL_MAX_UPLOAD_BYTES``/``PORTAL_MAX_UPLOAD_ROWS`` settings as the limits. A file is
    read a chunk at a time and refused as soon as it passes a limit."""
    if data is not None:
        file = io.BytesIO(data)
    if file is not None:
        return _parse_file(file, name=filename.lower(), max_bytes=max_bytes, max_rows=max_rows)
    if text is None or not text.strip():
        raise UploadError("nothing to read: upload a file or paste a signature or gene list")
    if text.lstrip().startswith("#1."):
        return parse_gct(checked_lines(text_lines(text), max_rows=max_rows + 3), max_rows=max_rows)
    return _parse_text(text_lines(text), max_rows=max_rows)


def _parse_file(file, *, name: str, max_bytes: int, max_rows: int) -> ParsedUpload:
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        raise UploadError(f"the file is larger than {max_bytes / 2**20:.3g} MB")
    head = file.read(CHUNK_BYTES)
    if len(head) > max_bytes:
        raise UploadError(f"the file is larger than {max_bytes / 2**20:.3g} MB")
    if name.endswith(".xls") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError("old .xls workbooks are not read: save the sheet as .xlsx or TSV")
    if head.startswith(b"PK\x03\x04") or name.endswith(".xlsx"):
        file.seek(0)
        parsed = table_payload(xlsx_rows(file, max_rows=max_rows))
        parsed.source_format = "xlsx"
        return parsed
    if head.startswith(b"\x1f\x8b"):
        raise UploadError("compressed files are not read: upload the uncompressed table")
    lines = file_lines(file, head=head, max_bytes=max_bytes)
    first = next(lines, None)
    while first is not None and not first.strip():
        first = next(lines, None)
    if first is None:
        raise UploadError("nothing to read: upload a file or paste a signature or gene list")
    lines = itertools.chain([first], lines)
    if first.lstrip().startswith("#1."):
        # the version, dimension and header lines are not data rows
        return parse_gct(checked_lines(lines, max_rows=max_rows + 3), max_rows=max_rows)
    return _parse_text(lines, max_rows=max_rows)


def _parse_text(lines, *, max_rows: int = MAX_ROWS) -> ParsedUpload:
    rows, delim = split_rows(lines, max_rows=max_rows)
    if not rows:
        raise UploadError("nothing to read: upload a file or paste a signature or gene list")
    if delim is None and all("|" in "".join(row) for row in rows[:5]):
        raise UploadError("the table is separated by '|': use tabs, commas or semicolons")
    if (len(rows) == 1 or delim in (",", None)) and _is_gene_list(rows):
        rows = [[g] for r in rows for g in r if g]  # genes on one line, or comma-separated
    return table_payload(rows, decimal_comma=delim == ";")


def _is_gene_list(rows: list[list[str]]) -> bool:
    """Several identifiers per row, no number anywhere and no known column header."""
    known = set(GENE_HEADERS + LOGFC_HEADERS + P_HEADERS + ("up", "down", "direction"))
    if not rows or max(len(r) for r in rows) < 2:
        return False
    if any(cell.strip().lower() in known for cell in rows[0]):
        return False
    return not any(_is_number(cell) for row in rows for cell in row)


def updown_upload(up_text: str, down_text: str) -> ParsedUpload:
    """Two pasted lists (any separators) as an up/down query."""
    split = lambda t: [g for g in re.split(r"[\s,;]+", t or "") if g]  # noqa: E731
    up, down = split(up_text), split(down_text)
    return ParsedUpload(_updown_payload(up, down), "updown", "list", len(up) + len(down))


# --- recognition (needs the gene table) -----------------------------------------------------


def upload_summary(parsed: ParsedUpload) -> dict:
    """How many genes the portal knows: n_given, n_recognised, unknown (first 20), kind."""
    from analysis.engine.connectivity import QueryError, parse_query
    from signatures.selectors import resolve_genes

    try:
        query = parse_query(parsed.payload, resolve=resolve_genes)
    except QueryError as exc:
        raise UploadError(f"{exc}: use gene symbols or Entrez ids") from None
    n_known = query.n_given - len(query.unknown)
    return {
        "kind": query.kind,
        "format": parsed.source_format,
        "n_given": query.n_given,
        "n_recognised": n_known,
        "n_unknown": len(query.unknown),
        "unknown": list(query.unknown[:20]),
        "has_pvalues": "pvalue" in parsed.payload,
        "notes": parsed.notes,
    }
