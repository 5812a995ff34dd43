"""One missing-value rule: NULL, -666 and NA are NaN in every path that reads a file."""

import io
import math

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from analysis.connectivity.uploads import parse_upload
from analysis.engine import formats
from catalog.models import Dataset
from catalog.storage import dataset_matrix
from tests.factories import CollectionFactory

TOKENS = ("NULL", "-666", "NA")


def _matrix_text(token: str) -> str:
    rows = [f"G{i}\t{i}.5\t{i + 1}.25\t{i % 3}.0\t{i}.75" for i in range(1, 6)]
    rows[1] = f"G2\t{token}\t3.25\t2.0\t2.75"
    return "gene\tt1\tt2\tb1\tb2\n" + "\n".join(rows) + "\n"


@pytest.mark.django_db
@pytest.mark.parametrize("token", TOKENS)
def test_a_catalogue_import_reads_the_token_as_nan(tmp_path, token):
    CollectionFactory(slug="geo", name="GEO")
    path = tmp_path / "m.tsv"
    path.write_text(_matrix_text(token))
    call_command(
        "import_dataset", "--accession", "NA1", "--title", "t", "--collection", "geo",
        "--matrix", str(path), stdout=io.StringIO(),
    )  # fmt: skip
    values = dataset_matrix(Dataset.objects.get(accession="NA1"))
    assert np.isnan(values.loc["G2", "t1"]) and values.loc["G2", "t2"] == 3.25


@pytest.mark.parametrize("token", TOKENS)
def test_a_query_upload_reads_the_token_as_nan_and_skips_the_row(token):
    for data in (
        f"gene\tlogFC\nTP53\t1.5\nEGFR\t{token}\n".encode(),
        f"#1.2\n2\t1\nName\tDescription\tA\nTP53\tx\t1.5\nEGFR\tx\t{token}\n".encode(),
    ):
        parsed = parse_upload(data=data, filename="q.txt")
        assert parsed.payload["genes"] == ["TP53"] and parsed.notes


@pytest.mark.parametrize("token", TOKENS)
def test_a_build_reads_the_token_as_nan(tmp_path, token):
    from analysis.build.services import signature_from_tables

    path = tmp_path / "m.tsv"
    path.write_text(_matrix_text(token))
    expression = formats.read_matrix(path).data
    assert math.isnan(expression.loc["G2", "t1"])
    groups = pd.Series(["T", "T", "B", "B"], index=["t1", "t2", "b1", "b2"])
    table = signature_from_tables(
        expression=expression, groups=groups, treatment="T", baseline="B", method="limma"
    )
    assert set(table["gene"]) >= {"G1", "G3"}


def test_a_gctx_minus_666_value_is_nan(tmp_path):
    import h5py

    path = tmp_path / "x.gctx"
    with h5py.File(path, "w") as h5:
        h5["0/DATA/0/matrix"] = np.array([[1.0, -666.0]], dtype=np.float32)
        h5["0/META/ROW/id"] = np.array([b"g1", b"g2"])
        h5["0/META/COL/id"] = np.array([b"s1"])
    data = formats.read_gctx(path).data
    assert data.loc["g1", "s1"] == 1.0 and np.isnan(data.loc["g2", "s1"])


@pytest.mark.parametrize("token", TOKENS)
def test_a_cli_query_file_reads_the_token_as_nan(tmp_path, token):
    from analysis.engine.connectivity import read_query_table

    path = tmp_path / "q.csv"
    path.write_text(f"gene,logFC,pvalue\nTP53,1.5,{token}\nEGFR,{token},0.01\n")
    payload = read_query_table(path)
    assert payload["genes"] == ["TP53", "EGFR"] and math.isnan(payload["logFC"][1])
    assert math.isnan(payload["pvalue"][0]) and payload["pvalue"][1] == 0.01
