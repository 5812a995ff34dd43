"""Parse a connectivity query payload into engine query types.

A payload is one of (keys case-sensitive, as in the API):

- a full signature: ``{"genes": [...], "logFC": [...], "pvalue": [...]}`` (pvalue optional);
- up/down lists: ``{"up": [...], "down": [...]}`` (either may be empty, not both);
- a plain gene list: ``{"genes": [...]}``.

Genes are Entrez ids (numbers or digit strings) or symbols; ``resolve`` maps the identifiers it
knows to Entrez ids (the caller looks them up in its gene table). Unknown identifiers are
reported back, not silently dropped; a gene given twice keeps its first occurrence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from analysis.engine.connectivity import FullSignature, GeneList, UpDownSignature

Resolver = Callable[[Iterable[str]], dict[str, int]]


class QueryError(ValueError):
    """A payload that cannot be turned into a query; the message says what to fix."""


@dataclass(frozen=True)
class ParsedQuery:
    query: FullSignature | UpDownSignature | GeneList
    kind: str  # "signature" | "updown" | "genes"
    unknown: tuple[str, ...]
    n_given: int


def _ids(values, name: str) -> list[str]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str | int) for v in values):
        raise QueryError(f"{name} must be a list of gene symbols or Entrez ids")
    return [str(v).strip() for v in values]


def _numbers(values, name: str, n: int) -> np.ndarray:
    if not isinstance(values, list | tuple) or len(values) != n:
        raise QueryError(f"{name} must be a list with one number per gene ({n})")
    try:
        numbers = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        raise QueryError(f"{name} must contain numbers (or null)") from None
    spelled = [v for v in values if v is not None and not np.isfinite(float(v))]
    if spelled:  # "NaN"/"Infinity" given as values: null is how a missing value is written
        raise QueryError(f"{name} values must be finite numbers (null for a missing value)")
    return numbers


def _resolve(ids: list[str], resolve: Resolver) -> tuple[np.ndarray, list[int], list[str]]:
    mapping = resolve(ids)
    seen: set[int] = set()
    keep, genes, unknown = [], [], []
    for i, ident in enumerate(ids):
        entrez = mapping.get(ident)
        if entrez is None:
            unknown.append(ident)
        elif entrez not in seen:
            seen.add(entrez)
            keep.append(i)
            genes.append(entrez)
    return np.asarray(genes, dtype=np.int64), keep, unknown


def _check_repeats(ids: list[str], values: np.ndarray, resolve: Resolver) -> None:
    """A gene given twice (e.g. by symbol and by Entrez id) must carry the same value."""
    mapping = resolve(ids)
    first: dict[int, int] = {}
    for i, ident in enumerate(ids):
        entrez = mapping.get(ident)
        if entrez is None:
            continue
        j = first.setdefault(entrez, i)
        if j != i and not (values[i] == values[j] or np.isnan(values[i]) and np.isnan(values[j])):
            raise QueryError(
                f"gene {ids[j]!r} is given twice ({ids[j]!r} and {ids[i]!r}) with different "
                "logFC values; keep one row per gene"
            )


def parse_query(payload: dict, *, resolve: Resolver) -> ParsedQuery:
    """Turn an API/CLI payload into a query; raises QueryError with a readable message."""
    if not isinstance(payload, dict):
        raise QueryError("query must be an object")
    if "up" in payload or "down" in payload:
        up, down = _ids(payload.get("up", []), "up"), _ids(payload.get("down", []), "down")
        g_up, _, unk_up = _resolve(up, resolve)
        g_down, _, unk_down = _resolve(down, resolve)
        g_down = np.setdiff1d(g_down, g_up) if len(np.intersect1d(g_up, g_down)) else g_down
        if len(g_up) + len(g_down) == 0:
            raise QueryError("none of the up/down genes is known")
        query = UpDownSignature(up=g_up, down=g_down)
        return ParsedQuery(query, "updown", tuple(unk_up + unk_down), len(up) + len(down))
    if "genes" not in payload:
        raise QueryError("query needs 'genes' (with 'logFC' for a full signature) or 'up'/'down'")
    ids = _ids(payload["genes"], "genes")
    genes, keep, unknown = _resolve(ids, resolve)
    if len(genes) == 0:
        raise QueryError("none of the query genes is known")
    if "logFC" not in payload:
        return ParsedQuery(GeneList(genes), "genes", tuple(unknown), len(ids))
    all_logfc = _numbers(payload["logFC"], "logFC", len(ids))
    _check_repeats(ids, all_logfc, resolve)
    logfc = all_logfc[keep]
    if np.any(np.isinf(logfc)):
        raise QueryError("logFC values must be finite numbers")
    pvalue = None
    if payload.get("pvalue") is not None:
        pvalue = _numbers(payload["pvalue"], "pvalue", len(ids))[keep]
        if np.any((pvalue < 0) | (pvalue > 1)):
            raise QueryError("p-values must lie in [0, 1]")
    return ParsedQuery(FullSignature(genes, logfc, pvalue), "signature", tuple(unknown), len(ids))


def read_query_table(path) -> dict:
    """A query file as a payload: ``gene logFC [pvalue]`` TSV or an iLINCS signature download.

    The iLINCS format has columns ID_geneid, Name_GeneSymbol, Value_LogDiffExp and optionally
    Significance_pvalue; the plain one has a gene column first, then logFC and p-value
    (header names case-insensitive: logFC; pvalue, p, P.Value, PValue).
    """
    import pandas as pd

    try:
        table = pd.read_csv(path, sep="\t", dtype=str)
    except (OSError, ValueError) as exc:
        raise QueryError(f"cannot read the query file {path}: {exc}") from None
    cols = {c.lower(): c for c in table.columns}
    if "value_logdiffexp" in cols:
        gene_col = cols.get("id_geneid") or cols.get("name_genesymbol")
        lfc_col, p_col = cols["value_logdiffexp"], cols.get("significance_pvalue")
    else:
        if len(table.columns) < 2 or "logfc" not in cols:
            raise QueryError(f"{path}: expected columns 'gene logFC [pvalue]' or the iLINCS format")
        gene_col, lfc_col = table.columns[0], cols["logfc"]
        p_col = next((cols[c] for c in ("pvalue", "p", "p.value", "pval") if c in cols), None)
    if gene_col is None:
        raise QueryError(f"{path}: no gene id column")
    payload = {
        "genes": table[gene_col].astype(str).tolist(),
        "logFC": pd.to_numeric(table[lfc_col], errors="coerce").tolist(),
    }
    if p_col is not None:
        payload["pvalue"] = pd.to_numeric(table[p_col], errors="coerce").tolist()
    return payload
