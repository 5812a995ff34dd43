"""Real-data inputs for the limma tests and the R oracle run on each, once per session.

Inputs are written as the oracle's TSV layout into a session folder; the Python side reads
the very same files with ``analysis.engine.formats`` so both see identical numbers.

- Leukemia ALL/AML (12,564 HG-U95Av2 probes x 48, GCT 1.2 gz + .cls): MAS5-like signal put on
  a log scale as ``log2(max(x, 20))`` (a fixed input transformation; it leaves ~190 probes
  constant, which exercises limma's handling of zero variances).
- TCGA BRCA RPPA protein (142 antibodies x 150 tumours, LumA vs Her2), transposed to
  genes x samples.
- Rat liver APAP (3,116 probes x 64 rats): dose 1500 vs 50 mg/kg with all four dose groups
  kept in the fit, and the same data with 5 % of the values blanked (fixed seed), one probe
  without any treatment value (non-estimable contrast), one constant probe, one probe with
  zero residual df and one with a single treatment value.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.engine import configure, formats
from tests.conftest import FIXTURES
from tests.oracle import read_oracle_table, run_oracle

EXPRESSION = FIXTURES / "expression"


def pytest_configure(config: pytest.Config) -> None:
    """The engine's process settings, as the portal's settings module applies them."""
    configure()


@dataclass(frozen=True)
class LimmaCase:
    """One oracle comparison: input files, the groups compared and the oracle's outputs."""

    expr: Path
    groups: Path
    treatment: str
    baseline: str
    flags: tuple[str, ...]
    table: pd.DataFrame
    extra: pd.DataFrame

    @property
    def options(self) -> dict[str, bool]:
        names = {"--trend": "trend", "--robust": "robust", "--keep-all-groups": "keep_all_groups"}
        return {names[f]: True for f in self.flags}


def _write_inputs(folder: Path) -> dict[str, tuple[Path, Path]]:
    out = {}
    gct = formats.read_gct(EXPRESSION / "Leukemia_hgu95av2_ALL_vs_AML_n48.gct.gz").data
    cls = formats.read_cls(EXPRESSION / "Leukemia_ALL_vs_AML_n48.cls", list(gct.columns))
    np.log2(gct.clip(lower=20)).to_csv(folder / "leukemia.tsv", sep="\t", float_format="%.17g")
    cls.to_frame().to_csv(folder / "leukemia_groups.tsv", sep="\t")
    out["leukemia"] = (folder / "leukemia.tsv", folder / "leukemia_groups.tsv")

    protein = pd.read_csv(
        FIXTURES / "tcga_brca" / "breastTCGA_train_protein_n150x142.tsv.gz", sep="\t"
    ).set_index("patient_barcode_suffix")
    protein["subtype"].rename_axis("sample").rename("group").to_frame().to_csv(
        folder / "tcga_groups.tsv", sep="\t"
    )
    protein.drop(columns="subtype").T.rename_axis("gene").to_csv(
        folder / "tcga_protein.tsv", sep="\t", float_format="%.17g"
    )
    out["tcga"] = (folder / "tcga_protein.tsv", folder / "tcga_groups.tsv")

    annotation = pd.read_csv(
        EXPRESSION / "liver_toxicity_rat_APAP_sample_annotation_n64.tsv", sep="\t"
    )
    dose = "d" + annotation["Dose.Group"].astype(int).astype(str)
    dose.index = pd.Index(annotation["sample"], name="sample")
    dose.rename("group").to_frame().to_csv(folder / "rat_groups.tsv", sep="\t")
    rat = formats.read_matrix(
        EXPRESSION / "liver_toxicity_rat_APAP_genes_x_samples_n3116x64.tsv.gz"
    ).data
    rat.to_csv(folder / "rat.tsv", sep="\t", float_format="%.17g")
    out["rat"] = (folder / "rat.tsv", folder / "rat_groups.tsv")

    values = rat.to_numpy().copy()
    values[np.random.default_rng(20240601).random(values.shape) < 0.05] = np.nan
    treated = (dose.reindex(rat.columns) == "d1500").to_numpy()
    control = (dose.reindex(rat.columns) == "d50").to_numpy()
    values[0, treated] = np.nan  # contrast not estimable
    values[1, :] = 0.25  # constant gene
    values[2, :] = np.nan  # two values, two coefficients: zero residual df
    values[2, [np.flatnonzero(treated)[0], np.flatnonzero(control)[0]]] = [0.1, 0.2]
    values[3, control] = np.nan  # baseline not estimable (estimable groups remain)
    values[4, np.flatnonzero(treated)[1:]] = np.nan  # a single treatment value
    holes = pd.DataFrame(values, index=rat.index, columns=rat.columns)
    holes.to_csv(folder / "rat_na.tsv", sep="\t", float_format="%.17g", na_rep="NA")
    out["rat_na"] = (folder / "rat_na.tsv", folder / "rat_groups.tsv")
    return out


CASES = {
    "leukemia": ("leukemia", "AML", "ALL", ()),
    "leukemia-trend": ("leukemia", "AML", "ALL", ("--trend",)),
    "leukemia-robust": ("leukemia", "AML", "ALL", ("--robust",)),
    "leukemia-robust-trend": ("leukemia", "AML", "ALL", ("--robust", "--trend")),
    "tcga-luma-vs-her2": ("tcga", "LumA", "Her2", ()),
    "tcga-luma-vs-her2-robust": ("tcga", "LumA", "Her2", ("--robust",)),
    "rat-dose-all-groups": ("rat", "d1500", "d50", ("--keep-all-groups",)),
    "rat-dose-all-groups-trend": ("rat", "d1500", "d50", ("--keep-all-groups", "--trend")),
    "rat-missing": ("rat_na", "d1500", "d50", ()),
    "rat-missing-trend": ("rat_na", "d1500", "d50", ("--trend",)),
    "rat-missing-robust": ("rat_na", "d1500", "d50", ("--robust",)),
    "rat-missing-all-groups-robust": ("rat_na", "d1500", "d50", ("--keep-all-groups", "--robust")),
}


@pytest.fixture(scope="session")
def limma_inputs(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    return _write_inputs(tmp_path_factory.mktemp("limma-inputs"))


@pytest.fixture(scope="session")
def limma_oracle(rscript, oracle_dir, limma_inputs, tmp_path_factory):
    """``limma_oracle(case_name) -> LimmaCase``; R runs at most once per case per session."""
    folder = tmp_path_factory.mktemp("limma-oracle")
    done: dict[str, LimmaCase] = {}

    def get(name: str) -> LimmaCase:
        if name not in done:
            data, treatment, baseline, flags = CASES[name]
            expr, groups = limma_inputs[data]
            out, extra = folder / f"{name}.tsv", folder / f"{name}.extra.tsv"
            run_oracle(
                rscript, "limma_ref.R", "--expr", expr, "--groups", groups,
                "--treatment", treatment, "--baseline", baseline,
                "--out", out, "--extra", extra, *flags,
            )  # fmt: skip
            done[name] = LimmaCase(
                expr=expr,
                groups=groups,
                treatment=treatment,
                baseline=baseline,
                flags=flags,
                table=read_oracle_table(out),
                extra=read_oracle_table(extra),
            )
        return done[name]

    return get
