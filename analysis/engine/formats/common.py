"""What every reader shares: the error type, the missing-value rule, the decoder, the matrix.

Pure numpy/pandas; no Django. Every reader in this package raises ``InputError`` with one
line that names the file (and the line or cell where it applies), so a command prints it as
is and a form shows it next to the field.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# The missing-value rule: a cell is missing when, stripped of blanks, it is one of these
# (compared case-insensitively). The union of what the portal's readers accepted before:
# R/pandas (NA, NaN), SQL exports (NULL), spreadsheets (#N/A, N/A), a lone dash in pasted
# tables, and -666, the CMap/LINCS sentinel that cmapPy writes for a missing GCT value.
MISSING_TOKENS = frozenset(
    {"", "NA", "na", "NaN", "nan", "NAN", "NULL", "null", "Null", "N/A", "n/a", "#N/A", "-", "-666"}
)
_FOLDED = frozenset(token.casefold() for token in MISSING_TOKENS)


class InputError(ValueError):
    """A malformed or inconsistent input file; the message is one line a person can act on."""


def is_missing(cell: str) -> bool:
    """Whether a text cell is a missing value under ``MISSING_TOKENS``."""
    return cell.strip().casefold() in _FOLDED


@dataclass(frozen=True)
class Matrix:
    """A parsed matrix, like cmapPy's GCToo.

    ``data``: features × samples, float64, NaN where missing; index = feature ids, columns =
    sample ids (strings). ``row_meta``: one row per feature (strings), same index as ``data``.
    ``col_meta``: one row per sample (strings), indexed by the sample ids.
    """

    data: pd.DataFrame
    row_meta: pd.DataFrame
    col_meta: pd.DataFrame

    @property
    def values(self) -> pd.DataFrame:
        """``data`` under the name the catalogue importers used."""
        return self.data


def decode_text(raw: bytes) -> str:
    """Bytes as text: UTF-8 (BOM dropped), UTF-16 with a BOM, else Latin-1 (never fails)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def decode_lines(lines: Iterable[bytes]) -> Iterator[str]:
    """Byte lines as text under the ``decode_text`` rule, one line at a time (for streams):
    UTF-8 (a BOM on the first line dropped), Latin-1 from the first line that is not UTF-8."""
    encoding = "utf-8"
    for i, line in enumerate(lines):
        if i == 0 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        try:
            yield line.decode(encoding)
        except UnicodeDecodeError:
            encoding = "latin-1"
            yield line.decode(encoding)


def read_bytes(path: Path | str) -> bytes:
    """A file's bytes, gunzipped when they are gzip (by content, not by name)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw.startswith(b"\x1f\x8b") else raw
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{path.name}: cannot read the file ({exc})") from None


def read_text(path: Path | str) -> str:
    """A file's text (gzip by content) with ``decode_text``, line ends normalised to LF."""
    path = Path(path)
    text = decode_text(read_bytes(path)).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(f"{path.name}: the file is empty")
    return text


def split_table(text: str, *, sep: str, name: str, first_line: int = 1) -> pd.DataFrame:
    """Non-blank lines of ``text`` as a frame of strings, every row as wide as the first.

    A ragged row is refused, naming its line in the file (``first_line`` is the file line of
    the first line of ``text``)."""
    numbered = [(n, line) for n, line in enumerate(text.split("\n"), first_line) if line.strip()]
    if not numbered:
        raise InputError(f"{name}: the file has no data rows")
    lines = [line for _, line in numbered]
    if '"' in text:
        rows = list(csv.reader(lines, delimiter=sep))
    else:
        rows = [line.split(sep) for line in lines]
    width = len(rows[0])
    for (number, _), row in zip(numbered, rows, strict=True):
        if len(row) != width:
            raise InputError(f"{name}: line {number} has {len(row)} fields, the header has {width}")
    return pd.DataFrame(rows, dtype=object)


def to_numeric(raw: pd.DataFrame, *, name: str) -> pd.DataFrame:
    """Text cells to float64: missing tokens become NaN; any other non-number is an error."""
    cells = np.char.strip(raw.to_numpy(dtype=str).reshape(raw.shape))
    missing = np.isin(np.char.lower(cells), list(_FOLDED))
    cells[missing] = "nan"
    try:
        values = cells.astype(np.float64)
    except ValueError:
        values = pd.DataFrame(cells).apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
        bad = np.isnan(values) & ~missing & (np.char.lower(cells) != "nan")
        i, j = np.argwhere(bad)[0]
        raise InputError(
            f"{name}: non-numeric value {raw.iat[i, j]!r} in row {raw.index[i]!r}, "
            f"column {raw.columns[j]!r}"
        ) from None
    return pd.DataFrame(values, index=raw.index, columns=raw.columns)


def check_unique(ids: pd.Index, *, what: str, name: str) -> None:
    """No duplicated and no empty id among ``ids`` (``what`` names them, plural)."""
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        shown = ", ".join(map(str, duplicated[:5]))
        raise InputError(f"{name}: duplicated {what}: {shown} ({len(duplicated)} in all)")
    if (ids.astype(str).str.strip() == "").any():
        raise InputError(f"{name}: empty {what.removesuffix('s')}")
