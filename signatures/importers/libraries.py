"""Signature libraries: GCT, GCTX, iLINCS TSV downloads and logFC/p-value matrices (no ORM).

The files are read by ``analysis.engine.formats``; each reader raises ``InputError`` with one
line. Library readers return a ``LibrarySource``: the gene index (Entrez ids), signature ids, per-signature
metadata, and a generator of column blocks, so a large GCTX is never held in memory at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.engine.formats import (
    InputError,
    gctx_blocks,
    read_gct,
    read_gctx_meta,
    read_table,
    to_numeric,
)
from signatures.importers.common import entrez_ids, file_digest, require

BLOCK = 2048
Block = tuple[list[str], np.ndarray, np.ndarray | None]


# --- signature libraries -------------------------------------------------------------------


@dataclass
class LibrarySource:
    """What an import_library reader yields.

    genes: int64 Entrez ids (n_genes,); signature_ids: column ids; metadata: one row per
    signature (strings), indexed by signature id; blocks(): (ids, logfc, pvalue) column blocks,
    each float32 arrays of shape (n_genes, len(ids)); digest: identity of the input.
    """

    genes: np.ndarray
    signature_ids: list[str]
    metadata: pd.DataFrame
    has_pvalues: bool
    blocks: Callable[[], Iterator[Block]]
    digest: str
    notes: list[str] = field(default_factory=list)


def read_probe_map(path: Path | str) -> dict[str, int]:
    """Probe id (e.g. 200814_at) -> Entrez id, from a CMap row-metadata table."""
    table = read_table(path)
    require(table, ["rid", "pr_gene_id"], name=Path(path).name)
    return dict(zip(table["rid"].str.strip(), table["pr_gene_id"].astype(int), strict=True))


ENTREZ_COLUMNS = ("pr_gene_id", "ID_geneid", "entrez_id", "gene_id", "entrez")


def entrez_for_rows(
    row_ids: pd.Index, row_meta: pd.DataFrame, probe_map: dict[str, int] | None
) -> np.ndarray:
    """An Entrez id per row (0 where unknown), from row metadata, the ids or a probe map."""
    for column in ENTREZ_COLUMNS:
        if column in row_meta.columns:
            numbers = pd.to_numeric(row_meta[column], errors="coerce")
            if numbers.notna().mean() > 0.5:
                return numbers.fillna(0).astype(np.int64).to_numpy()
    ids = pd.Series(row_ids.astype(str), index=row_ids)
    numbers = pd.to_numeric(ids.str.split("::").str[0], errors="coerce")
    if numbers.notna().mean() > 0.5:
        return numbers.fillna(0).astype(np.int64).to_numpy()
    if probe_map:
        return np.array([probe_map.get(r, 0) for r in ids], dtype=np.int64)
    return np.zeros(len(ids), dtype=np.int64)


def _gene_index(
    row_ids: pd.Index, row_meta: pd.DataFrame, probe_map, *, name: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(kept row positions, their Entrez ids, notes); errors on no mapping or duplicates."""
    entrez = entrez_for_rows(row_ids, row_meta, probe_map)
    keep = np.flatnonzero(entrez > 0)
    if len(keep) == 0:
        raise InputError(
            f"{name}: no row id could be mapped to an Entrez gene id "
            "(use Entrez ids, a pr_gene_id row-metadata field or L1000 probe ids)"
        )
    genes = entrez[keep]
    duplicated = pd.Index(genes)[pd.Index(genes).duplicated()].unique()
    if len(duplicated):
        shown = ", ".join(map(str, duplicated[:5]))
        raise InputError(f"{name}: duplicated genes: {shown} ({len(duplicated)} in all)")
    notes = [f"{len(row_ids) - len(keep)} row(s) without an Entrez id skipped"] * (
        len(keep) < len(row_ids)
    )
    return keep, genes, notes


def _frame_blocks(logfc: np.ndarray, pvalue: np.ndarray | None, ids: list[str]):
    def blocks() -> Iterator[Block]:
        for start in range(0, len(ids), BLOCK):
            stop = start + BLOCK
            p = None if pvalue is None else pvalue[:, start:stop].astype(np.float32)
            yield ids[start:stop], logfc[:, start:stop].astype(np.float32), p

    return blocks


def _prefixed(ids, prefix: str) -> list[str]:
    return [f"{prefix}{i}" for i in ids]


def library_from_frames(
    *,
    logfc: pd.DataFrame,
    pvalue: pd.DataFrame | None = None,
    metadata: pd.DataFrame | None = None,
    digest: str,
    name: str = "matrix",
) -> LibrarySource:
    """A library from in-memory genes × signatures frames whose index holds Entrez ids."""
    genes = entrez_ids(pd.Series(logfc.index.astype(str)), name=name)
    ids = [str(c) for c in logfc.columns]
    if len(set(ids)) != len(ids):
        raise InputError(f"{name}: duplicated signature ids")
    if pvalue is not None:
        if pvalue.shape != logfc.shape or not (
            pvalue.index.equals(logfc.index) and pvalue.columns.equals(logfc.columns)
        ):
            raise InputError(f"{name}: the p-value matrix does not match the logFC matrix")
        p = pvalue.to_numpy()
        if np.any((p < 0) | (p > 1)):
            raise InputError(f"{name}: p-values must lie in [0, 1]")
    meta = metadata if metadata is not None else pd.DataFrame(index=ids)
    meta = meta.reindex(ids).fillna("")
    return LibrarySource(
        genes=genes,
        signature_ids=ids,
        metadata=meta,
        has_pvalues=pvalue is not None,
        blocks=_frame_blocks(logfc.to_numpy(), None if pvalue is None else pvalue.to_numpy(), ids),
        digest=digest,
    )


def library_from_gct(path, *, probe_map=None, prefix: str = "") -> LibrarySource:
    """A GCT 1.2/1.3 library (signatures in columns, GCT column metadata as metadata)."""
    matrix = read_gct(path)
    keep, genes, notes = _gene_index(
        matrix.values.index, matrix.row_meta, probe_map, name=Path(path).name
    )
    values = matrix.values.to_numpy()[keep]
    ids = _prefixed(matrix.values.columns, prefix)
    meta = matrix.col_meta.copy()
    meta.index = ids
    return LibrarySource(
        genes=genes,
        signature_ids=ids,
        metadata=meta,
        has_pvalues=False,
        blocks=_frame_blocks(values, None, ids),
        digest=file_digest(path, extra=prefix),
        notes=notes,
    )


def library_from_gctx(path, *, probe_map=None, prefix: str = "") -> LibrarySource:
    """A GCTX (HDF5) library; values are read in column blocks (the HDF5 matrix is stored
    n_cols × n_rows, so a block of signatures is a block of HDF5 rows)."""
    meta = read_gctx_meta(path)
    row_ids = meta.row_meta.index
    keep, genes, notes = _gene_index(row_ids, meta.row_meta, probe_map, name=Path(path).name)
    ids = _prefixed(meta.col_meta.index, prefix)
    col_meta = meta.col_meta.copy()
    col_meta.index = ids

    def blocks() -> Iterator[Block]:
        for start, stop, values in gctx_blocks(path, block=BLOCK, rows=keep):
            yield ids[start:stop], values, None

    return LibrarySource(
        genes=genes,
        signature_ids=ids,
        metadata=col_meta,
        has_pvalues=False,
        blocks=blocks,
        digest=file_digest(path, extra=prefix),
        notes=notes,
    )


def _numeric_matrix(path) -> pd.DataFrame:
    table = read_table(path)
    name = Path(path).name
    if table.shape[1] < 2:
        raise InputError(f"{name}: a matrix needs a gene-id column and at least one signature")
    index = pd.Index(table.iloc[:, 0].str.strip(), name="gene")
    data_cols = [c for c in table.columns[1:] if c.lower() not in {"symbol", "gene_symbol"}]
    raw = pd.DataFrame(table[data_cols].to_numpy(), index=index, columns=data_cols)
    entrez_ids(pd.Series(index), name=name)
    if len(set(data_cols)) != len(data_cols):
        raise InputError(f"{name}: duplicated signature ids in the header")
    return to_numeric(raw, name=name)


def library_from_matrices(logfc_path, pvalue_path=None, *, prefix: str = "") -> LibrarySource:
    """A pair of genes × signatures TSV matrices (logFC and optional p-values)."""
    logfc = _numeric_matrix(logfc_path)
    pvalue = _numeric_matrix(pvalue_path) if pvalue_path else None
    logfc.columns = _prefixed(logfc.columns, prefix)
    if pvalue is not None:
        pvalue.columns = _prefixed(pvalue.columns, prefix)
    return library_from_frames(
        logfc=logfc,
        pvalue=pvalue,
        digest=file_digest(logfc_path, pvalue_path, extra=prefix),
        name=Path(logfc_path).name,
    )


ILINCS_VALUE = "Value_LogDiffExp"
ILINCS_P = "Significance_pvalue"


def library_from_ilincs_tsv(paths: list, *, prefix: str = "") -> LibrarySource:
    """iLINCS signature downloads (signatureID, ID_geneid, Value_LogDiffExp[, p-value]).

    A file without a signatureID column is one signature named after the file
    (``..._LINCSCP_1000_...`` -> LINCSCP_1000). Genes missing from a signature are NaN.
    """
    logfc_cols, p_cols = {}, {}
    for path in paths:
        name = Path(path).name
        table = read_table(path)
        require(table, ["ID_geneid", ILINCS_VALUE], name=name)
        if "signatureID" in table.columns:
            groups = table.groupby("signatureID", sort=False)
        else:
            match = re.search(r"([A-Z]+[A-Z0-9]*_\d+)", name)
            groups = [(match.group(1) if match else Path(path).stem, table)]
        for sig, part in groups:
            genes = entrez_ids(part["ID_geneid"], name=name)
            sig = f"{prefix}{sig}"
            if sig in logfc_cols:
                raise InputError(f"{name}: signature {sig} appears twice")
            logfc_cols[sig] = pd.Series(
                to_numeric(part[[ILINCS_VALUE]], name=name).iloc[:, 0].to_numpy(), index=genes
            )
            if ILINCS_P in part.columns:
                p_cols[sig] = pd.Series(
                    to_numeric(part[[ILINCS_P]], name=name).iloc[:, 0].to_numpy(), index=genes
                )
    logfc = pd.DataFrame(logfc_cols).sort_index()
    pvalue = None
    if p_cols:
        pvalue = pd.DataFrame(p_cols).reindex(index=logfc.index, columns=logfc.columns)
    return library_from_frames(
        logfc=logfc,
        pvalue=pvalue,
        digest=file_digest(*paths, extra=prefix),
        name=Path(paths[0]).name,
    )


SIGNATURE_ID_COLUMNS = ("sig_id", "signatureID", "signature_id", "signature", "id", "cid")


def read_signature_metadata(path) -> pd.DataFrame:
    """A signature metadata table indexed by signature id (first matching id column)."""
    table = read_table(path)
    key = next((c for c in SIGNATURE_ID_COLUMNS if c in table.columns), table.columns[0])
    ids = table[key].str.strip()
    if ids.duplicated().any():
        raise InputError(
            f"{Path(path).name}: duplicated signature id {ids[ids.duplicated()].iloc[0]!r}"
        )
    return table.drop(columns=[key]).set_index(pd.Index(ids, name="signature"))
