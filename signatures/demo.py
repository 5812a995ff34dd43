"""The demo catalogue, built from the real public data in ``fixtures/`` (see its MANIFEST.md).

``demo_load`` runs named steps in order; each is idempotent, so a second run reports
"unchanged" everywhere and writes nothing.
"""

from __future__ import annotations

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

Log = Callable[[str], None]
CURATOR = ("curator", "curator-demo")
CURATOR_APPS = ("catalog", "signatures", "collections_app")

COLLECTIONS = [
    (
        "lincs",
        "LINCS",
        "NIH LINCS L1000 and P100 data: the level-3 A375 plate of the LINCS Joint Project, "
        "level-5 MODZ consensus signatures, shRNA knock-down profiles and the signatureSearch "
        "SKB compound set. Signatures are z-scores over the 978 landmark genes unless noted.",
    ),
    (
        "tcga",
        "TCGA",
        "The Cancer Genome Atlas breast invasive carcinoma (BRCA): RPPA protein abundance and "
        "mRNA expression of 150 tumours with PAM50 subtypes (Luminal A, Basal-like, "
        "HER2-enriched), as prepared for the mixOmics DIABLO study.",
    ),
    (
        "geo",
        "GEO / GDS",
        "Curated Gene Expression Omnibus series and datasets, with sample annotations "
        "(characteristics) ready for group comparisons.",
    ),
    (
        "cancer",
        "Cancer",
        "Tumour and leukaemia expression profiles for class comparison, e.g. the Golub/GSEA "
        "acute lymphoblastic vs acute myeloid leukaemia arrays (HG-U95Av2).",
    ),
    (
        "toxicogenomics",
        "Toxicogenomics",
        "Dose and time-course responses of animal tissues to toxicants: the rat liver "
        "acetaminophen study of Bushel et al. 2007 (4 doses × 4 time points, with clinical "
        "chemistry).",
    ),
    (
        "proteomics",
        "RPPA / proteomics",
        "Protein-level data: LINCS P100 targeted phosphoproteomics (MCF7, 3 h, 31 "
        "perturbagens) and the signatures derived from it.",
    ),
    (
        "grein",
        "GREIN-style RNA-seq",
        "Uniformly processed RNA-seq raw counts from GEO series, as served by GREIN: count "
        "matrices with sample annotations, analysed with edgeR/limma-voom.",
    ),
    (
        "reference",
        "Reference",
        "Reference signatures published with iLINCS (LINCSCP_* chemical perturbation "
        "signatures connected to diclofenac LINCSCP_100), used to check connectivity results.",
    ),
    (
        "covid19",
        "COVID-19",
        "SARS-CoV-2 infection studies: Blanco-Melo et al. 2020 (GSE147507) A549-ACE2 cells "
        "infected vs mock, for signatures to query against LINCS.",
    ),
]


def _log_report(log: Log, what: str, report) -> None:
    log(f"{report.status} {what} {report.obj}" + (f" ({report.detail})" if report.detail else ""))


def step_collections(root: Path, log: Log) -> None:
    for order, (slug, name, description) in enumerate(COLLECTIONS, start=1):
        catalog_services.collection_ensure(
            slug=slug, name=name, description=description, order=order * 10
        )
    log(f"collections: {len(COLLECTIONS)} ensured")


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


GENESETS = [
    ("hallmark", "MSigDB Hallmark (v7.0)", "msigdb_h.all.v7.0.symbols.gmt"),
    ("kegg-msigdb", "MSigDB C2 KEGG (v7.5.1)", "msigdb_c2.cp.kegg.v7.5.1.symbols.gmt"),
    ("kegg-2016", "Enrichr KEGG 2016", "enrichr_KEGG_2016.gmt"),
    ("reactome", "Reactome pathways (2021)", "reactome_ReactomePathways_human_2021.gmt.gz"),
    (
        "go-bp-2021",
        "GO Biological Process 2021 (Enrichr)",
        "enrichr_GO_Biological_Process_2021.gmt.gz",
    ),
]


def step_genesets(root: Path, log: Log) -> None:
    for slug, name, filename in GENESETS:
        report = services.geneset_library_import(
            slug=slug,
            name=name,
            sets=importers.read_gmt(root / "genesets" / filename),
            provenance=f"fixtures/genesets/{filename}",
        )
        _log_report(log, "gene-set library", report)


def _dataset(log: Log, *, collection: str, matrix: Matrix, **fields) -> None:
    report = catalog_services.dataset_import(
        collection=catalog_services.collection_ensure(slug=collection), matrix=matrix, **fields
    )
    _log_report(log, "dataset", report)


def _samples_matrix(path: Path) -> Matrix:
    """A samples × features table with a subtype column (TCGA BRCA files) as a matrix."""
    raw = read_any_table(path)
    samples = pd.Index(raw.iloc[:, 0].str.strip(), name="sample")
    values = to_numeric(
        raw.drop(columns=[raw.columns[0], "subtype"]).set_index(samples), name=path.name
    )
    labels = pd.DataFrame({"pam50_subtype": raw["subtype"].to_numpy()}, index=samples)
    values = values.T
    values.index.name = "feature"
    return Matrix(values, pd.DataFrame(index=values.index), labels)


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


def step_datasets(root: Path, log: Log) -> None:
    human = catalog_services.organism_ensure(name_or_taxon="9606")
    rat = catalog_services.organism_ensure(name_or_taxon="10116")
    platform = catalog_services.platform_ensure
    expr = root / "expression"

    leukemia = read_gct(expr / "Leukemia_hgu95av2_ALL_vs_AML_n48.gct.gz")
    cls = (expr / "Leukemia_ALL_vs_AML_n48.cls").read_text().split("\n")[2].split()
    labels = pd.DataFrame({"disease": cls}, index=leukemia.values.columns)
    _dataset(
        log,
        collection="cancer",
        accession="GOLUB_ALL_AML",
        title="Acute lymphoblastic vs acute myeloid leukaemia (Golub/GSEA 'Leukemia', HG-U95Av2)",
        matrix=leukemia,
        samples=labels,
        organism=human,
        platform=platform(accession="GPL8300", title="Affymetrix HG-U95Av2", technology="array"),
        data_type=DataType.MICROARRAY,
        scale=Scale.LINEAR,
        feature_kind="probe",
        description="24 ALL and 24 AML bone-marrow samples; MAS5-like signal (can be negative).",
        provenance="fixtures/expression/Leukemia_hgu95av2_ALL_vs_AML_n48.gct.gz (GSEApy)",
    )
    genes = _collapsed_to_genes(
        Matrix(leukemia.values, leukemia.row_meta, labels),
        expr / "Human_AFFY_HG_U95_MSigDB_7_0_final.chip.gz",
    )
    _dataset(
        log,
        collection="cancer",
        accession="GOLUB_ALL_AML_GENES",
        title="Acute lymphoblastic vs acute myeloid leukaemia, gene level (log2, collapsed)",
        matrix=genes,
        samples=labels,
        organism=human,
        platform=platform(accession="GPL8300", title="Affymetrix HG-U95Av2", technology="array"),
        data_type=DataType.MICROARRAY,
        scale=Scale.LOG,
        feature_kind="gene",
        description=(
            "GOLUB_ALL_AML on a log2 scale (signal floored at 20) with one row per gene symbol "
            "(MSigDB v7.0 HG-U95 CHIP file, highest-mean probe per gene, as GSEA collapses): "
            "signatures built on it can be queried against the libraries."
        ),
        provenance=(
            "fixtures/expression/Leukemia_hgu95av2_ALL_vs_AML_n48.gct.gz + "
            "Human_AFFY_HG_U95_MSigDB_7_0_final.chip.gz (GSEApy)"
        ),
    )
    _dataset(
        log,
        collection="toxicogenomics",
        accession="RAT_LIVER_APAP",
        title="Rat liver response to acetaminophen: 4 doses × 4 times (Bushel et al. 2007)",
        matrix=read_matrix_table(expr / "liver_toxicity_rat_APAP_genes_x_samples_n3116x64.tsv.gz"),
        samples=read_sample_table(expr / "liver_toxicity_rat_APAP_sample_annotation_n64.tsv"),
        organism=rat,
        platform=platform(accession="Agilent-rat", title="Agilent rat array", technology="array"),
        data_type=DataType.MICROARRAY,
        scale=Scale.LOG,
        feature_kind="probe",
        description="Fisher-344 rats, 50-2000 mg/kg APAP, necropsy at 6/18/24/48 h; log ratios.",
        provenance="fixtures/expression/liver_toxicity_rat_APAP_* (mixOmics liver.toxicity)",
    )
    counts = read_matrix_table(root / "rnaseq/GSE147507_raw_counts_human_subset_n40.tsv.gz")
    annotation = read_sample_table(root / "rnaseq/GSE147507_sample_annotation_n40.tsv")
    rnaseq = platform(accession="GPL18573", title="Illumina NextSeq 500", technology="RNA-seq")
    common = {
        "organism": human,
        "platform": rnaseq,
        "data_type": DataType.RNASEQ_COUNTS,
        "scale": Scale.COUNTS,
        "source_url": "https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi?acc=GSE147507",
        "provenance": "fixtures/rnaseq/GSE147507_* (GEO raw read counts, subset)",
    }
    _dataset(
        log,
        collection="grein",
        accession="GSE147507",
        title="SARS-CoV-2 vs mock infection of lung cell lines and biopsies (Blanco-Melo 2020)",
        matrix=counts,
        samples=annotation,
        description="Raw read counts, 21,797 genes × 40 samples: NHBE, A549, A549-ACE2, Calu-3.",
        **common,
    )
    ace2 = [s for s in counts.values.columns if "A549-ACE2" in s]
    _dataset(
        log,
        collection="covid19",
        accession="GSE147507_A549-ACE2",
        title="SARS-CoV-2 vs mock infection of A549-ACE2 cells (GSE147507 series 6 and 16)",
        matrix=Matrix(counts.values[ace2], counts.row_meta, counts.col_meta.loc[ace2]),
        samples=annotation.loc[ace2],
        description="The 12 A549-ACE2 samples of GSE147507 (6 infected, 6 mock).",
        **common,
    )
    tcga = root / "tcga_brca"
    for accession, filename, title, data_type, kind in (
        (
            "TCGA_BRCA_RPPA",
            "breastTCGA_train_protein_n150x142.tsv.gz",
            "TCGA breast cancer RPPA protein abundance with PAM50 subtypes",
            DataType.PROTEOMICS,
            "protein",
        ),
        (
            "TCGA_BRCA_MRNA",
            "breastTCGA_train_mrna_n150x200.tsv.gz",
            "TCGA breast cancer mRNA expression (200-gene panel) with PAM50 subtypes",
            DataType.RNASEQ_LOG,
            "gene",
        ),
    ):
        matrix = _samples_matrix(tcga / filename)
        _dataset(
            log,
            collection="tcga",
            accession=accession,
            title=title,
            matrix=matrix,
            organism=human,
            data_type=data_type,
            scale=Scale.LOG,
            feature_kind=kind,
            description="150 tumours: Luminal A 75, Basal-like 45, HER2-enriched 30.",
            provenance=f"fixtures/tcga_brca/{filename} (mixOmics breast.TCGA)",
        )
    lincs = root / "lincs"
    l1000 = platform(accession="L1000", title="LINCS L1000 (978 landmarks)", technology="L1000")
    _dataset(
        log,
        collection="lincs",
        accession="LJP005_A375_24H",
        title="LINCS L1000 level-3 plate LJP005 A375 24 h (60 kinase inhibitors × 6 doses)",
        matrix=_by_entrez(read_gct(lincs / "level3_LJP005_A375_24H_n377x978_cmapPy.gct.gz")),
        organism=human,
        platform=l1000,
        data_type=DataType.L1000,
        scale=Scale.LOG,
        feature_kind="gene",
        description="Q2NORM log2 values, 978 landmark genes (Entrez ids) × 377 wells incl. "
        "26 DMSO wells.",
        provenance="fixtures/lincs/level3_LJP005_A375_24H_n377x978_cmapPy.gct.gz (cmapPy)",
    )
    _dataset(
        log,
        collection="proteomics",
        accession="P100_MCF7_3H",
        title="LINCS P100 phosphoproteomics, MCF7 3 h (31 perturbagens in triplicate)",
        matrix=read_gct(lincs / "p100_MCF7_3H_n96x96_cmapPy.gct.gz"),
        organism=human,
        platform=platform(accession="P100", title="LINCS P100 targeted MS", technology="MS"),
        data_type=DataType.PROTEOMICS,
        scale=Scale.LOG,
        feature_kind="phosphosite",
        description="96 phosphopeptide probes × 96 samples, log2 (PRM+L2X).",
        provenance="fixtures/lincs/p100_MCF7_3H_n96x96_cmapPy.gct.gz (cmapPy)",
    )


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


def step_libraries(root: Path, log: Log) -> None:
    human = catalog_services.organism_ensure(name_or_taxon="9606")
    lincs = root / "lincs"
    probes = importers.read_probe_map(lincs / "landmark_probe_meta_n978.txt")

    def library(slug, collection, source, **fields):
        report = services.library_import(
            slug=slug,
            source=source,
            collection=catalog_services.collection_ensure(slug=collection),
            organism=human,
            **fields,
        )
        _log_report(log, "library", report)

    modz = lincs / "level5_modz_n272x978_cmapR.gct.gz"
    library(
        "lincs-modz-272",
        "lincs",
        importers.library_from_gct(modz, probe_map=probes),
        name="LINCS level-5 MODZ signatures (vemurafenib, atorvastatin, venlafaxine)",
        kind=LibraryKind.CHEMICAL,
        score_kind=ScoreKind.ZSCORE,
        description="272 consensus (MODZ) signatures in 65 cell lines, 6 h and 24 h.",
        provenance="fixtures/lincs/level5_modz_n272x978_cmapR.gct.gz (cmapR)",
    )
    shrna = lincs / "shrna_kd_LITMUS_n374x976_cmapR.gct.gz"
    library(
        "lincs-shrna-litmus",
        "lincs",
        importers.library_from_gct(shrna, probe_map=probes, prefix="LITMUS.KD017:"),
        name="LINCS shRNA knock-down plate LITMUS.KD017",
        kind=LibraryKind.KNOCKDOWN,
        score_kind=ScoreKind.ZSCORE,
        description="374 wells: shRNAs against 84 genes plus vector and untreated controls.",
        provenance="fixtures/lincs/shrna_kd_LITMUS_n374x976_cmapR.gct.gz (cmapR)",
    )
    skb = lincs / "level5_SKB_toydb_n100x5000_signatureSearch.tsv.gz"
    library(
        "lincs-skb-100",
        "lincs",
        importers.library_from_matrices(skb),
        name="LINCS SKB compound signatures (100 × 5,000 genes)",
        kind=LibraryKind.CHEMICAL,
        gene_space=GeneSpace.GENOME,
        score_kind=ScoreKind.ZSCORE,
        description="Level-5 z-scores in skeletal muscle cells, incl. 5 HDAC inhibitors.",
        provenance="fixtures/lincs/level5_SKB_toydb_n100x5000_signatureSearch.tsv.gz",
    )
    lincscp = root / "ilincs_examples/ilincs_LINCSCP_signatures_n20x497.gct.gz"
    library(
        "ilincs-lincscp-20",
        "reference",
        importers.library_from_gct(lincscp),
        name="iLINCS LINCSCP signatures connected to diclofenac (20 × 497 genes)",
        kind=LibraryKind.CHEMICAL,
        gene_space=GeneSpace.GENOME,
        description="iLINCS group-analysis export; values capped at ±10.",
        provenance="fixtures/ilincs_examples/ilincs_LINCSCP_signatures_n20x497.gct.gz",
    )
    library(
        "lincs-p100-mcf7",
        "proteomics",
        p100_source(lincs / "p100_MCF7_3H_n96x96_cmapPy.gct.gz"),
        name="LINCS P100 phosphoproteomics signatures (MCF7, 3 h)",
        kind=LibraryKind.PROTEOMICS,
        gene_space=GeneSpace.PROTEIN,
        score_kind=ScoreKind.DIFF,
        description="Treatment minus DMSO mean log2 phosphopeptide level, averaged per gene.",
        provenance="fixtures/lincs/p100_MCF7_3H_n96x96_cmapPy.gct.gz (derived)",
    )


PLATE_GCT = "lincs/level3_LJP005_A375_24H_n377x978_cmapPy.gct.gz"


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
    path = root / PLATE_GCT
    plate_ids = set(read_gct(path).col_meta["pert_id"].str[:13])
    pertinfo = importers.read_pertinfo(root / "lincs/lincscloud_pertinfo.tsv.gz")
    pertinfo = pertinfo[pertinfo["pert_id"].str[:13].isin(plate_ids)]
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
    report = services.library_import(
        slug="lincs-ljp005-a375",
        source=plate_source(
            path, importers.read_probe_map(root / "lincs/landmark_probe_meta_n978.txt")
        ),
        collection=catalog_services.collection_ensure(slug="lincs"),
        organism=catalog_services.organism_ensure(name_or_taxon="9606"),
        name="LINCS LJP005 A375 24 h kinase inhibitors (robust z vs DMSO, dose-averaged)",
        kind=LibraryKind.CHEMICAL,
        score_kind=ScoreKind.ZSCORE,
        description="59 kinase inhibitors on one L1000 plate: robust z-scores of each well "
        "against the 26 DMSO wells, averaged over the compound's 6 doses.",
        provenance=f"fixtures/{PLATE_GCT} (derived)",
    )
    _log_report(log, "library", report)


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
