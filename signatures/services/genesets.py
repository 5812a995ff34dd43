"""Writes gene-set libraries (GMT files)."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction

from analysis.engine.formats import InputError
from catalog.fields import fit
from catalog.services import ImportReport
from signatures.importers import GmtSet
from signatures.models import GeneSet, GeneSetLibrary
from signatures.services._common import require_slug


def _gene_set(library: GeneSetLibrary, s: GmtSet) -> GeneSet:
    is_url = s.description.startswith("http")
    return GeneSet(
        library=library,
        name=s.name,
        description="" if is_url else s.description,
        url=fit(GeneSet, "url", s.description) if is_url else "",
        genes=s.genes,
        size=len(s.genes),
    )


def geneset_library_import(
    *,
    slug: str,
    name: str,
    sets: list[GmtSet],
    description: str = "",
    source_url: str = "",
    provenance: str = "",
) -> ImportReport:
    """Create or replace a GMT library by slug; identical content is a no-op."""
    require_slug(slug)
    if not sets:
        raise InputError(f"{slug}: the GMT file has no gene sets")
    digest = hashlib.sha256(
        json.dumps([[s.name, s.description, s.genes] for s in sets]).encode()
    ).hexdigest()
    stamp = f"sha256:{digest}"
    library = GeneSetLibrary.objects.filter(slug=slug).first()
    if library and stamp in library.provenance and library.name == name:
        return ImportReport(library, "unchanged", f"{library.n_sets} gene sets")
    status = "updated" if library else "created"
    with transaction.atomic():
        library = library or GeneSetLibrary(slug=slug)
        library.name, library.description = name, description or library.description
        library.source_url = source_url or library.source_url
        library.provenance = "\n".join(filter(None, [provenance, stamp]))
        library.n_sets = len(sets)
        library.save()
        library.gene_sets.all().delete()
        GeneSet.objects.bulk_create([_gene_set(library, s) for s in sets], batch_size=1000)
    return ImportReport(library, status, f"{len(sets)} gene sets")
