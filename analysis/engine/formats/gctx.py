"""Broad GCTX (HDF5): ``/0/DATA/0/matrix`` stored n_cols × n_rows, ids and metadata under
``/0/META/ROW`` and ``/0/META/COL``. Read whole, or streamed by blocks of columns so that a
large library is never held in memory at once. Values -666 (cmapPy's missing value) are NaN.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.engine.formats.common import InputError, Matrix, check_unique

MISSING_VALUE = -666.0
MATRIX = "0/DATA/0/matrix"


@dataclass(frozen=True)
class GctxMeta:
    """A GCTX's ids and metadata (strings), without its values."""

    row_meta: pd.DataFrame
    col_meta: pd.DataFrame


def _strings(dataset: object) -> list[str]:
    values = dataset[()]  # type: ignore[index]
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.ravel(values)]


def _meta(group: object, ids: list[str]) -> pd.DataFrame:
    fields = {k: _strings(v) for k, v in group.items() if k != "id"}  # type: ignore[attr-defined]
    return pd.DataFrame(fields, index=pd.Index(ids), dtype=object)


def read_gctx_meta(path: Path | str) -> GctxMeta:
    """The row and column metadata of a GCTX; InputError when it is not one."""
    import h5py

    name = Path(path).name
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(f"{name}: not a readable GCTX/HDF5 file ({exc})") from None
    with h5:
        try:
            shape = h5[MATRIX].shape
            row_ids = _strings(h5["0/META/ROW/id"])
            col_ids = _strings(h5["0/META/COL/id"])
            meta = GctxMeta(_meta(h5["0/META/ROW"], row_ids), _meta(h5["0/META/COL"], col_ids))
        except KeyError as exc:
            raise InputError(f"{name}: not a GCTX file (missing {exc})") from None
    if shape != (len(col_ids), len(row_ids)):
        raise InputError(
            f"{name}: matrix shape {shape} does not match {len(col_ids)} columns × "
            f"{len(row_ids)} rows of metadata"
        )
    check_unique(pd.Index(col_ids), what="column ids", name=name)
    check_unique(pd.Index(row_ids), what="row ids", name=name)
    return meta


def gctx_blocks(
    path: Path | str, *, block: int, rows: np.ndarray | None = None
) -> Iterator[tuple[int, int, np.ndarray]]:
    """(start, stop, values) for columns start:stop, values float32 rows × columns (only the
    ``rows`` positions when given), -666 as NaN."""
    import h5py

    with h5py.File(path, "r") as h5:
        matrix = h5[MATRIX]
        n_cols = matrix.shape[0]
        for start in range(0, n_cols, block):
            stop = min(start + block, n_cols)
            values = np.asarray(matrix[start:stop, :], dtype=np.float32)
            if rows is not None:
                values = values[:, rows]
            values[values == MISSING_VALUE] = np.nan
            yield start, stop, np.ascontiguousarray(values.T)


def read_gctx(path: Path | str) -> Matrix:
    """A whole GCTX as a ``Matrix`` (float64)."""
    meta = read_gctx_meta(path)
    n_cols = len(meta.col_meta)
    parts = [values for _, _, values in gctx_blocks(path, block=max(n_cols, 1))]
    values = parts[0] if parts else np.empty((len(meta.row_meta), 0), np.float32)
    data = pd.DataFrame(
        values.astype(np.float64),
        index=pd.Index(meta.row_meta.index, name="feature"),
        columns=pd.Index(meta.col_meta.index, name="sample"),
    )
    return Matrix(data, meta.row_meta.rename_axis("feature"), meta.col_meta.rename_axis("sample"))
