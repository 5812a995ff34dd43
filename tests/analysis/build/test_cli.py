"""`manage.py build_signature`: the exact interface users script, checked against R."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import FIXTURES, ROOT
from tests.oracle import read_oracle_table, run_oracle

LIMMA_COLUMNS = ["gene", "logFC", "AveExpr", "t", "P.Value", "adj.P.Val", "B"]


def manage(*args) -> subprocess.CompletedProcess:
    env = {"DJANGO_DEBUG": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tcga_protein(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tcga")
    table = pd.read_csv(
        FIXTURES / "tcga_brca" / "breastTCGA_train_protein_n150x142.tsv.gz", sep="\t"
    ).set_index("patient_barcode_suffix")
    groups = table["subtype"].rename_axis("sample").rename("group").to_frame()
    groups.to_csv(folder / "groups.tsv", sep="\t")
    table.drop(columns="subtype").T.rename_axis("gene").to_csv(
        folder / "expr.tsv", sep="\t", float_format="%.17g"
    )
    return folder / "expr.tsv", folder / "groups.tsv"


def test_limma_output_has_the_documented_columns_and_matches_r(rscript, tcga_protein, tmp_path):
    expr, groups = tcga_protein
    out = tmp_path / "sig.tsv"
    proc = manage(
        "build_signature", "--expression", expr, "--groups", groups, "--treatment", "LumA",
        "--baseline", "Her2", "--method", "limma", "--out", out,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    ours = pd.read_csv(out, sep="\t", dtype={"gene": str})
    assert list(ours.columns) == LIMMA_COLUMNS
    run_oracle(
        rscript, "limma_ref.R", "--expr", expr, "--groups", groups,
        "--treatment", "LumA", "--baseline", "Her2", "--out", tmp_path / "r.tsv",
    )  # fmt: skip
    ref = read_oracle_table(tmp_path / "r.tsv")
    ours = ours.set_index("gene").loc[ref.index]
    np.testing.assert_allclose(ours["t"], ref["t"], rtol=1e-9)
    np.testing.assert_allclose(ours["logFC"], ref["logFC"], rtol=1e-9, atol=1e-14)
    assert np.max(np.abs(np.log10(ours["P.Value"]) - np.log10(ref["P.Value"]))) < 1e-9
    # ER-alpha and PR up, HER2 down in Luminal A vs HER2-enriched (iLINCS use case 2)
    assert ours.loc["ER-alpha", "logFC"] > 0 and ours.loc["PR", "logFC"] > 0
    assert ours.loc["HER2", "logFC"] < 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "deseq"], "invalid choice: 'deseq'"),
        (["--method", "limma", "--treatment", "Nope"], "treatment group 'Nope' is not in"),
        (["--method", "limma", "--groups", "/no/such/file"], "--groups: no such file"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_on_stderr(tcga_protein, tmp_path, args, message):
    expr, groups = tcga_protein
    base = {
        "--expression": expr, "--groups": groups, "--treatment": "LumA",
        "--baseline": "Her2", "--out": tmp_path / "o.tsv",
    }  # fmt: skip
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    proc = manage("build_signature", *[str(x) for pair in base.items() for x in pair])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not (tmp_path / "o.tsv").exists()
