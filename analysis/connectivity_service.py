"""Connectivity of a query with a stored signature library (the API, the CLI and jobs use it).

service: ``connectivity_query``; selector: ``signature_connections``. The numbers come from
``analysis.engine.fastconn`` over ``signatures.io``; this module only maps genes and joins the
catalogue annotations (perturbagen, cell line, dose, time) of the returned rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from django.db.models import Q

from analysis.engine.fastconn import fast_connectivity
from analysis.engine.query import ParsedQuery, QueryError, parse_query
from signatures.io import library_open
from signatures.models import Gene, Signature, SignatureLibrary


def resolve_genes(identifiers: Iterable[str]) -> dict[str, int]:
    """Map Entrez ids (digit strings) and symbols (case-insensitive) to Entrez ids."""
    ids = list(identifiers)
    numbers = {i for i in ids if i.isdigit()}
    symbols = {i.upper() for i in ids if not i.isdigit()}
    known = Gene.objects.filter(
        Q(entrez_id__in=[int(n) for n in numbers]) | Q(symbol__in=symbols)
    ).values_list("entrez_id", "symbol")
    by_id = {str(e): e for e, _ in known}
    by_symbol = {s.upper(): e for e, s in known}
    out = {}
    for ident in ids:
        entrez = by_id.get(ident) if ident.isdigit() else by_symbol.get(ident.upper())
        if entrez is not None:
            out[ident] = entrez
    return out


def _annotations(library: SignatureLibrary, accessions: list[str]) -> dict[str, dict]:
    rows = Signature.objects.filter(library=library, accession__in=accessions).select_related(
        "perturbagen", "cell_line"
    )
    return {
        s.accession: {
            "perturbagen": s.perturbagen.name if s.perturbagen else "",
            "cell_line": s.cell_line.name if s.cell_line else "",
            "dose": _unit(s.dose, s.dose_unit),
            "time": _unit(s.time, s.time_unit),
        }
        for s in rows
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
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query, resolve=resolve_genes)
    matrices = library_open(slug=library.slug)
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
