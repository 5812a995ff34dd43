"""The demo catalogue, built from the real public data in ``fixtures/`` (see its MANIFEST.md).

What to load (collections, gene-set files, datasets, libraries and their texts) is data, in
``fixtures/demo/catalogue.json``; this module holds only the recipes that read and derive
the matrices. ``demo_load`` runs named steps in order; each is idempotent, so a second run
reports "unchanged" everywhere and writes nothing.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from analysis.engine.formats import Matrix, read_gct, read_matrix_table, to_numeric
from analysis.engine.formats import read_table as read_any_table
from analysis.engine.robust_z import robust_zscore
from catalog import services as catalog_services
from catalog.choices import DataType, Scale
from catalog.importers import read_sample_table
from signatures import importers, services
from signatures.choices import GeneSpace, LibraryKind, ScoreKind
from signatures.services.lincs import brd_prefix

Log = Callable[[str], None]
CURATOR = ("curator", "curator-demo")
CURATOR_APPS = ("catalog", "signatures", "collections_app")

CATALOGUE = "demo/catalogue.json"


def catalogue(root: Path) -> dict:
    """The demo's metadata (``fixtures/demo/catalogue.json``); paths in it are under root."""
    return json.loads((Path(root) / CATALOGUE).read_text(encoding="utf-8"))


def _log_report(log: Log, what: str, report) -> None:
    log(f"{report.status} {what} {report.obj}" + (f" ({report.detail})" if report.detail else ""))


def step_collections(root: Path, log: Log) -> None:
    collections = catalogue(root)["collections"]
    for order, fields in enumerate(collections, start=1):
        catalog_services.collection_ensure(**fields, order=order * 10)
    log(f"collections: {len(collections)} ensured")


def step_curators(root: Path, log: Log) -> None:
    """The demo curator: the README's password in development (DEBUG), else a random one
    printed once; a curator who already has a password of their own keeps it."""
    group, _ = Group.objects.get_or_create(name="Curators")
    perms = Permission.objects.filter(content_type__app_label__in=CURATOR_APPS)
    missing = set(perms) - set(group.permissions.all())
    if missing:
        group.permissions.add(*missing)
    user_model = get_user_model()
    username, known = CURATOR
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"is_staff": True, "email": "curator@example.org"}
    )
    password = _curator_password(user, created=created, known=known)
    if password or not user.is_staff:
        user.is_staff = True
        if password:
            user.set_password(password)
        user.save()
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
    state = "created" if created else "exists"
    if password and not settings.DEBUG:
        log(
            f"curator: login {username!r} ({state}), password {password!r}: shown only now, "
            "change it with `manage.py changepassword curator`"
        )
    else:
        log(f"curator: login {username!r} ({state})")


def _curator_password(user, *, created: bool, known: str) -> str | None:
    """The password to set, or None to keep the current one. With DEBUG off the known demo
    password is never set, and one left from a development load is replaced."""
    if settings.DEBUG:
        return known if created or not user.check_password(known) else None
    if created or not user.has_usable_password() or user.check_password(known):
        return secrets.token_urlsafe(15)
    return None


def step_genes(root: Path, log: Log) -> None:
    counts = services.genes_import(
        gene_info=importers.read_gene_info(root / "lincs/GSE92742_Broad_LINCS_gene_info.txt.gz"),
        annotation=importers.read_gene_table(root / "genes/human_gene_ids_org.Hs.eg.db.tsv.gz"),
        organism=catalog_services.organism_ensure(name_or_taxon="9606"),
    )
    log("genes: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


def step_cell_lines(root: Path, log: Log) -> None:
    counts = catalog_services.cell_lines_import(
        table=read_any_table(root / "lincs/lincscloud_cellinfo.tsv.gz"),
        organism=catalog_services.organism_ensure(name_or_taxon="9606"),
    )
    log("cell lines: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


def step_perturbagens(root: Path, log: Log) -> None:
    drug = root / "drug_annotations"
    counts = services.perturbagens_import(
        pertinfo=importers.read_pertinfo(root / "lincs/lincscloud_pertinfo.tsv.gz"),
        annotations=[
            importers.read_drug_annotations(
                drug / "lincs_pert_info2_moa_targets_signatureSearch.tsv.gz"
            ),
            importers.read_drug_annotations(drug / "repurposing_hub_export_drugs.txt.gz"),
        ],
    )
    log("perturbagens: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


def step_genesets(root: Path, log: Log) -> None:
    for gmt in catalogue(root)["genesets"]:
        report = services.geneset_library_import(
            slug=gmt["slug"],
            name=gmt["name"],
            sets=importers.read_gmt(root / gmt["file"]),
            provenance=f"fixtures/{gmt['file']}",
        )
        _log_report(log, "gene-set library", report)


def _samples_matrix(path: Path, *, labels: str, name: str) -> Matrix:
    """A samples × features table with a label column (TCGA BRCA files) as a matrix."""
    raw = read_any_table(path)
    samples = pd.Index(raw.iloc[:, 0].str.strip(), name="sample")
    values = to_numeric(
        raw.drop(columns=[raw.columns[0], labels]).set_index(samples), name=path.name
    )
    labelled = pd.DataFrame({name: raw[labels].to_numpy()}, index=samples)
    values = values.T
    values.index.name = "feature"
    return Matrix(values, pd.DataFrame(index=values.index), labelled)


def _by_entrez(gct: Matrix) -> Matrix:
    """An L1000 GCT with its landmark probes relabelled by Entrez id (``pr_gene_id``), so that
    signatures built from it carry gene ids (one probe per landmark gene)."""
    values = gct.values.copy()
    values.index = pd.Index(gct.row_meta["pr_gene_id"].astype(str).to_numpy(), name="feature")
    row_meta = gct.row_meta.set_axis(values.index)
    return Matrix(values, row_meta, gct.col_meta)


def _collapsed_to_genes(matrix: Matrix, chip: Path) -> Matrix:
    """A microarray on a log scale with one row per gene, as GSEA's "collapse dataset" does:
    signal floored at 20 and log2-transformed, probes mapped to symbols with the platform's
    CHIP file, and for each symbol the probe with the highest mean kept (Max_probe)."""
    annotation = read_any_table(chip)
    symbol_of = dict(zip(annotation["Probe Set ID"], annotation["Gene Symbol"], strict=True))
    logged = np.log2(matrix.values.clip(lower=20))
    symbols = pd.Series([symbol_of.get(p, "") for p in logged.index], index=logged.index)
    mapped = symbols.ne("") & ~symbols.str.contains("///", regex=False)
    mean = logged[mapped].mean(axis=1)
    best = mean.groupby(symbols[mapped]).idxmax()
    values = logged.loc[best.to_numpy()]
    values.index = pd.Index(best.index, name="feature")
    return Matrix(values, pd.DataFrame(index=values.index), matrix.col_meta)


def _dataset_matrix(root: Path, spec: dict, read) -> tuple[Matrix, pd.DataFrame | None]:
    """The matrix and sample table a dataset's ``matrix`` entry of the catalogue describes."""
    path = root / spec["file"]
    if spec["read"] == "samples_by_features":
        return _samples_matrix(path, labels=spec["labels_column"], name=spec["as"]), None
    if spec["read"] == "table":
        matrix, samples = (
            read(read_matrix_table, path),
            read(read_sample_table, root / spec["samples"]),
        )
        if "samples_containing" in spec:
            kept = [s for s in matrix.values.columns if spec["samples_containing"] in s]
            matrix = Matrix(matrix.values[kept], matrix.row_meta, matrix.col_meta.loc[kept])
            samples = samples.loc[kept]
        return matrix, samples
    matrix = read(read_gct, path)
    if spec.get("rows_by_entrez"):
        return _by_entrez(matrix), None
    if "labels" not in spec:
        return matrix, None
    cls = (root / spec["labels"]["file"]).read_text().split("\n")[2].split()
    labels = pd.DataFrame({spec["labels"]["column"]: cls}, index=matrix.values.columns)
    if "collapse_with_chip" in spec:
        labelled = Matrix(matrix.values, matrix.row_meta, labels)
        matrix = _collapsed_to_genes(labelled, root / spec["collapse_with_chip"])
    return matrix, labels


def step_datasets(root: Path, log: Log) -> None:
    read = functools.cache(lambda reader, path: reader(path))  # files shared by datasets
    for entry in catalogue(root)["datasets"]:
        fields = dict(entry)
        matrix, samples = _dataset_matrix(root, fields.pop("matrix"), read)
        collection = catalog_services.collection_ensure(slug=fields.pop("collection"))
        organism = catalog_services.organism_ensure(name_or_taxon=fields.pop("organism"))
        platform = fields.pop("platform", None)
        fields["data_type"] = DataType(fields["data_type"])
        fields["scale"] = Scale(fields["scale"])
        report = catalog_services.dataset_import(
            collection=collection,
            organism=organism,
            platform=platform and catalog_services.platform_ensure(**platform),
            matrix=matrix,
            samples=samples,
            **fields,
        )
        _log_report(log, "dataset", report)


def p100_source(path: Path) -> importers.LibrarySource:
    """P100 signatures: per perturbagen, mean of its replicates minus the mean of DMSO,
    per phosphopeptide, then averaged over the peptides of a gene (the store is per gene)."""
    gct = read_gct(path)
    meta = gct.col_meta
    genes = pd.to_numeric(gct.row_meta["pr_gene_id"], errors="coerce")
    by_gene = gct.values[genes.notna().to_numpy()].groupby(genes.dropna().astype(int)).mean()
    dmso = by_gene.loc[:, (meta["pert_iname"] == "DMSO").to_numpy()].mean(axis=1)
    treated = meta[meta["pert_iname"] != "DMSO"]
    columns, rows = {}, {}
    for pert, group in treated.groupby("pert_iname", sort=False):
        first = group.iloc[0]
        sig = f"P100_MCF7_3H:{pert.replace(' ', '_')}"
        columns[sig] = by_gene[group.index].mean(axis=1) - dmso
        rows[sig] = {
            "pert_id": first["pert_id"],
            "pert_iname": pert,
            "pert_type": first["pert_type"],
            "cell_id": first["cell_id"],
            "pert_dose": first["pert_dose"],
            "pert_dose_unit": first["pert_dose_unit"],
            "pert_time": first["pert_time"],
            "pert_time_unit": first["pert_time_unit"],
            "treatment_description": f"{pert}, {len(group)} replicates",
            "baseline_description": "DMSO, 3 replicates",
        }
    logfc = pd.DataFrame(columns)
    logfc.index = logfc.index.astype(str)
    return importers.library_from_frames(
        logfc=logfc,
        metadata=pd.DataFrame.from_dict(rows, orient="index"),
        digest=importers.file_digest(path, extra="p100-diff-v1"),
        name=path.name,
    )


def _library_source(root: Path, spec: dict) -> importers.LibrarySource:
    """The LibrarySource a library's ``source`` entry of the catalogue describes."""
    path = root / spec["file"]
    probes = None
    if spec.get("probe_map"):
        probes = importers.read_probe_map(root / "lincs/landmark_probe_meta_n978.txt")
    if spec["read"] == "gct":
        return importers.library_from_gct(path, probe_map=probes, prefix=spec.get("prefix", ""))
    if spec["read"] == "matrices":
        return importers.library_from_matrices(path)
    if spec["read"] == "p100":
        return p100_source(path)
    if spec["read"] == "plate":
        return plate_source(path, probes)
    raise ValueError(f"{CATALOGUE}: unknown library source {spec['read']!r}")


def _library(root: Path, log: Log, entry: dict) -> None:
    fields = dict(entry)
    source = _library_source(root, fields.pop("source"))
    collection = catalog_services.collection_ensure(slug=fields.pop("collection"))
    fields["kind"] = LibraryKind(fields["kind"])
    for name, choices in (("gene_space", GeneSpace), ("score_kind", ScoreKind)):
        if name in fields:
            fields[name] = choices(fields[name])
    report = services.library_import(
        source=source,
        collection=collection,
        organism=catalog_services.organism_ensure(name_or_taxon="9606"),
        **fields,
    )
    _log_report(log, "library", report)


def step_libraries(root: Path, log: Log) -> None:
    for entry in catalogue(root)["libraries"]:
        _library(root, log, entry)


def plate_source(path: Path, probe_map: dict[str, int]) -> importers.LibrarySource:
    """One signature per compound of the A375 level-3 plate: the robust z-scores of its wells
    against the plate's DMSO wells, averaged over its six doses (0.04-10 uM)."""
    gct = read_gct(path)
    meta = gct.col_meta
    values = gct.values.to_numpy(dtype=float)
    dmso = (meta["pert_iname"] == "DMSO").to_numpy()
    z = pd.DataFrame(
        robust_zscore(values, reference=dmso),  # CMap's level 4 against the DMSO wells
        index=[probe_map[p] for p in gct.values.index],
        columns=gct.values.columns,
    )
    treated = meta[~dmso]
    columns, rows = {}, {}
    for pert, group in treated.groupby("pert_iname", sort=True):
        first = group.iloc[0]
        sig = f"LJP005_A375_24H:{pert}"
        columns[sig] = z[group.index].mean(axis=1)
        rows[sig] = {
            "pert_id": first["pert_id"],
            "pert_iname": pert,
            "pert_type": first["pert_type"],
            "cell_id": first["cell_id"],
            "pert_itime": first["pert_itime"],
            "treatment_description": f"{pert}, {len(group)} wells (doses "
            + ", ".join(map(str, group["pert_idose"]))
            + ")",
            "baseline_description": f"DMSO, {int(dmso.sum())} wells of the same plate",
        }
    logfc = pd.DataFrame(columns)
    logfc.index = logfc.index.astype(str)
    return importers.library_from_frames(
        logfc=logfc,
        metadata=pd.DataFrame.from_dict(rows, orient="index"),
        digest=importers.file_digest(path, extra="ljp005-robust-z-dose-mean-v1"),
        name=path.name,
    )


def step_usecase_libraries(root: Path, log: Log) -> None:
    """The A375 plate as a compound library (use case 1 of the iLINCS paper, docs/tutorials),
    with the plate's compounds annotated (targets, MoA) even when ``perturbagens`` did not run."""
    for entry in catalogue(root)["usecase_libraries"]:
        path = root / entry["source"]["file"]
        plate_ids = set(read_gct(path).col_meta["pert_id"].map(brd_prefix))
        pertinfo = importers.read_pertinfo(root / "lincs/lincscloud_pertinfo.tsv.gz")
        pertinfo = pertinfo[pertinfo["pert_id"].map(brd_prefix).isin(plate_ids)]
        drug = root / "drug_annotations"
        services.perturbagens_import(
            pertinfo=pertinfo,
            annotations=[
                importers.read_drug_annotations(
                    drug / "lincs_pert_info2_moa_targets_signatureSearch.tsv.gz"
                ),
                importers.read_drug_annotations(drug / "repurposing_hub_export_drugs.txt.gz"),
            ],
        )
        _library(root, log, entry)


STEPS: dict[str, Callable[[Path, Log], None]] = {
    "collections": step_collections,
    "curators": step_curators,
    "genes": step_genes,
    "cell-lines": step_cell_lines,
    "perturbagens": step_perturbagens,
    "genesets": step_genesets,
    "datasets": step_datasets,
    "libraries": step_libraries,
    "usecase-libraries": step_usecase_libraries,
}


def demo_load(*, root: Path, log: Log, only: list[str] | None = None) -> None:
    """Build the demo catalogue from ``root`` (the fixtures folder); each step atomic."""
    unknown = set(only or []) - set(STEPS)
    if unknown:
        raise ValueError(f"unknown demo step(s): {', '.join(sorted(unknown))}")
    for name, step in STEPS.items():
        if only and name not in only:
            continue
        with transaction.atomic():
            step(Path(root), log)
