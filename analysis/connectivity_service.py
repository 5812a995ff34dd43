"""Connectivity of a query with a stored signature library (the API, the CLI and jobs use it).

service: ``connectivity_query``; selector: ``signature_connections``. The numbers come from
``analysis.engine.fastconn`` over ``signatures.io``; this module only maps genes and joins the
catalogue annotations (perturbagen, cell line, dose, time) of the returned rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from analysis.engine.fastconn import fast_connectivity
from analysis.engine.query import ParsedQuery, QueryError, parse_query
from signatures.io import library_open
from signatures.models import Gene, Signature, SignatureLibrary


def resolve_genes(identifiers: Iterable[str]) -> dict[str, int]:
    """Map Entrez ids (digit strings) and symbols (case-insensitive) to Entrez ids."""
    ids = list(identifiers)
    numbers = {int(i) for i in ids if i.isdigit()}
    symbols = {i.upper() for i in ids if not i.isdigit()}
    # two indexed look-ups: an OR of both would make SQLite scan the gene table
    by_id = (
        {
            str(e): e
            for e in Gene.objects.filter(entrez_id__in=numbers).values_list("entrez_id", flat=True)
        }
        if numbers
        else {}
    )
    by_symbol = (
        {
            s.upper(): e
            for e, s in Gene.objects.filter(symbol__in=symbols).values_list("entrez_id", "symbol")
        }
        if symbols
        else {}
    )
    out = {}
    for ident in ids:
        entrez = by_id.get(ident) if ident.isdigit() else by_symbol.get(ident.upper())
        if entrez is not None:
            out[ident] = entrez
    return out


def _memoised(resolve):
    """parse_query resolves the same identifiers twice; look them up once per request."""
    seen: dict[tuple[str, ...], dict[str, int]] = {}

    def once(ids):
        key = tuple(ids)
        if key not in seen:
            seen[key] = resolve(ids)
        return seen[key]

    return once


def _library_first(library_genes: np.ndarray):
    """Entrez ids the library stores need no look-up; symbols and other ids go to the gene
    table (a 1,000-id IN query costs more than scoring the library)."""
    stored = set(library_genes.tolist())

    def resolve(ids):
        out = {i: int(i) for i in ids if i.isdigit() and int(i) in stored}
        rest = [i for i in ids if i not in out]
        if rest:
            out.update(resolve_genes(rest))
        return out

    return resolve


def _annotations(library: SignatureLibrary, accessions: list[str]) -> dict[str, dict]:
    # by the unique accession index alone (with the library too, SQLite may scan the library)
    rows = Signature.objects.filter(accession__in=accessions).values_list(
        "accession",
        "library_id",
        "perturbagen__name",
        "cell_line__name",
        "dose",
        "dose_unit",
        "time",
        "time_unit",
    )
    return {
        acc: {
            "perturbagen": drug or "",
            "cell_line": cell or "",
            "dose": _unit(dose, dose_unit),
            "time": _unit(time, time_unit),
        }
        for acc, lib_id, drug, cell, dose, dose_unit, time, time_unit in rows
        if lib_id == library.pk
    }


def _unit(value, unit: str) -> str:
    if value is None:
        return ""
    return f"{value:g} {unit}".strip()


def _number(value) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def connectivity_query(
    *,
    library: SignatureLibrary,
    metric: str,
    query: dict | ParsedQuery,
    top: int = 100,
    order: str = "abs",
    min_overlap: int = 10,
) -> dict:
    """Score a query payload against a library; ranked rows with catalogue annotations."""
    matrices = library_open(slug=library.slug)
    parsed = (
        query
        if isinstance(query, ParsedQuery)
        else parse_query(query, resolve=_memoised(_library_first(matrices.genes)))
    )
    try:
        result = fast_connectivity(
            parsed.query, matrices, metric=metric, top=top, order=order, min_overlap=min_overlap
        )
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    table = result.table
    notes = _annotations(library, table["signature"].tolist())
    rows = []
    for rec in table.itertuples(index=False):
        rows.append(
            {
                "signature": rec.signature,
                "similarity": _number(rec.similarity),
                "pValue": _number(rec.pValue),
                "FDR": _number(rec.FDR),
                "nGenes": int(rec.nGenes),
                "lowOverlap": bool(rec.lowOverlap),
                **notes.get(
                    rec.signature, dict.fromkeys(("perturbagen", "cell_line", "dose", "time"), "")
                ),
            }
        )
    return {
        "library": library.slug,
        "version": matrices.version,
        "metric": metric,
        "query_kind": parsed.kind,
        "n_query_genes": parsed.n_given,
        "n_genes_used": result.query_genes_used,
        "unknown_genes": list(parsed.unknown),
        "n_signatures": result.n_signatures,
        "rows": rows,
    }


def signature_connections(*, signature: Signature, k: int = 100) -> dict:
    """The precomputed top positive/negative connections of a signature (precompute_connections)."""
    matrices = library_open(slug=signature.library.slug)
    path = matrices.path / "connections.npz"
    if not path.exists():
        raise FileNotFoundError(
            f"connections of library {signature.library.slug!r} are not computed; run "
            "manage.py precompute_connections"
        )
    with np.load(path) as stored:
        j = matrices.column(signature.accession)
        parts = {name: stored[name][j][:k] for name in ("pos_idx", "pos_r", "neg_idx", "neg_r")}
    ids = matrices.signature_ids
    return {
        "signature": signature.accession,
        "library": signature.library.slug,
        "version": matrices.version,
        "metric": "pearson",
        "positive": [
            {"signature": ids[i], "similarity": float(r)}
            for i, r in zip(parts["pos_idx"], parts["pos_r"], strict=True)
        ],
        "negative": [
            {"signature": ids[i], "similarity": float(r)}
            for i, r in zip(parts["neg_idx"], parts["neg_r"], strict=True)
        ],
    }
