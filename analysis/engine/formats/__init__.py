"""One reader (and writer) per file format, all returning the same types.

Like cmapPy's ``parse()``, ``read_matrix`` chooses the reader from the file's content and
name. Every reader raises ``InputError``, reads missing values by ``MISSING_TOKENS`` and
decodes text with ``decode_text``. No Django: every app, and the CLI, reads through here.
See docs/engine.md, "File formats".
"""

from __future__ import annotations

from pathlib import Path

from analysis.engine.formats.common import (
    MISSING_TOKENS,
    InputError,
    Matrix,
    decode_lines,
    decode_text,
    is_missing,
    read_bytes,
    read_text,
    to_numeric,
)
from analysis.engine.formats.gct import gct_layout, gct_rows, read_gct, write_gct
from analysis.engine.formats.gctx import gctx_blocks, read_gctx, read_gctx_meta
from analysis.engine.formats.geo import read_series_matrix
from analysis.engine.formats.gmt import GeneSet, read_gmt
from analysis.engine.formats.groups import read_cls, read_groups
from analysis.engine.formats.grp import read_grp
from analysis.engine.formats.tables import read_matrix_table, read_table, xlsx_rows

__all__ = [
    "MISSING_TOKENS",
    "GeneSet",
    "InputError",
    "Matrix",
    "decode_lines",
    "decode_text",
    "gct_layout",
    "gct_rows",
    "gctx_blocks",
    "is_missing",
    "read_bytes",
    "read_cls",
    "read_gct",
    "read_gctx",
    "read_gctx_meta",
    "read_gmt",
    "read_groups",
    "read_grp",
    "read_matrix",
    "read_matrix_table",
    "read_series_matrix",
    "read_table",
    "read_text",
    "to_numeric",
    "write_gct",
    "xlsx_rows",
]

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def read_matrix(path: Path | str) -> Matrix:
    """Any matrix file by its content (then its name): GCTX, GCT, GEO series matrix, or a
    TSV/CSV/xlsx table."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(8)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    if magic == HDF5_MAGIC or path.suffix.lower() == ".gctx":
        return read_gctx(path)
    start = read_bytes(path)[:4096]
    suffix = path.name.lower().removesuffix(".gz")
    if start.startswith(b"#1.") or suffix.endswith(".gct"):
        return read_gct(path)
    if start.startswith(b"!") or b"!series_matrix_table_begin" in start:
        return read_series_matrix(path)
    return read_matrix_table(path)
