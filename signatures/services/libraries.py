"""Writes signature libraries: Signature rows plus the value matrices.

Every import is idempotent (by slug) and raises ``InputError`` before writing anything when
its input is inconsistent. Library values go to the matrix store through ``signatures.io``
only; the store switches version last, inside the database transaction, so a failed import
leaves the old version serving.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import F

from analysis.engine.formats import InputError, is_missing
from catalog.fields import max_length
from catalog.models import Collection, Organism
from catalog.services import ImportReport, cell_lines_ensure
from signatures import io
from signatures.choices import GeneSpace, LibraryKind, ScoreKind
from signatures.importers import LibrarySource
from signatures.io import LibraryWriter
from signatures.models import Signature, SignatureLibrary
from signatures.services._common import require_slug
from signatures.services.lincs import signature_fields
from signatures.services.perturbagens import perturbagens_for_signatures

Progress = Callable[[int, int], None]


def _merge_metadata(source: LibrarySource, table: pd.DataFrame | None) -> dict[str, dict]:
    rows = {sid: {} for sid in source.signature_ids}
    for sid, row in source.metadata.astype(str).iterrows():
        rows[sid] = {k: v.strip() for k, v in row.items() if not is_missing(v.strip())}
    if table is not None:
        unknown = table.index.difference(pd.Index(source.signature_ids))
        if len(unknown):
            raise InputError(
                f"signature metadata: {len(unknown)} id(s) not in the library: "
                + ", ".join(map(str, unknown[:5]))
            )
        for sid, row in table.astype(str).iterrows():
            rows[sid].update({k: v.strip() for k, v in row.items() if not is_missing(v.strip())})
    return rows


def _library_digest(source: LibrarySource, meta: dict, options: dict) -> str:
    digest = hashlib.sha256(source.digest.encode())
    digest.update(json.dumps([meta, options], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _validate_library_options(*, slug: str, name: str, kind: str, gene_space, score_kind):
    require_slug(slug)
    if not name.strip():
        raise InputError("a library needs a name")
    for value, choices, what in (
        (kind, LibraryKind, "kind"),
        (gene_space, GeneSpace, "gene space"),
        (score_kind, ScoreKind, "score kind"),
    ):
        if value not in choices.values:
            raise InputError(f"unknown {what} {value!r} (one of {', '.join(choices.values)})")


def library_import(
    *,
    slug: str,
    name: str,
    kind: str,
    source: LibrarySource,
    metadata: pd.DataFrame | None = None,
    collection: Collection | None = None,
    organism: Organism | None = None,
    gene_space: str = GeneSpace.LANDMARK,
    score_kind: str = ScoreKind.LOGFC,
    description: str = "",
    provenance: str = "",
    is_public: bool = True,
    progress: Progress | None = None,
    verify: bool = False,
) -> ImportReport:
    """Create or replace a signature library: Signature rows plus the value matrices.

    Re-importing identical files and options is a no-op when the stored files are intact
    (sizes and headers always, the small files' hashes, and with ``verify`` every file's
    hash); a damaged store is rewritten ("repaired"). Changed content writes a new store
    version. Raises ``InputError`` (nothing written) on inconsistent input.
    """
    _validate_library_options(
        slug=slug, name=name, kind=kind, gene_space=gene_space, score_kind=score_kind
    )
    if not source.signature_ids:
        raise InputError(f"{slug}: the library has no signatures")
    longest = max_length(Signature, "accession")
    too_long = [s for s in source.signature_ids if len(s) > longest]
    if too_long:
        raise InputError(f"{slug}: signature id longer than {longest} characters: {too_long[0]!r}")
    meta = _merge_metadata(source, metadata)
    options = {
        "name": name,
        "kind": kind,
        "collection": collection.slug if collection else None,
        "organism": organism.taxon_id if organism else None,
        "gene_space": gene_space,
        "score_kind": score_kind,
        "description": description,
        "provenance": provenance,
    }
    digest = _library_digest(source, meta, options)
    library = SignatureLibrary.objects.filter(slug=slug).first()
    damage = ""
    if (
        library
        and library.source_checksum == digest
        and io.library_stored(slug=slug, version=library.version)
    ):
        damage = _store_damage(library, verify=verify)
        if not damage:
            return ImportReport(library, "unchanged", f"{library.n_signatures} signatures")
    taken = (
        Signature.objects.filter(accession__in=source.signature_ids)
        .exclude(library__slug=slug)
        .values_list("accession", "library__slug")
        .first()
    )
    if taken:
        raise InputError(f"signature {taken[0]} already belongs to library {taken[1]}")
    status = "repaired" if damage else "updated" if library else "created"
    writer = LibraryWriter(
        slug=slug,
        genes=source.genes,
        n_signatures=len(source.signature_ids),
        has_pvalues=source.has_pvalues,
    )
    try:
        n_genes = _write_blocks(writer, source, progress)
        with transaction.atomic():
            library = library or SignatureLibrary(slug=slug)
            for key, value in {
                "name": name,
                "kind": kind,
                "collection": collection,
                "organism": organism,
                "gene_space": gene_space,
                "score_kind": score_kind,
                "description": description,
                "provenance": provenance,
                "n_signatures": len(source.signature_ids),
                "n_genes": len(source.genes),
                "has_pvalues": source.has_pvalues,
                "source_checksum": digest,
            }.items():
                setattr(library, key, value)
            if status == "created":
                library.is_public = is_public
            library.save()
            _signatures_upsert(library, source.signature_ids, meta, n_genes)
            library.version = writer.commit(verify=verify)
            library.save(update_fields=["version"])
    except BaseException:
        writer.abort()
        raise
    detail = f"{len(source.signature_ids)} signatures × {len(source.genes)} genes"
    if damage:
        detail = f"{detail}; the stored files were damaged: {damage}"
    return ImportReport(library, status, f"{detail}, version {library.version}")


def _store_damage(library: SignatureLibrary, *, verify: bool) -> str:
    """Why the stored files of the library's version cannot be kept ("" when they can)."""
    try:
        io.library_check(slug=library.slug, version=library.version, full=verify)
    except (FileNotFoundError, io.LibraryCorrupt) as exc:
        return str(exc)
    return ""


def _write_blocks(writer: LibraryWriter, source: LibrarySource, progress) -> list[int]:
    n_genes, done, total = [], 0, len(source.signature_ids)
    for ids, logfc, pvalue in source.blocks():
        writer.add_block(signature_ids=list(ids), logfc=logfc, pvalue=pvalue)
        n_genes.extend(np.isfinite(logfc).sum(axis=0).tolist())
        done += len(ids)
        if progress:
            progress(done, total)
    return n_genes


def _signatures_upsert(library, ids: list[str], meta: dict, n_genes: list[int]) -> None:
    fields = {sid: signature_fields(sid, meta[sid]) for sid in ids}
    perturbagens = perturbagens_for_signatures(fields=fields)
    cells = cell_lines_ensure(names={f["cell"] for f in fields.values()})
    library.signatures.exclude(accession__in=ids).delete()
    # Move kept rows out of the way first: (library, column) is unique at every statement.
    library.signatures.update(column=F("column") + 10_000_000)
    existing = {s.accession: s for s in library.signatures.all()}
    new, changed = [], []
    for column, sid in enumerate(ids):
        f = fields[sid]
        values = {
            "column": column,
            "perturbagen": perturbagens.get(sid),
            "cell_line": cells.get(f["cell"]),
            "dose": f["dose"],
            "dose_unit": f["dose_unit"],
            "time": f["time"],
            "time_unit": f["time_unit"],
            "treatment_description": f["treatment_description"],
            "baseline_description": f["baseline_description"],
            "description": f["description"],
            "n_genes": int(n_genes[column]),
            "metadata": meta[sid],
        }
        signature = existing.get(sid) or Signature(library=library, accession=sid)
        for key, value in values.items():
            setattr(signature, key, value)
        (changed if signature.pk else new).append(signature)
    Signature.objects.bulk_update(changed, list(values), batch_size=500)
    Signature.objects.bulk_create(new, batch_size=1000)


def libraries_set_published(*, libraries: Iterable[SignatureLibrary], is_public: bool) -> int:
    ids = [lib.pk for lib in libraries]
    return (
        SignatureLibrary.objects.filter(pk__in=ids)
        .exclude(is_public=is_public)
        .update(is_public=is_public)
    )
