"""The iLINCS paper's three use cases (Pilarczyk et al. 2022, "Use cases") as guided tutorials.

Each use case is a list of steps. A step either sends the user to a portal page (the dataset's
"Build a signature" form, a signature page) or, when it follows from an earlier run, submits
one run kind with parameters derived from that run (``step_params``). The tutorial pages
(``analysis.tutorials.views``), docs/tutorials/*.md and the acceptance tests in
tests/usecases share these definitions, so the tutorial text, the clicks and the numbers
checked are the same analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.conf import settings

from analysis.models import AnalysisRun
from analysis.runs.registry import RunInputError
from analysis.runs.selectors import run_table
from signatures.models import Perturbagen, Signature

REFERENCE_DIR = Path(settings.BASE_DIR) / "fixtures" / "ilincs_reference_outputs"

# --- the signatures each use case builds (dataset, groups, method) -------------------------

MTOR_BUILD = {
    "dataset": "LJP005_A375_24H",
    "treatment": "pert_iname=torin-2",
    "baseline": "pert_iname=DMSO",
    "method": "limma",
}
PLATE_LIBRARY = "lincs-ljp005-a375"
P100_LIBRARY = "lincs-p100-mcf7"
P100_EVEROLIMUS = "P100_MCF7_3H:Everolimus"
BRCA_PROTEIN_BUILD = {
    "dataset": "TCGA_BRCA_RPPA",
    "treatment": "pam50_subtype=LumA",
    "baseline": "pam50_subtype=Her2",
    "method": "limma",
}
BRCA_MRNA_BUILD = {**BRCA_PROTEIN_BUILD, "dataset": "TCGA_BRCA_MRNA"}
COVID_BUILD = {
    "dataset": "GSE147507_A549-ACE2",
    "treatment": "series=16 & condition=SARS-CoV-2",
    "baseline": "series=16 & condition=Mock",
    "method": "edger-ql",
    "filter_by_expr": True,
}
CHEMICAL_LIBRARIES = (PLATE_LIBRARY, "lincs-modz-272", "lincs-skb-100")

#: RPPA antibodies whose name is not their gene's symbol (TCGA RPPA antibody list); other
#: names map by stripping the phosphosite suffix (``_pS473``) and upper-casing.
ANTIBODY_GENES = {
    "ER-alpha": "ESR1",
    "ER-alpha_pS118": "ESR1",
    "PR": "PGR",
    "HER2": "ERBB2",
    "HER2_pY1248": "ERBB2",
    "HER3": "ERBB3",
    "HER3_pY1289": "ERBB3",
    "Bcl-2": "BCL2",
    "Bcl-xL": "BCL2L1",
    "Cyclin_B1": "CCNB1",
    "Cyclin_D1": "CCND1",
    "Cyclin_E1": "CCNE1",
    "4E-BP1": "EIF4EBP1",
    "4E-BP1_pS65": "EIF4EBP1",
    "4E-BP1_pT37": "EIF4EBP1",
    "4E-BP1_pT70": "EIF4EBP1",
    "FoxM1": "FOXM1",
    "FOXO3a": "FOXO3",
    "c-Myc": "MYC",
    "c-Kit": "KIT",
    "c-Met_pY1235": "MET",
    "p53": "TP53",
    "p27": "CDKN1B",
    "p27_pT157": "CDKN1B",
    "p27_pT198": "CDKN1B",
    "E-Cadherin": "CDH1",
    "N-Cadherin": "CDH2",
    "P-Cadherin": "CDH3",
    "beta-Catenin": "CTNNB1",
    "alpha-Catenin": "CTNNA1",
    "Caveolin-1": "CAV1",
    "Claudin-7": "CLDN7",
    "STAT5-alpha": "STAT5A",
    "Akt": "AKT1",
    "Akt_pS473": "AKT1",
    "Akt_pT308": "AKT1",
    "mTOR": "MTOR",
    "mTOR_pS2448": "MTOR",
    "p70S6K": "RPS6KB1",
    "p70S6K_pT389": "RPS6KB1",
    "S6": "RPS6",
    "S6_pS235_S236": "RPS6",
    "S6_pS240_S244": "RPS6",
    "Tuberin": "TSC2",
    "YB-1": "YBX1",
    "YB-1_pS102": "YBX1",
    "PI3K-p110-alpha": "PIK3CA",
    "PKC-alpha": "PRKCA",
    "PKC-alpha_pS657": "PRKCA",
    "eEF2": "EEF2",
    "eEF2K": "EEF2K",
    "eIF4E": "EIF4E",
}


def antibody_gene(name: str) -> str:
    """The gene symbol an RPPA antibody measures (phospho forms map to their protein)."""
    if name in ANTIBODY_GENES:
        return ANTIBODY_GENES[name]
    return name.split("_p")[0].upper()


def reference_table(prefix: str) -> pd.DataFrame:
    """A table captured from the real iLINCS (fixtures/ilincs_reference_outputs/<prefix>*)."""
    matches = sorted(REFERENCE_DIR.glob(f"{prefix}*.tsv"))
    if not matches:
        raise FileNotFoundError(f"no reference table {prefix!r} in {REFERENCE_DIR}")
    return pd.read_csv(matches[0], sep="\t")


def concordance_table(protein: pd.DataFrame, mrna: pd.DataFrame) -> pd.DataFrame:
    """Protein (RPPA antibody) and mRNA logFC of the same genes, one row per antibody.

    protein: a build run's signature table (``gene`` = antibody, ``logFC``); mrna: any table
    with ``symbol`` and ``logFC``. Antibodies whose gene the mRNA table lacks are left out.
    """
    by_symbol = mrna.dropna(subset=["symbol"]).drop_duplicates("symbol")
    by_symbol = by_symbol.set_index(by_symbol["symbol"].astype(str).str.upper())["logFC"]
    rows = [
        (antibody, antibody_gene(antibody), logfc, by_symbol[antibody_gene(antibody)])
        for antibody, logfc in zip(protein["gene"].astype(str), protein["logFC"], strict=True)
        if antibody_gene(antibody) in by_symbol.index
    ]
    return pd.DataFrame(rows, columns=["antibody", "symbol", "protein_logFC", "mrna_logFC"])


def reference_mrna_signature() -> pd.DataFrame:
    """iLINCS' own RNA-seq LumA vs Her2E values for the top proteins' genes (paper Fig. 5b)."""
    table = reference_table("useCase2_t08")
    return pd.DataFrame({"symbol": table["Name_GeneSymbol"], "logFC": table["Value_LogDiffExp"]})


def connected_compound_targets(run: AnalysisRun, *, n: int = 10) -> list[str]:
    """Annotated targets of the ``n`` most positively connected compounds of a connectivity
    run, the query's own compound left out (paper Fig. 2e: targets -> pathways)."""
    if run.kind != "connectivity":
        raise RunInputError("choose a connectivity run")
    rows = run_table(run=run, name="connections")
    rows = rows[rows["similarity"] > 0].sort_values("similarity", ascending=False, kind="stable")
    own = _query_compound(run)
    compounds = [p for p in dict.fromkeys(rows["perturbagen_id"].fillna("")) if p and p != own]
    chosen = compounds[:n]
    targets = dict(
        Perturbagen.objects.filter(accession__in=chosen).values_list("accession", "targets")
    )
    genes = [g for c in chosen for g in targets.get(c, []) or []]
    if not genes:
        raise RunInputError("none of the connected compounds has annotated targets")
    return list(dict.fromkeys(genes))


def _query_compound(run: AnalysisRun) -> str:
    """The perturbagen id of the query itself (a build run's treatment or a library signature)."""
    source = run.params.get("source", {})
    if "signature" in source:
        sig = Signature.objects.filter(accession=source["signature"]).first()
        return sig.perturbagen.accession if sig and sig.perturbagen else ""
    if "run" in source:
        build = AnalysisRun.objects.filter(pk=source["run"]).first()
        treatment = (build.params.get("treatment", "") if build else "").strip()
        if treatment.startswith("pert_iname="):
            name = treatment.split("=", 1)[1].strip()
            hit = Perturbagen.objects.filter(name__iexact=name).first()
            return hit.accession if hit else ""
    return ""


# --- the tutorials ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One tutorial step: ``kind`` = "build" (a link to the dataset's build form), "signature"
    (a link to a signature page) or a run kind submitted from the tutorial page itself."""

    key: str
    title: str
    text: str
    kind: str
    params: dict = field(default_factory=dict)
    needs: str = ""  # the step whose run this one starts from ("" = none)


@dataclass(frozen=True)
class UseCase:
    slug: str
    title: str
    lead: str
    steps: tuple[Step, ...]
    interpretation: str
    not_here: str


USE_CASES = {
    "mtor-inhibition": UseCase(
        slug="mtor-inhibition",
        title="Use case 1: detecting and modulating mTOR signalling",
        lead="Build a torin-2 signature from the LINCS A375 plate, find the compounds whose "
        "signatures it resembles, and check that they, and the pathways of their targets, point "
        "to the PI3K/AKT/mTOR axis.",
        steps=(
            Step(
                "build",
                "Build the torin-2 signature",
                "On the LJP005_A375_24H dataset, 'Build a signature': treatment predicate "
                "pert_iname=torin-2 (its 6 wells, 0.04-10 uM), baseline pert_iname=DMSO (26 "
                "wells), method limma.",
                "build",
                MTOR_BUILD,
            ),
            Step(
                "connect",
                "Connected compound signatures",
                "On the finished run, 'Connectivity with this signature': library 'LINCS LJP005 "
                "A375 24 h kinase inhibitors', metric Pearson. torin-2 itself comes first (a "
                "positive control); NVP-BEZ235 and GDC-0980 (BRD-A18328003), dual PI3K/mTOR "
                "inhibitors, follow.",
                "connectivity",
                {"library": PLATE_LIBRARY, "metric": "pearson", "top": 100},
                needs="build",
            ),
            Step(
                "enrich",
                "Enrichment of the torin-2 genes",
                "Over-representation of the signature's top 100 up and down genes in Hallmark "
                "and KEGG: the genes torin-2 lowers include HALLMARK_MTORC1_SIGNALING, beside "
                "proliferation (E2F targets, G2/M).",
                "enrichment",
                {"genesets": ["hallmark", "kegg-2016"]},
                needs="build",
            ),
            Step(
                "targets",
                "Targets of the connected compounds",
                "Targets and MoA classes of the 10 most connected compounds against the 59 of "
                "the plate (mTOR and PI3K inhibitors on top), then the KEGG pathways of those "
                "targets (paper Fig. 2e).",
                "moa_targets",
                {"library": PLATE_LIBRARY, "n_connected": 10},
                needs="build",
            ),
            Step(
                "target-pathways",
                "Pathways of the connected compounds' targets",
                "KEGG over-representation of the targets of the 10 compounds most connected "
                "to torin-2 (itself left out).",
                "enrichment",
                {"genesets": ["kegg-2016"]},
                needs="connect",
            ),
            Step(
                "everolimus",
                "The P100 everolimus signature",
                "The LINCS P100 phosphoproteomics signature of everolimus (MCF7, 3 h): open it "
                "and query the P100 library with it.",
                "signature",
                {"signature": P100_EVEROLIMUS, "library": P100_LIBRARY},
            ),
        ),
        interpretation="torin-2's transcriptional signature is most similar to those of other "
        "ATP-competitive mTOR/PI3K inhibitors on the same plate, above the MEK, BRAF, EGFR and "
        "HSP90 inhibitors whose signatures dominate A375 (BRAF V600E) cells; the connected "
        "compounds' targets are enriched for MTOR and PIK3CA and map to the mTOR and PI3K-Akt "
        "KEGG pathways, as in the paper's Fig. 2b and 2e.",
        not_here="The shared data has no L1000 MTOR knock-down consensus (CGS) signature, no "
        "LINCSCP everolimus/sirolimus L1000 signatures and no genome-wide CGS library (see "
        "fixtures/MANIFEST.md, 'What is NOT here'), so the paper's MTOR-CGS query (Fig. 2a/b, "
        "reference tables useCase1a_*) and the everolimus -> CGS step (Fig. 2d) cannot be "
        "re-run; the torin-2 plate signature and the P100 everolimus signature are the closest "
        "analyses the data supports.",
    ),
    "breast-cancer-proteogenomics": UseCase(
        slug="breast-cancer-proteogenomics",
        title="Use case 2: proteogenomics of breast cancer subtypes",
        lead="Contrast Luminal A with HER2-enriched TCGA tumours at the protein (RPPA) and mRNA "
        "level, compare the two signatures, then interpret the mRNA one.",
        steps=(
            Step(
                "build-protein",
                "Differential protein signature",
                "On TCGA_BRCA_RPPA, 'Build a signature': treatment pam50_subtype=LumA (75 "
                "tumours), baseline pam50_subtype=Her2 (30), limma. ER-alpha and PR are up, "
                "HER2 and HER2_pY1248 down.",
                "build",
                BRCA_PROTEIN_BUILD,
            ),
            Step(
                "build-mrna",
                "The matching mRNA signature",
                "The same contrast on TCGA_BRCA_MRNA, the same 150 tumours' mRNA (a 200-gene "
                "panel).",
                "build",
                BRCA_MRNA_BUILD,
            ),
            Step(
                "concordance",
                "Protein-mRNA concordance",
                "A scatter of protein vs mRNA logFC per antibody: against the tumours' own "
                "mRNA panel where it has the gene, and against iLINCS' RNA-seq values for the "
                "top proteins' genes (paper Fig. 5b).",
                "concordance",
                needs="build-protein",
            ),
            Step(
                "enrich",
                "Enrichment of the mRNA signature",
                "Hallmark over-representation of the top 50 up and down genes: estrogen "
                "response among the genes higher in Luminal A, G2/M checkpoint among those "
                "higher in HER2-enriched tumours.",
                "enrichment",
                {"genesets": ["hallmark"], "n_top": 50},
                needs="build-mrna",
            ),
            Step(
                "connect",
                "Connectivity of the mRNA signature",
                "The mRNA signature against the kinase-inhibitor plate library (Pearson).",
                "connectivity",
                {"library": PLATE_LIBRARY, "metric": "pearson", "top": 100},
                needs="build-mrna",
            ),
        ),
        interpretation="The protein signature names the subtypes' drivers directly: oestrogen "
        "receptor and progesterone receptor (and BCL2, GATA3) high in Luminal A, HER2 and its "
        "Y1248 phosphosite (and EGFR_pY1068, Cyclin B1, FoxM1) high in HER2-enriched tumours, "
        "the paper's Fig. 5a. The mRNA signature agrees in direction where both measure a gene; "
        "its enrichment shows oestrogen response in Luminal A and proliferation in HER2-enriched "
        "tumours (Fig. 5d).",
        not_here="The shared data holds 150 of the paper's tumours (75 LumA, 30 Her2 vs 174/50) "
        "and a 200-gene mRNA panel instead of the full RNA-seq, which lacks ESR1, PGR and ERBB2: "
        "concordance for those genes uses iLINCS' own RNA-seq values (reference table "
        "useCase2_t08), and connectivity uses the few landmark genes of the panel against the "
        "small demo libraries, not the 143k LINCS CP signatures of Fig. 6.",
    ),
    "covid-19": UseCase(
        slug="covid-19",
        title="Use case 3: drug repurposing for COVID-19",
        lead="Build the SARS-CoV-2 infection signature of A549-ACE2 cells with edgeR, look at "
        "its top genes and pathways, and search the chemical libraries for signatures that "
        "reverse it.",
        steps=(
            Step(
                "build",
                "The infection signature",
                "On GSE147507_A549-ACE2, 'Build a signature': treatment "
                "series=16 & condition=SARS-CoV-2, baseline series=16 & condition=Mock (3 vs 3, "
                "as in the paper), method edgeR quasi-likelihood, filterByExpr on.",
                "build",
                COVID_BUILD,
            ),
            Step(
                "enrich",
                "Pathways of the infection signature",
                "Hallmark over-representation of the top 100 up and down genes: TNF-alpha "
                "signalling via NF-kB first, then interferon gamma and alpha responses.",
                "enrichment",
                {"genesets": ["hallmark"]},
                needs="build",
            ),
            Step(
                "connect",
                "Compounds that reverse it",
                "Connectivity against each chemical library (Pearson); the most negative "
                "similarities are the candidate reversers.",
                "connectivity",
                {"library": PLATE_LIBRARY, "metric": "pearson", "top": 100},
                needs="build",
            ),
        ),
        interpretation="Infection induces an interferon and NF-kB programme (IFIT1/2/3, OAS2, "
        "MX1, ISG15, IFNB1 among the strongest up genes), which is what the paper reports "
        "(TNF and NF-kB signalling the most enriched). The demo libraries are small: their most "
        "negatively connected compounds are reported as found, with no claim of therapy.",
        not_here="The paper's reversal hits (CDK inhibitors, alvocidib) come from 143k LINCS CP "
        "signatures and the LYN over-expression hit from the A549 OE library, neither of which "
        "is in the shared data; the demo chemical libraries hold 59 kinase inhibitors in A375, "
        "272 MODZ signatures of three drugs and 100 SKB signatures.",
    ),
}


def step_of(slug: str, key: str) -> Step:
    case = USE_CASES.get(slug)
    step = next((s for s in case.steps if s.key == key), None) if case else None
    if step is None:
        raise KeyError(f"{slug}/{key}")
    return step


def step_params(step: Step, previous: AnalysisRun) -> dict:
    """Run parameters of a step that starts from the run of the step it ``needs``."""
    if previous.status != "succeeded":
        raise RunInputError(f"run #{previous.pk} has not finished successfully")
    if step.key == "target-pathways":
        genes = connected_compound_targets(previous, n=10)
        return {**step.params, "genes": genes}
    if previous.kind != "build_signature":
        raise RunInputError(f"step {step.title!r} starts from a built signature")
    return {**step.params, "source": {"run": previous.pk}}


def latest_run(runs, case: UseCase, key: str) -> AnalysisRun | None:
    """The newest successful run among ``runs`` that step ``key`` of ``case`` produced: a build
    with the step's dataset and groups, or a run of the step's kind started from that build."""
    step = step_of(case.slug, key)
    if step.kind == "build":
        candidates = runs.filter(
            kind="build_signature", status="succeeded", params__dataset=step.params["dataset"]
        ).order_by("-pk")[:50]
        return next((r for r in candidates if _same_groups(r.params, step.params)), None)
    build = latest_run(runs, case, step.needs) if step.needs else None
    candidates = runs.filter(kind=step.kind, status="succeeded").order_by("-pk")[:50]
    for run in candidates:
        source = run.params.get("source") or {}
        if build is None or source.get("run") == build.pk:
            return run
    return None


def _same_groups(params: dict, wanted: dict) -> bool:
    def norm(value) -> str:
        return " ".join(str(value).replace("&", " & ").split())

    return all(norm(params.get(k)) == norm(wanted[k]) for k in ("treatment", "baseline"))
