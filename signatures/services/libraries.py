"""Writes to the signature catalogue: genes, perturbagens, gene sets, signature libraries.

Every import is idempotent (by Entrez id, pert_id, slug or accession) and raises
``InputError`` before writing anything when its input is inconsistent. Library values go to
the matrix store through ``signatures.io`` only; the store switches version last, inside the
database transaction, so a failed import leaves the old version serving.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower

from catalog.importers import NA_TOKENS, InputError
from catalog.models import Collection, Organism
from catalog.services import ImportReport, cell_lines_ensure
from signatures import io
from signatures.choices import GeneSpace, LibraryKind, PerturbagenKind, ScoreKind
from signatures.importers import GmtSet, LibrarySource
from signatures.io import LibraryWriter
from signatures.models import (
    Gene,
    GeneSet,
    GeneSetLibrary,
    Perturbagen,
    Signature,
    SignatureLibrary,
)

Progress = Callable[[int, int], None]
GENE_FIELDS = ["symbol", "name", "gene_type", "cytoband", "synonyms", "ensembl_ids"]
GENE_FIELDS += ["is_landmark", "is_inferred", "is_lincs", "organism_id"]


def _upsert(model, wanted: dict, existing: dict, fields: list[str], key: str) -> dict[str, int]:
    """Bulk-create missing rows and bulk-update changed ones; ``wanted`` maps key -> fields."""
    new, changed = [], []
    for k, values in wanted.items():
        obj = existing.get(k)
        if obj is None:
            new.append(model(**{key: k}, **values))
        elif any(getattr(obj, f) != values[f] for f in values):
            for f, v in values.items():
                setattr(obj, f, v)
            changed.append(obj)
    model.objects.bulk_create(new, batch_size=2000)
    model.objects.bulk_update(changed, fields, batch_size=1000)
    return {
        "created": len(new),
        "updated": len(changed),
        "unchanged": len(wanted) - len(new) - len(changed),
    }


# --- genes ---------------------------------------------------------------------------------


def _listed(value: str) -> list[str]:
    value = str(value or "").strip()
    return [] if value in NA_TOKENS else [v for v in value.split("|") if v]


def genes_import(
    *,
    gene_info: pd.DataFrame,
    annotation: pd.DataFrame | None = None,
    organism: Organism | None = None,
    include_all: bool = False,
) -> dict[str, int]:
    """Upsert the LINCS genes (gene_info) with names, synonyms, Ensembl ids from the
    org.Hs.eg.db table; with ``include_all`` every gene of that table is added too."""
    annotation = annotation if annotation is not None else pd.DataFrame()
    wanted = {}
    lincs = {int(r["entrez_id"]): r for r in gene_info.to_dict("records")}
    ids = list(lincs)
    if include_all and len(annotation):
        ids += [int(i) for i in annotation.index if int(i) not in lincs]
    for entrez in ids:
        info = lincs.get(entrez, {})
        ann = annotation.loc[entrez] if entrez in annotation.index else {}
        symbol = str(info.get("symbol") or ann.get("symbol", ""))[:60]
        wanted[entrez] = {
            "symbol": symbol,
            "name": str(ann.get("name") or info.get("title", "") or "")[:500],
            "gene_type": str(ann.get("gene_type", ""))[:60],
            "cytoband": str(ann.get("cytoband", ""))[:60],
            "synonyms": [a for a in _listed(ann.get("aliases", "")) if a != symbol],
            "ensembl_ids": _listed(ann.get("ensembl_ids", "")),
            "is_landmark": bool(info.get("is_landmark", False)),
            "is_inferred": bool(info.get("is_inferred", False)),
            "is_lincs": entrez in lincs,
            "organism_id": organism.pk if organism else None,
        }
    existing = Gene.objects.in_bulk(list(wanted), field_name="entrez_id")
    return _upsert(Gene, wanted, existing, GENE_FIELDS, "entrez_id")


# --- perturbagens --------------------------------------------------------------------------

PERT_TYPES = {
    "trt_cp": PerturbagenKind.COMPOUND,
    "ctl_vehicle": PerturbagenKind.COMPOUND,
    "ctrl_vehicle": PerturbagenKind.COMPOUND,
    "trt_poscon": PerturbagenKind.COMPOUND,
    "trt_sh": PerturbagenKind.KNOCKDOWN,
    "trt_sh.css": PerturbagenKind.KNOCKDOWN,
    "ctl_vector": PerturbagenKind.KNOCKDOWN,
    "trt_sh.cgs": PerturbagenKind.CONSENSUS_KNOCKDOWN,
    "trt_oe": PerturbagenKind.OVEREXPRESSION,
    "trt_oe.mut": PerturbagenKind.OVEREXPRESSION,
    "ctl_vector.cns": PerturbagenKind.OVEREXPRESSION,
    "trt_xpr": PerturbagenKind.CRISPR,
    "trt_xpr.cgs": PerturbagenKind.CRISPR,
    "trt_lig": PerturbagenKind.LIGAND,
}
GENETIC = {
    PerturbagenKind.KNOCKDOWN,
    PerturbagenKind.CONSENSUS_KNOCKDOWN,
    PerturbagenKind.OVEREXPRESSION,
    PerturbagenKind.CRISPR,
}
PERT_FIELDS = ["name", "kind", "target_gene_id", "pubchem_cid", "inchi_key", "smiles"]
PERT_FIELDS += ["moa", "targets", "chembl_id", "drugbank_id", "clinical_phase"]


def perturbagen_kind(pert_type: str) -> str:
    return PERT_TYPES.get(str(pert_type).strip(), PerturbagenKind.DISEASE)


def _annotation_index(tables: Iterable[pd.DataFrame]) -> list[tuple[dict, dict]]:
    indexes = []
    for table in tables:
        by_brd, by_name = {}, {}
        for row in table.to_dict("records"):
            for key in row["keys"]:
                by_brd.setdefault(key, row)
            by_name.setdefault(row["key_name"], row)
        indexes.append((by_brd, by_name))
    return indexes


def _annotate(values: dict, accession: str, name: str, indexes) -> None:
    for by_brd, by_name in indexes:
        hit = by_brd.get(accession[:13]) if accession.startswith("BRD-") else None
        hit = hit or by_name.get(name.lower())
        if not hit:
            continue
        for target, source in (("moa", "moa"), ("targets", "targets")):
            values[target] = values[target] or hit[source]
        for target, source in (
            ("inchi_key", "inchi_key"),
            ("chembl_id", "chembl_id"),
            ("drugbank_id", "drugbank_id"),
            ("clinical_phase", "phase"),
        ):
            if not values[target] and hit[source] not in NA_TOKENS:
                values[target] = str(hit[source])[:40]


def _clean(value, limit: int) -> str:
    value = str(value or "").strip()
    return "" if value in NA_TOKENS else value[:limit]


def perturbagens_import(
    *, pertinfo: pd.DataFrame, annotations: Iterable[pd.DataFrame] = ()
) -> dict[str, int]:
    """Upsert perturbagens from LINCS pert_info, with MoA/targets/ids from annotation tables
    (joined on the 13-character BRD prefix, then on the lower-cased name)."""
    indexes = _annotation_index(annotations)
    symbols = dict(Gene.objects.values_list("symbol", "id"))
    wanted = {}
    for row in pertinfo.to_dict("records"):
        accession = row["pert_id"].strip()[:60]
        name = _clean(row["pert_iname"], 200) or accession
        kind = perturbagen_kind(row["pert_type"])
        values = {
            "name": name,
            "kind": kind,
            "target_gene_id": symbols.get(name) if kind in GENETIC else None,
            "pubchem_cid": _clean(row.get("pubchem_cid"), 30),
            "inchi_key": _clean(row.get("inchi_key"), 60).removeprefix("InChIKey=")[:40],
            "smiles": _clean(row.get("canonical_smiles"), 10_000),
            "moa": [],
            "targets": [],
            "chembl_id": "",
            "drugbank_id": "",
            "clinical_phase": "",
        }
        if kind == PerturbagenKind.COMPOUND:
            _annotate(values, accession, name, indexes)
        values["chembl_id"], values["drugbank_id"] = (
            values["chembl_id"][:30],
            values["drugbank_id"][:30],
        )
        wanted[accession] = values
    existing = Perturbagen.objects.in_bulk(list(wanted), field_name="accession")
    return _upsert(Perturbagen, wanted, existing, PERT_FIELDS, "accession")


# --- gene sets -----------------------------------------------------------------------------


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
    if not re.match(r"^[-a-zA-Z0-9_]+$", slug or ""):
        raise InputError(f"invalid slug {slug!r}: use letters, digits, '-' or '_'")
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
        GeneSet.objects.bulk_create(
            [
                GeneSet(
                    library=library,
                    name=s.name,
                    description=s.description if not s.description.startswith("http") else "",
                    url=s.description[:500] if s.description.startswith("http") else "",
                    genes=s.genes,
                    size=len(s.genes),
                )
                for s in sets
            ],
            batch_size=1000,
        )
    return ImportReport(library, status, f"{len(sets)} gene sets")


# --- signature metadata --------------------------------------------------------------------

DOSE_RE = re.compile(r"^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*([^\d\s].*)?$")
UNITS = {"um": "µM", "µm": "µM", "μm": "µM", "nm": "nM", "mm": "mM", "h": "h", "hr": "h"}
UNITS |= {"hours": "h", "hour": "h", "d": "d", "days": "d", "m": "min", "min": "min"}


def _first(meta: dict, *names: str) -> str:
    for n in names:
        value = str(meta.get(n, "")).strip()
        if value and value not in NA_TOKENS:
            return value
    return ""


def parse_amount(text: str, unit: str = "") -> tuple[float | None, str]:
    """'10 µM' / '10uM' / ('10', 'um') / '6 h' -> (10.0, 'µM') ... (None, '') if absent."""
    match = DOSE_RE.match(text or "")
    if not match:
        return None, ""
    raw_unit = (match.group(2) or unit or "").strip().replace("<b5>", "µ")
    return float(match.group(1)), UNITS.get(raw_unit.lower(), raw_unit)[:20]


def signature_fields(signature_id: str, meta: dict) -> dict:
    """The Signature columns a metadata row names (LINCS, iLINCS and plain spellings)."""
    parts = signature_id.split("__")
    guess = dict(zip(["pert_iname", "cell_id", "pert_type"], parts, strict=False))
    guess = guess if len(parts) == 3 else {}
    dose, dose_unit = parse_amount(
        _first(meta, "pert_idose", "concentration", "pert_dose", "dose"),
        _first(meta, "pert_dose_unit", "dose_unit"),
    )
    time, time_unit = parse_amount(
        _first(meta, "pert_itime", "pert_time", "time"), _first(meta, "pert_time_unit", "time_unit")
    )
    return {
        "pert_id": _first(meta, "pert_id"),
        "pert_iname": _first(meta, "pert_iname", "compound", "perturbagen", "treatment")
        or guess.get("pert_iname", ""),
        "pert_type": _first(meta, "pert_type") or guess.get("pert_type", ""),
        "cell": _first(meta, "cell_id", "cellLine", "cell_line", "cell")
        or guess.get("cell_id", ""),
        "dose": dose,
        "dose_unit": dose_unit,
        "time": time,
        "time_unit": time_unit,
        "description": _first(meta, "description"),
        "treatment_description": _first(meta, "treatment_description")[:500],
        "baseline_description": _first(meta, "baseline_description")[:500],
    }


def _merge_metadata(source: LibrarySource, table: pd.DataFrame | None) -> dict[str, dict]:
    rows = {sid: {} for sid in source.signature_ids}
    for sid, row in source.metadata.astype(str).iterrows():
        rows[sid] = {k: v.strip() for k, v in row.items() if v.strip() not in NA_TOKENS}
    if table is not None:
        unknown = table.index.difference(pd.Index(source.signature_ids))
        if len(unknown):
            raise InputError(
                f"signature metadata: {len(unknown)} id(s) not in the library: "
                + ", ".join(map(str, unknown[:5]))
            )
        for sid, row in table.astype(str).iterrows():
            rows[sid].update({k: v.strip() for k, v in row.items() if v.strip() not in NA_TOKENS})
    return rows


def _perturbagens_for(fields: dict[str, dict]) -> dict[str, Perturbagen]:
    """Perturbagen per signature: by pert_id (BRD prefix), else by name; created if missing."""
    ids = {f["pert_id"] for f in fields.values() if f["pert_id"]}
    by_id = {p.accession: p for p in Perturbagen.objects.filter(accession__in=ids)}
    brd = {i[:13] for i in ids if i.startswith("BRD-") and i not in by_id}
    for p in Perturbagen.objects.filter(accession__in=brd):
        by_id.setdefault(p.accession, p)
    names = {f["pert_iname"].lower() for f in fields.values() if f["pert_iname"]}
    by_name = {}
    for p in Perturbagen.objects.annotate(lname=Lower("name")).filter(lname__in=names):
        if p.lname not in by_name or p.kind == PerturbagenKind.COMPOUND:
            by_name[p.lname] = p
    result, created = {}, {}
    for sid, f in fields.items():
        pid, name = f["pert_id"], f["pert_iname"]
        hit = by_id.get(pid) or by_id.get(pid[:13]) if pid else None
        hit = hit or (by_name.get(name.lower()) if name and not pid else None)
        if hit is None and (pid or name):
            key = (pid or name)[:60]
            hit = created.get(key) or Perturbagen.objects.filter(accession=key).first()
            if hit is None:
                hit = Perturbagen.objects.create(
                    accession=key, name=(name or pid)[:200], kind=perturbagen_kind(f["pert_type"])
                )
            created[key] = hit
        if hit is not None:
            result[sid] = hit
    return result


# --- signature libraries -------------------------------------------------------------------


def _library_digest(source: LibrarySource, meta: dict, options: dict) -> str:
    digest = hashlib.sha256(source.digest.encode())
    digest.update(json.dumps([meta, options], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _validate_library_options(*, slug: str, name: str, kind: str, gene_space, score_kind):
    if not re.match(r"^[-a-zA-Z0-9_]+$", slug or ""):
        raise InputError(f"invalid slug {slug!r}: use letters, digits, '-' or '_'")
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
    too_long = [s for s in source.signature_ids if len(s) > 120]
    if too_long:
        raise InputError(f"{slug}: signature id longer than 120 characters: {too_long[0]!r}")
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
    perturbagens = _perturbagens_for(fields)
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
