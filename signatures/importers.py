"""Readers for gene, perturbagen, gene-set and signature-library files (no ORM).

Each reader validates its input and raises ``InputError`` with one line. Library readers
return a ``LibrarySource``: the gene index (Entrez ids), signature ids, per-signature
metadata, and a generator of column blocks, so a large GCTX is never held in memory at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from catalog.importers import (
    NA_TOKENS,
    InputError,
    read_gct,
    read_table,
    read_text,
    to_numeric,
)

BLOCK = 2048
Block = tuple[list[str], np.ndarray, np.ndarray | None]


def _require(table: pd.DataFrame, columns: list[str], *, name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {', '.join(missing)}")


def _entrez(values: pd.Series, *, name: str, what: str = "gene ids") -> np.ndarray:
    numbers = pd.to_numeric(values.str.strip(), errors="coerce")
    bad = numbers.isna() | (numbers <= 0) | (numbers % 1 != 0)
    if bad.any():
        raise InputError(f"{name}: {what} must be Entrez ids, found {values[bad].iloc[0]!r}")
    ids = numbers.astype(np.int64).to_numpy()
    duplicated = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(duplicated):
        shown = ", ".join(map(str, duplicated[:5]))
        raise InputError(f"{name}: duplicated {what}: {shown} ({len(duplicated)} in all)")
    return ids


def file_digest(*paths: Path | str | None, extra: str = "") -> str:
    """sha256 of files' bytes (and an extra string): the identity of an import's input."""
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        if path is None:
            continue
        digest.update(str(Path(path).name).encode())
        with Path(path).open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                digest.update(chunk)
    return digest.hexdigest()


# --- genes ---------------------------------------------------------------------------------


def read_gene_info(path: Path | str) -> pd.DataFrame:
    """LINCS gene_info: entrez_id, symbol, title, is_landmark, is_inferred."""
    name = Path(path).name
    table = read_table(path)
    _require(table, ["pr_gene_id", "pr_gene_symbol", "pr_is_lm", "pr_is_bing"], name=name)
    return pd.DataFrame(
        {
            "entrez_id": _entrez(table["pr_gene_id"], name=name),
            "symbol": table["pr_gene_symbol"].str.strip().to_numpy(),
            "title": table.get("pr_gene_title", pd.Series([""] * len(table))).to_numpy(),
            "is_landmark": table["pr_is_lm"].str.strip().isin({"1", "True", "TRUE"}).to_numpy(),
            "is_inferred": table["pr_is_bing"].str.strip().isin({"1", "True", "TRUE"}).to_numpy(),
        }
    )


def read_gene_table(path: Path | str) -> pd.DataFrame:
    """The org.Hs.eg.db export: entrez_id, symbol, name, gene_type, cytoband, aliases, ensembl."""
    name = Path(path).name
    table = read_table(path)
    _require(table, ["entrez_id", "symbol", "name"], name=name)
    table["entrez_id"] = _entrez(table["entrez_id"], name=name)
    for column in ("gene_type", "cytoband", "aliases", "ensembl_ids"):
        if column not in table.columns:
            table[column] = ""
    return table.set_index("entrez_id")


# --- perturbagens --------------------------------------------------------------------------


def read_pertinfo(path: Path | str) -> pd.DataFrame:
    """LINCS pert_info (pert_id, pert_iname, pert_type, pubchem_cid, SMILES, InChIKey)."""
    name = Path(path).name
    table = read_table(path)
    _require(table, ["pert_id", "pert_iname", "pert_type"], name=name)
    table["pert_id"] = table["pert_id"].str.strip()
    if (table["pert_id"] == "").any():
        raise InputError(f"{name}: a row has an empty pert_id")
    duplicated = table["pert_id"][table["pert_id"].duplicated()].unique()
    if len(duplicated):
        raise InputError(
            f"{name}: duplicated pert_id: {', '.join(duplicated[:5])} ({len(duplicated)} in all)"
        )
    return table


def _split(value: str, seps: str = r"[|;,]") -> list[str]:
    if not value or value.strip() in NA_TOKENS:
        return []
    return list(dict.fromkeys(p.strip() for p in re.split(seps, value) if p.strip()))


def read_drug_annotations(path: Path | str) -> pd.DataFrame:
    """A drug annotation table, normalised: key_brd (13-char BRD prefix), key_name, moa,
    targets, inchi_key, chembl_id, drugbank_id, phase.

    Understands the signatureSearch LINCS compound table (pert_id, MOA, t_gn_sym, ...) and the
    Drug Repurposing Hub export (Name, MOA, Target, Id, InChIKey, Phase).
    """
    name = Path(path).name
    table = read_table(path)
    rows = []
    if "pert_id" in table.columns:
        _require(table, ["pert_id", "pert_iname"], name=name)
        for r in table.to_dict("records"):
            moa = _split(r.get("MOA", ""), r"[|;]") or _split(r.get("mergeMOA", ""), r"[|;]")
            targets = _split(r.get("target", ""), r"[|;]") or _split(r.get("t_gn_sym", ""), r";")
            phase = r.get("max_phase", "").strip()
            rows.append(
                {
                    "keys": [r["pert_id"].strip()[:13]],
                    "key_name": r["pert_iname"].strip().lower(),
                    "moa": moa,
                    "targets": targets,
                    "inchi_key": r.get("inchi_key", "").strip(),
                    "chembl_id": r.get("chembl_id", "").strip(),
                    "drugbank_id": r.get("DrugBank_ID", "").strip(),
                    "phase": f"Phase {phase.split('.')[0]}" if phase not in NA_TOKENS else "",
                }
            )
    elif "Name" in table.columns:
        _require(table, ["Name", "MOA", "Target"], name=name)
        for r in table.to_dict("records"):
            rows.append(
                {
                    "keys": sorted({i.strip()[:13] for i in _split(r.get("Id", ""), ",")}),
                    "key_name": r["Name"].strip().lower(),
                    "moa": _split(r["MOA"], r"[|,]"),
                    "targets": _split(r["Target"], ","),
                    "inchi_key": (_split(r.get("InChIKey", ""), ",") or [""])[0],
                    "chembl_id": "",
                    "drugbank_id": "",
                    "phase": r.get("Phase", "").strip(),
                }
            )
    else:
        raise InputError(f"{name}: not a drug annotation table (no pert_id or Name column)")
    return pd.DataFrame(rows)


# --- gene sets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GmtSet:
    name: str
    description: str
    genes: list[str]


def read_gmt(path: Path | str) -> list[GmtSet]:
    """A GMT file: name, description, genes (tab-separated), one set a line."""
    name = Path(path).name
    sets, seen = [], set()
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 3:
            raise InputError(
                f"{name}: line {number} has {len(fields)} tab-separated field(s); a GMT line "
                "needs a name, a description and at least one gene"
            )
        genes = list(dict.fromkeys(g.strip() for g in fields[2:] if g.strip()))
        if not genes:
            raise InputError(f"{name}: line {number} ({fields[0]!r}) has no genes")
        if fields[0] in seen:
            raise InputError(f"{name}: duplicated gene-set name {fields[0]!r} (line {number})")
        seen.add(fields[0])
        sets.append(GmtSet(fields[0].strip()[:300], fields[1].strip(), genes))
    return sets


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
    _require(table, ["rid", "pr_gene_id"], name=Path(path).name)
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
    genes = _entrez(pd.Series(logfc.index.astype(str)), name=name)
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


def _h5_strings(dataset) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in dataset[()]]


def library_from_gctx(path, *, probe_map=None, prefix: str = "") -> LibrarySource:
    """A GCTX (HDF5) library; values are read in column blocks (the HDF5 matrix is stored
    n_cols × n_rows, so a block of signatures is a block of HDF5 rows)."""
    import h5py

    name = Path(path).name
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(f"{name}: not a readable GCTX/HDF5 file ({exc})") from None
    with h5:
        try:
            shape = h5["0/DATA/0/matrix"].shape
            row_ids = pd.Index(_h5_strings(h5["0/META/ROW/id"]))
            col_ids = _h5_strings(h5["0/META/COL/id"])
            row_meta = pd.DataFrame(
                {k: _h5_strings(v) for k, v in h5["0/META/ROW"].items() if k != "id"},
                index=row_ids,
            )
            col_meta = pd.DataFrame(
                {k: _h5_strings(v) for k, v in h5["0/META/COL"].items() if k != "id"},
                index=col_ids,
            )
        except KeyError as exc:
            raise InputError(f"{name}: not a GCTX file (missing {exc})") from None
    if shape != (len(col_ids), len(row_ids)):
        raise InputError(
            f"{name}: matrix shape {shape} does not match {len(col_ids)} columns × "
            f"{len(row_ids)} rows of metadata"
        )
    if len(set(col_ids)) != len(col_ids):
        raise InputError(f"{name}: duplicated column ids")
    keep, genes, notes = _gene_index(row_ids, row_meta, probe_map, name=name)
    ids = _prefixed(col_ids, prefix)
    col_meta.index = ids

    def blocks() -> Iterator[Block]:
        with h5py.File(path, "r") as h5:
            matrix = h5["0/DATA/0/matrix"]
            for start in range(0, len(ids), BLOCK):
                stop = min(start + BLOCK, len(ids))
                block = np.asarray(matrix[start:stop, :], dtype=np.float32)[:, keep].T
                yield ids[start:stop], np.ascontiguousarray(block), None

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
    _entrez(pd.Series(index), name=name)
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
        _require(table, ["ID_geneid", ILINCS_VALUE], name=name)
        if "signatureID" in table.columns:
            groups = table.groupby("signatureID", sort=False)
        else:
            match = re.search(r"([A-Z]+[A-Z0-9]*_\d+)", name)
            groups = [(match.group(1) if match else Path(path).stem, table)]
        for sig, part in groups:
            genes = _entrez(part["ID_geneid"], name=name)
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
