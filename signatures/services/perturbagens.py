"""Writes perturbagens: LINCS pert_info with annotations, and those signatures name."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from django.db.models.functions import Lower

from analysis.engine.formats import is_missing
from catalog.fields import fit
from signatures.choices import PerturbagenKind
from signatures.models import Gene, Perturbagen
from signatures.services._common import upsert
from signatures.services.lincs import GENETIC, brd_prefix, perturbagen_kind

PERT_FIELDS = ["name", "kind", "target_gene_id", "pubchem_cid", "inchi_key", "smiles"]
PERT_FIELDS += ["moa", "targets", "chembl_id", "drugbank_id", "clinical_phase"]
# A SMILES is a TextField; the cap only keeps a malformed cell from filling the table.
SMILES_MAX = 10_000
# The annotation columns copied into each perturbagen: (field, column of the table).
ANNOTATION_IDS = (
    ("inchi_key", "inchi_key"),
    ("chembl_id", "chembl_id"),
    ("drugbank_id", "drugbank_id"),
    ("clinical_phase", "phase"),
)


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
        hit = by_brd.get(brd_prefix(accession)) if accession.startswith("BRD-") else None
        hit = hit or by_name.get(name.lower())
        if not hit:
            continue
        for target, source in (("moa", "moa"), ("targets", "targets")):
            values[target] = values[target] or hit[source]
        for target, source in ANNOTATION_IDS:
            if not values[target] and not is_missing(hit[source]):
                values[target] = fit(Perturbagen, target, str(hit[source]))


def _clean(value) -> str:
    value = str(value or "").strip()
    return "" if is_missing(value) else value


def perturbagens_import(
    *, pertinfo: pd.DataFrame, annotations: Iterable[pd.DataFrame] = ()
) -> dict[str, int]:
    """Upsert perturbagens from LINCS pert_info, with MoA/targets/ids from annotation tables
    (joined on the 13-character BRD prefix, then on the lower-cased name)."""
    indexes = _annotation_index(annotations)
    symbols = dict(Gene.objects.values_list("symbol", "id"))
    wanted = {}
    for row in pertinfo.to_dict("records"):
        accession = fit(Perturbagen, "accession", row["pert_id"].strip())
        name = fit(Perturbagen, "name", _clean(row["pert_iname"])) or accession
        kind = perturbagen_kind(row["pert_type"])
        inchi_key = _clean(row.get("inchi_key")).removeprefix("InChIKey=")
        values = {
            "name": name,
            "kind": kind,
            "target_gene_id": symbols.get(name) if kind in GENETIC else None,
            "pubchem_cid": fit(Perturbagen, "pubchem_cid", _clean(row.get("pubchem_cid"))),
            "inchi_key": fit(Perturbagen, "inchi_key", inchi_key),
            "smiles": _clean(row.get("canonical_smiles"))[:SMILES_MAX],
            "moa": [],
            "targets": [],
            "chembl_id": "",
            "drugbank_id": "",
            "clinical_phase": "",
        }
        if kind == PerturbagenKind.COMPOUND:
            _annotate(values, accession, name, indexes)
        wanted[accession] = values
    existing = Perturbagen.objects.in_bulk(list(wanted), field_name="accession")
    return upsert(Perturbagen, wanted, existing, PERT_FIELDS, "accession")


def _perturbagens_known(fields: dict[str, dict]) -> tuple[dict, dict]:
    """The stored perturbagens the signatures name: by pert_id (or its BRD prefix), by name."""
    ids = {f["pert_id"] for f in fields.values() if f["pert_id"]}
    by_id = {p.accession: p for p in Perturbagen.objects.filter(accession__in=ids)}
    brd = {brd_prefix(i) for i in ids if i.startswith("BRD-") and i not in by_id}
    for p in Perturbagen.objects.filter(accession__in=brd):
        by_id.setdefault(p.accession, p)
    names = {f["pert_iname"].lower() for f in fields.values() if f["pert_iname"]}
    by_name = {}
    for p in Perturbagen.objects.annotate(lname=Lower("name")).filter(lname__in=names):
        if p.lname not in by_name or p.kind == PerturbagenKind.COMPOUND:
            by_name[p.lname] = p
    return by_id, by_name


def perturbagens_for_signatures(*, fields: dict[str, dict]) -> dict[str, Perturbagen]:
    """Perturbagen per signature: by pert_id (BRD prefix), else by name; created if missing.

    ``fields`` maps signature id -> ``signature_fields(...)``. The missing perturbagens are
    read and created in bulk, so the cost does not grow with their number.
    """
    by_id, by_name = _perturbagens_known(fields)
    result, pending, missing = {}, {}, {}
    for sid, f in fields.items():
        pid, name = f["pert_id"], f["pert_iname"]
        hit = by_id.get(pid) or by_id.get(brd_prefix(pid)) if pid else None
        hit = hit or (by_name.get(name.lower()) if name and not pid else None)
        if hit is not None:
            result[sid] = hit
        elif pid or name:
            key = fit(Perturbagen, "accession", pid or name)
            missing.setdefault(key, (name or pid, f["pert_type"]))
            pending[sid] = key
    found = Perturbagen.objects.in_bulk(list(missing), field_name="accession")
    new = [
        Perturbagen(accession=key, name=fit(Perturbagen, "name", name), kind=perturbagen_kind(t))
        for key, (name, t) in missing.items()
        if key not in found
    ]
    Perturbagen.objects.bulk_create(new, batch_size=1000)
    found |= {p.accession: p for p in new}
    return result | {sid: found[key] for sid, key in pending.items()}
