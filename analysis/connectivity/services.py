"""Connectivity of a query with a stored signature library (the API, the CLI and jobs use it).

service: ``connectivity_query``; selectors: ``public_library``, ``signature_connections``. The
numbers come from ``analysis.engine.connectivity.fast`` over ``signatures.io``; this module only
maps genes and joins the catalogue annotations (perturbagen, cell line, dose, time) of the returned
rows, with as little work per request as it can (the API answers in milliseconds).
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
from django.db import connections, router

from analysis.engine.connectivity import ParsedQuery, QueryError, parse_query
from analysis.engine.connectivity.fast import fast_connectivity
from analysis.engine.derived import derived
from signatures.io import LibraryCorrupt, library_open
from signatures.models import Signature, SignatureLibrary
from signatures.selectors import entrez_like as _entrez_like
from signatures.selectors import resolve_genes, signature_annotation_rows


class ConnectionsNotComputed(FileNotFoundError):
    """The library's connections were never precomputed (``manage.py precompute_connections``)."""


def _stored_genes(matrices) -> tuple[Mapping[str, int], frozenset[int]]:
    """A library's genes by their Entrez id spelled as a string, and as a set; built once per
    opened library version (``library_open`` keeps one object per library). Shared: read-only."""

    def build():
        genes = matrices.genes.tolist()
        by_name = {str(g): g for g in genes if g >= 0}  # the spellings isdigit() accepts
        return by_name, frozenset(genes)

    return derived(matrices, "genes by id", build)


def _library_first(matrices):
    """Entrez ids the library stores need no look-up; symbols and other ids go to the gene
    table (a 1,000-id IN query costs more than scoring the library)."""
    by_name, stored = _stored_genes(matrices)

    def resolve(ids):
        ids = list(ids)
        try:
            list(map(by_name.__getitem__, ids))
            return by_name  # every id as the library spells it: the library's own index
        except KeyError:
            pass
        out = {}
        rest = []
        for i in ids:
            entrez = by_name.get(i)
            if entrez is None and _entrez_like(i) and int(i) in stored:  # e.g. "01001"
                entrez = int(i)
            if entrez is None:
                rest.append(i)
            else:
                out[i] = entrez
        if rest:
            out.update(resolve_genes(rest))
        return out

    return resolve


def _annotations(
    library: SignatureLibrary, columns: list[int], accessions: list[str]
) -> dict[str, dict]:
    """Catalogue annotations of the returned rows (matrix columns and accessions), by accession."""
    wanted = dict(zip(columns, accessions, strict=True))
    rows = signature_annotation_rows(library_id=library.pk, columns=list(wanted))
    found = [row[1:] for row in rows if wanted.get(row[0]) == row[1]]
    if len(found) < len(wanted):  # a catalogue out of step with the matrices: by accession
        missing = set(wanted.values()).difference(row[0] for row in found)
        found += _annotation_rows_by_accession(library, missing)
    return {
        acc: {
            "perturbagen": drug or "",
            "cell_line": cell or "",
            "dose": _unit(dose, dose_unit),
            "time": _unit(time, time_unit),
        }
        for acc, drug, cell, dose, dose_unit, time, time_unit in found
    }


def _annotation_rows_by_accession(library: SignatureLibrary, accessions) -> list[tuple]:
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
    return [(acc, *rest) for acc, lib_id, *rest in rows if lib_id == library.pk]


NO_ANNOTATION = dict.fromkeys(("perturbagen", "cell_line", "dose", "time"), "")


@lru_cache(maxsize=4096)  # a library has few distinct doses and times; 200 per response
def _unit(value, unit: str) -> str:
    if value is None:
        return ""
    return f"{value:g} {unit}".strip()


def _finite_or_none(values: np.ndarray) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values.tolist()]


def _rows(table, accessions: list[str], notes: dict[str, dict]) -> list[dict]:
    columns = zip(
        accessions,
        _finite_or_none(np.asarray(table["similarity"], dtype=np.float64)),
        _finite_or_none(np.asarray(table["pValue"], dtype=np.float64)),
        _finite_or_none(np.asarray(table["FDR"], dtype=np.float64)),
        np.asarray(table["nGenes"], dtype=np.int64).tolist(),
        np.asarray(table["lowOverlap"], dtype=bool).tolist(),
        strict=True,
    )
    return [
        {
            "signature": sig,
            "similarity": r,
            "pValue": p,
            "FDR": fdr,
            "nGenes": n,
            "lowOverlap": low,
            **notes.get(sig, NO_ANNOTATION),
        }
        for sig, r, p, fdr, n, low in columns
    ]


def public_library(*, slug: str) -> SignatureLibrary | None:
    """The published library ``slug`` (None if unknown or unpublished) with its id and slug
    loaded (other fields load when first read, as after ``.only()``), by a plain statement:
    compiling the ORM query costs more than running it."""
    alias = router.db_for_read(SignatureLibrary)
    meta = SignatureLibrary._meta
    qn = connections[alias].ops.quote_name
    pk, slug_field, public = meta.pk, meta.get_field("slug"), meta.get_field("is_public")
    sql = (
        f"SELECT {qn(pk.column)}, {qn(slug_field.column)} FROM {qn(meta.db_table)} "
        f"WHERE {qn(slug_field.column)} = %s AND {qn(public.column)} = %s"
    )
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [slug, True])
        row = cursor.fetchone()
    if row is None:
        return None
    return SignatureLibrary.from_db(alias, [pk.attname, slug_field.attname], row)


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
        else parse_query(query, resolve=_library_first(matrices))
    )
    try:
        result = fast_connectivity(
            parsed.query, matrices, metric=metric, top=top, order=order, min_overlap=min_overlap
        )
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    table = result.columns
    accessions = list(table["signature"])
    notes = _annotations(library, table["column"].tolist(), accessions)
    return {
        "library": library.slug,
        "version": matrices.version,
        "metric": metric,
        "query_kind": parsed.kind,
        "n_query_genes": parsed.n_given,
        "n_genes_used": result.query_genes_used,
        "unknown_genes": list(parsed.unknown),
        "n_signatures": result.n_signatures,
        "rows": _rows(table, accessions, notes),
    }


def signature_connections(*, signature: Signature, k: int = 100) -> dict:
    """The precomputed top positive/negative connections of a signature (precompute_connections).

    Raises ``ConnectionsNotComputed``; ``FileNotFoundError`` or ``LibraryCorrupt`` when the
    library's store is missing or damaged (its connections file included)."""
    matrices = library_open(slug=signature.library.slug)
    path = matrices.path / "connections.npz"
    if not path.exists():
        raise ConnectionsNotComputed(
            f"connections of library {signature.library.slug!r} are not computed; run "
            "manage.py precompute_connections"
        )
    try:
        with np.load(path) as stored:
            j = matrices.column(signature.accession)
            parts = {n: stored[n][j][:k] for n in ("pos_idx", "pos_r", "neg_idx", "neg_r")}
    except (OSError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as exc:
        raise LibraryCorrupt(
            f"the connections file {path} is damaged ({exc}); run manage.py "
            "precompute_connections again"
        ) from None
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
