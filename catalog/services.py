"""Writes to the dataset catalogue: collections, organisms, platforms, cell lines, datasets."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from django.db import transaction

from analysis.engine.formats import InputError, Matrix, is_missing
from catalog import storage
from catalog.choices import DataType, Scale
from catalog.fields import fit, max_length
from catalog.importers import align_samples
from catalog.models import CellLine, Collection, Dataset, Organism, Platform, Sample

KNOWN_ORGANISMS = {
    9606: ("Homo sapiens", "human"),
    10090: ("Mus musculus", "mouse"),
    10116: ("Rattus norvegicus", "rat"),
}
ACCESSION_MAX = max_length(Dataset, "accession")
ACCESSION_RE = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_.\-]{{0,{ACCESSION_MAX - 1}}}$")


@dataclass(frozen=True)
class ImportReport:
    """What an import did: ``status`` is created, updated, repaired or unchanged."""

    obj: object
    status: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.status} {self.obj}{': ' + self.detail if self.detail else ''}"


def organism_ensure(*, name_or_taxon: str) -> Organism:
    """The organism named by scientific name, common name or NCBI taxon id (created if known)."""
    key = str(name_or_taxon).strip().lower()
    for taxon, (name, common) in KNOWN_ORGANISMS.items():
        if key in {str(taxon), name.lower(), common}:
            organism, _ = Organism.objects.get_or_create(
                taxon_id=taxon, defaults={"name": name, "common_name": common}
            )
            return organism
    found = Organism.objects.filter(name__iexact=key).first()
    if found is None:
        known = ", ".join(name for name, _ in KNOWN_ORGANISMS.values())
        raise InputError(f"unknown organism {name_or_taxon!r} (known: {known})")
    return found


def platform_ensure(*, accession: str, title: str = "", technology: str = "") -> Platform:
    platform, created = Platform.objects.get_or_create(
        accession=accession.strip(), defaults={"title": title, "technology": technology}
    )
    if not created and (title and platform.title != title):
        platform.title, platform.technology = title, technology or platform.technology
        platform.save(update_fields=["title", "technology"])
    return platform


def collection_ensure(*, slug: str, name: str = "", description: str = "", order: int = 100):
    """Get a collection by slug; create it when a name is given; update a changed text."""
    collection = Collection.objects.filter(slug=slug).first()
    if collection is None:
        if not name:
            known = ", ".join(Collection.objects.values_list("slug", flat=True)) or "none yet"
            raise InputError(f"unknown collection {slug!r} (known: {known})")
        return Collection.objects.create(slug=slug, name=name, description=description, order=order)
    if name:
        wanted = {
            "name": name,
            "description": description or collection.description,
            "order": order,
        }
        changed = {k: v for k, v in wanted.items() if getattr(collection, k) != v}
        if changed:
            Collection.objects.filter(pk=collection.pk).update(**changed)
            collection.refresh_from_db()
    return collection


def cell_lines_import(*, table: pd.DataFrame, organism: Organism | None) -> dict[str, int]:
    """Upsert cell lines from a LINCS cellinfo table (cell_id, cell_histology, ...)."""
    if "cell_id" not in table.columns:
        raise InputError("cell-line table: missing column cell_id")

    def text(row, *names):
        values = [str(row.get(n, "")).strip() for n in names]
        return "; ".join(v for v in values if v and not is_missing(v))

    wanted = {}
    for row in table.to_dict("records"):
        name = str(row["cell_id"]).strip()
        if name and name not in wanted:
            wanted[name] = {
                "tissue": fit(CellLine, "tissue", text(row, "cell_lineage")),
                "disease": fit(CellLine, "disease", text(row, "cell_histology")),
                "description": text(row, "cell_type", "gender", "cell_source", "metastatic_site"),
            }
    existing = {c.name: c for c in CellLine.objects.all()}
    new = [CellLine(name=n, organism=organism, **f) for n, f in wanted.items() if n not in existing]
    changed = []
    for name, fields in wanted.items():
        line = existing.get(name)
        if line and any(getattr(line, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(line, k, v)
            changed.append(line)
    CellLine.objects.bulk_create(new, batch_size=1000)
    CellLine.objects.bulk_update(changed, ["tissue", "disease", "description"], batch_size=500)
    return {"created": len(new), "updated": len(changed)}


def cell_lines_ensure(*, names: Iterable[str]) -> dict[str, CellLine]:
    """The named cell lines, creating bare rows for names not yet known."""
    names = {n for n in names if n and not is_missing(n)}
    existing = {c.name: c for c in CellLine.objects.filter(name__in=names)}
    CellLine.objects.bulk_create([CellLine(name=n) for n in sorted(names - set(existing))])
    return {c.name: c for c in CellLine.objects.filter(name__in=names)}


def _sample_metadata(meta: pd.DataFrame) -> list[dict[str, str]]:
    records = []
    for row in meta.astype(str).to_dict("records"):
        records.append({k: v.strip() for k, v in row.items() if not is_missing(v)})
    return records


def _checksum(matrix: pd.DataFrame, metadata: list[dict], fields: dict) -> str:
    digest = hashlib.sha256(storage.matrix_hash(matrix).encode())
    digest.update(json.dumps([metadata, fields], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _validate_dataset_fields(*, accession: str, title: str, data_type: str, scale: str) -> None:
    if not ACCESSION_RE.match(accession or ""):
        raise InputError(
            f"invalid accession {accession!r}: use letters, digits, '.', '_' or '-' "
            f"(max {ACCESSION_MAX})"
        )
    if not title.strip():
        raise InputError("a dataset needs a title")
    if data_type not in DataType.values:
        raise InputError(f"unknown data type {data_type!r} (one of {', '.join(DataType.values)})")
    if scale not in Scale.values:
        raise InputError(f"unknown scale {scale!r} (one of {', '.join(Scale.values)})")


def dataset_import(
    *,
    accession: str,
    title: str,
    collection: Collection,
    matrix: Matrix,
    samples: pd.DataFrame | None = None,
    organism: Organism | None = None,
    platform: Platform | None = None,
    data_type: str = DataType.OTHER,
    scale: str = Scale.LOG,
    feature_kind: str = "gene",
    description: str = "",
    source_url: str = "",
    provenance: str = "",
    owner=None,
    is_public: bool = True,
) -> ImportReport:
    """Create or replace a dataset (matrix file + Sample rows) in one transaction.

    Idempotent by accession: identical content is a no-op. Raises ``InputError`` before
    touching the database or the data dir when the input is inconsistent.
    """
    _validate_dataset_fields(accession=accession, title=title, data_type=data_type, scale=scale)
    values = matrix.values
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise InputError(f"{accession}: the matrix has no rows or no samples")
    longest = max_length(Sample, "name")
    if max(len(str(s)) for s in values.columns) > longest:
        raise InputError(f"{accession}: sample ids must be at most {longest} characters")
    metadata = _sample_metadata(align_samples(matrix, samples))
    fields = {
        "title": title,
        "description": description,
        "collection": collection.slug,
        "organism": organism.taxon_id if organism else None,
        "platform": platform.accession if platform else None,
        "data_type": data_type,
        "scale": scale,
        "feature_kind": feature_kind,
        "source_url": source_url,
        "provenance": provenance,
    }
    checksum = _checksum(values, metadata, fields)
    existing = Dataset.objects.filter(accession=accession).first()
    if existing and existing.checksum == checksum and storage.matrix_stored(existing.matrix_file):
        return ImportReport(existing, "unchanged")
    relative, made = storage.matrix_write(
        accession=accession, values=values, digest=storage.matrix_hash(values)
    )
    try:
        with transaction.atomic():
            dataset = _dataset_save(
                existing=existing,
                accession=accession,
                collection=collection,
                organism=organism,
                platform=platform,
                owner=owner,
                is_public=is_public,
                fields=fields,
                shape=values.shape,
                relative=relative,
                checksum=checksum,
            )
            Sample.objects.filter(dataset=dataset).delete()
            Sample.objects.bulk_create(
                [
                    Sample(dataset=dataset, name=str(name), position=i, metadata=meta)
                    for i, (name, meta) in enumerate(zip(values.columns, metadata, strict=True))
                ],
                batch_size=1000,
            )
    except BaseException:
        if made:
            storage.matrix_remove(relative)
        raise
    if existing and existing.matrix_file and existing.matrix_file != relative:
        storage.matrix_remove(existing.matrix_file)
    status = "updated" if existing else "created"
    shape = f"{values.shape[0]} features × {values.shape[1]} samples"
    return ImportReport(dataset, status, shape)


def _dataset_save(*, existing, fields, shape, relative, checksum, **related) -> Dataset:
    dataset = existing or Dataset(accession=related.pop("accession"))
    related.pop("accession", None)
    for key in ("title", "description", "data_type", "scale", "feature_kind", "source_url"):
        setattr(dataset, key, fields[key])
    dataset.provenance = fields["provenance"]
    dataset.collection = related["collection"]
    dataset.organism = related["organism"]
    dataset.platform = related["platform"]
    if related["owner"] is not None:
        dataset.owner = related["owner"]
    if existing is None:
        dataset.is_public = related["is_public"]
    dataset.n_features, dataset.n_samples = shape
    dataset.matrix_file = relative
    dataset.checksum = checksum
    dataset.save()
    return dataset


def datasets_set_published(*, datasets: Iterable[Dataset], is_public: bool) -> int:
    """Publish or unpublish datasets; returns how many changed."""
    ids = [d.pk for d in datasets]
    return (
        Dataset.objects.filter(pk__in=ids).exclude(is_public=is_public).update(is_public=is_public)
    )
