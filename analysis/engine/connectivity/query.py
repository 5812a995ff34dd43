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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.engine.connectivity.metrics import FullSignature, GeneList, UpDownSignature

Resolver = Callable[[Iterable[str]], Mapping[str, int]]


class QueryError(ValueError):
    """A payload that cannot be turned into a query; the message says what to fix."""


@dataclass(frozen=True)
class ParsedQuery:
    query: FullSignature | UpDownSignature | GeneList
    kind: str  # "signature" | "updown" | "genes"
    unknown: tuple[str, ...]
    n_given: int


def _ids(values: Any, name: str) -> list[str]:
    ids: list[str] | None = None
    if isinstance(values, list | tuple):
        try:
            ids = list(map(str.strip, values))  # the common case: all strings
        except TypeError:
            if all(isinstance(v, str | int) for v in values):
                ids = [str(v).strip() for v in values]
    if ids is None:
        raise QueryError(f"{name} must be a list of gene symbols or Entrez ids")
    if "\x00" in "".join(ids):  # no gene has one, and PostgreSQL text cannot hold one
        raise QueryError(f"{name} must not contain a NUL (\\u0000) character")
    return ids


def _numbers(values: Any, name: str, n: int) -> np.ndarray:
    if not isinstance(values, list | tuple) or len(values) != n:
        raise QueryError(f"{name} must be a list with one number per gene ({n})")
    try:  # the common case, plain JSON numbers, in one conversion
        plain = np.asarray(values)
    except ValueError:  # nested lists of different lengths
        plain = None
    if plain is not None and plain.ndim == 1 and plain.dtype.kind in "fi":
        numbers = plain.astype(np.float64)
        if not np.isfinite(numbers).all():
            raise QueryError(f"{name} values must be finite numbers (null for a missing value)")
        return numbers
    try:
        numbers = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        raise QueryError(f"{name} must contain numbers (or null)") from None
    except OverflowError:  # an integer beyond the float range
        raise QueryError(f"{name} values must be finite numbers") from None
    spelled = [v for v in values if v is not None and not np.isfinite(float(v))]
    if spelled:  # "NaN"/"Infinity" given as values: null is how a missing value is written
        raise QueryError(f"{name} values must be finite numbers (null for a missing value)")
    return numbers


@dataclass(frozen=True)
class _Resolved:
    """The known genes of an id list, first occurrences in order (``keep``: their positions,
    None when every id is known and distinct), the unknown ids, and each repeat of a gene as
    (position of its first occurrence, position of the repeat)."""

    genes: np.ndarray
    keep: list[int] | None
    unknown: list[str]
    repeats: list[tuple[int, int]]


def _resolve(ids: list[str], resolve: Resolver) -> _Resolved:
    entrez = list(map(resolve(ids).get, ids))
    if None not in entrez and len(set(entrez)) == len(entrez):
        return _Resolved(np.fromiter(entrez, np.int64, len(entrez)), None, [], [])
    first: dict[int, int] = {}
    keep, genes, unknown, repeats = [], [], [], []
    for i, (ident, gene) in enumerate(zip(ids, entrez, strict=True)):
        if gene is None:
            unknown.append(ident)
            continue
        j = first.setdefault(gene, i)
        if j == i:
            keep.append(i)
            genes.append(gene)
        else:
            repeats.append((j, i))
    return _Resolved(np.asarray(genes, dtype=np.int64), keep, unknown, repeats)


def _check_repeats(ids: list[str], values: np.ndarray, repeats: list[tuple[int, int]]) -> None:
    """A gene given twice (e.g. by symbol and by Entrez id) must carry the same value."""
    for j, i in repeats:
        if not (values[i] == values[j] or np.isnan(values[i]) and np.isnan(values[j])):
            raise QueryError(
                f"gene {ids[j]!r} is given twice ({ids[j]!r} and {ids[i]!r}) with different "
                "logFC values; keep one row per gene"
            )


def _kept(values: np.ndarray, keep: list[int] | None) -> np.ndarray:
    return values if keep is None else values[keep]


def parse_query(payload: Mapping[str, Any], *, resolve: Resolver) -> ParsedQuery:
    """Turn an API/CLI payload into a query; raises QueryError with a readable message.

    ``resolve`` is called once per id list (once for a full signature or a gene list)."""
    if not isinstance(payload, dict):
        raise QueryError("query must be an object")
    if "up" in payload or "down" in payload:
        up, down = _ids(payload.get("up", []), "up"), _ids(payload.get("down", []), "down")
        r_up, r_down = _resolve(up, resolve), _resolve(down, resolve)
        g_up, g_down = r_up.genes, r_down.genes
        g_down = np.setdiff1d(g_down, g_up) if len(np.intersect1d(g_up, g_down)) else g_down
        if len(g_up) + len(g_down) == 0:
            raise QueryError("none of the up/down genes is known")
        query = UpDownSignature(up=g_up, down=g_down)
        unknown = tuple(r_up.unknown + r_down.unknown)
        return ParsedQuery(query, "updown", unknown, len(up) + len(down))
    if "genes" not in payload:
        raise QueryError("query needs 'genes' (with 'logFC' for a full signature) or 'up'/'down'")
    ids = _ids(payload["genes"], "genes")
    known = _resolve(ids, resolve)
    if len(known.genes) == 0:
        raise QueryError("none of the query genes is known")
    if "logFC" not in payload:
        return ParsedQuery(GeneList(known.genes), "genes", tuple(known.unknown), len(ids))
    all_logfc = _numbers(payload["logFC"], "logFC", len(ids))
    _check_repeats(ids, all_logfc, known.repeats)
    logfc = _kept(all_logfc, known.keep)
    if np.any(np.isinf(logfc)):
        raise QueryError("logFC values must be finite numbers")
    pvalue = None
    if payload.get("pvalue") is not None:
        pvalue = _kept(_numbers(payload["pvalue"], "pvalue", len(ids)), known.keep)
        if np.any((pvalue < 0) | (pvalue > 1)):
            raise QueryError("p-values must lie in [0, 1]")
    return ParsedQuery(
        FullSignature(known.genes, logfc, pvalue), "signature", tuple(known.unknown), len(ids)
    )


def read_query_table(path: str | Path) -> dict[str, Any]:
    """A query file as a payload: ``gene logFC [pvalue]`` TSV or an iLINCS signature download.

    The iLINCS format has columns ID_geneid, Name_GeneSymbol, Value_LogDiffExp and optionally
    Significance_pvalue; the plain one has a gene column first, then logFC and p-value
    (header names case-insensitive: logFC; pvalue, p, P.Value, PValue).
    """
    from analysis.engine import formats

    try:
        table = formats.read_table(path)
    except formats.InputError as exc:
        raise QueryError(f"cannot read the query file: {exc}") from None
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
        "logFC": _query_numbers(table[lfc_col], formats.is_missing),
    }
    if p_col is not None:
        payload["pvalue"] = _query_numbers(table[p_col], formats.is_missing)
    return payload


def _query_numbers(cells: Any, is_missing: Any) -> list[float]:
    """Text cells as floats: missing tokens (formats.MISSING_TOKENS) and non-numbers NaN."""
    import pandas as pd

    return list(pd.to_numeric(cells.mask(cells.map(is_missing)), errors="coerce").tolist())
