"""Result-table downloads: TSV, CSV, Excel and GCT, with formula injection made inert."""

import csv
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from django.contrib.auth import get_user_model

from analysis.choices import RunStatus
from analysis.engine.formats import read_gct
from analysis.models import AnalysisRun
from analysis.runs.downloads import table_download

HOSTILE = pd.DataFrame(
    {
        "gene": ['=HYPERLINK("http://evil","x")', "+SUM(A1)", "-2+3", "@cmd", "TP53"],
        "logFC": [-1.5, 2.0, -0.25, np.nan, 1.0],
        "note": ["-1.5", "\tTAB", "ok", "\rCR", "a=b"],
    }
)


def test_csv_cells_that_spreadsheets_would_run_as_formulas_get_a_quote():
    text = table_download(HOSTILE, fmt="csv", stem="t").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://evil","x")',
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "TP53",
    ]
    assert [r[1] for r in rows[1:]] == ["-1.5", "2.0", "-0.25", "", "1.0"]  # numbers untouched
    assert [r[2] for r in rows[1:]] == ["-1.5", "'\tTAB", "ok", "'\rCR", "a=b"]


def test_excel_cells_are_text_not_formulas_and_numbers_stay_numbers():
    content = table_download(HOSTILE, fmt="xlsx", stem="run1_connections").content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet.title == "run1_connections"
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == ["gene", "logFC", "note"]
    assert cells[1][0] == '\'=HYPERLINK("http://evil","x")'
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, 7))
    assert [row[1] for row in cells[1:]] == [-1.5, 2.0, -0.25, None, 1.0]


def test_tsv_cells_that_spreadsheets_would_run_as_formulas_get_a_quote():
    text = table_download(HOSTILE[["gene", "logFC"]], fmt="tsv", stem="t").content.decode()
    back = pd.read_csv(io.StringIO(text), sep="\t", keep_default_na=False)
    assert back["gene"].tolist() == [
        '\'=HYPERLINK("http://evil","x")',
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "TP53",
    ]
    assert back["logFC"].tolist() == ["-1.5", "2.0", "-0.25", "", "1.0"]  # numbers untouched


def test_gct_ids_and_row_metadata_that_would_run_as_formulas_get_a_quote():
    table = HOSTILE.assign(symbol=HOSTILE["gene"])[["gene", "symbol", "logFC"]]
    lines = table_download(table, fmt="gct", stem="t").content.decode().splitlines()
    rows = [line.split("\t") for line in lines[3:]]
    assert [r[0] for r in rows] == [r[1] for r in rows]
    assert [r[0] for r in rows] == [
        '\'=HYPERLINK("http://evil","x")',
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "TP53",
    ]
    assert [r[2] for r in rows] == ["-1.5", "2.0", "-0.25", "NA", "1.0"]


def test_a_signature_round_trips_through_gct_with_its_statistics_as_row_metadata(tmp_path):
    signature = pd.DataFrame(
        {
            "gene": ["TP53", "MYC"],
            "entrez": [7157, 4609],
            "symbol": ["TP53", "MYC"],
            "logFC": [1.25, -0.5],
            "P.Value": [1e-5, 0.2],
        }
    )
    path = tmp_path / "sig.gct"
    path.write_bytes(table_download(signature, fmt="gct", stem="run7_signature").content)
    gct = read_gct(path)
    assert gct.data.columns.tolist() == ["run7_signature"]
    assert gct.data.index.tolist() == ["7157", "4609"]
    assert gct.data["run7_signature"].tolist() == [1.25, -0.5]
    assert gct.row_meta["P.Value"].astype(float).tolist() == [1e-5, 0.2]


def test_a_table_without_logfc_cannot_be_a_gct():
    with pytest.raises(ValueError, match="only a signature"):
        table_download(pd.DataFrame({"signature": ["A"], "similarity": [0.5]}), fmt="gct", stem="t")


@pytest.fixture
def finished_run(tmp_path):
    owner = get_user_model().objects.create_user("owner", password="pw-owner-123456")
    folder = tmp_path / "run"
    folder.mkdir()
    table = HOSTILE.rename(columns={"gene": "signature", "logFC": "similarity"})
    table[["signature", "similarity"]].to_csv(folder / "connections.tsv", sep="\t", index=False)
    return AnalysisRun.objects.create(
        kind="connectivity", owner=owner, status=RunStatus.SUCCEEDED, result_dir=str(folder)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("tsv", "text/tab-separated-values"),
        ("csv", "text/csv"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_the_owner_downloads_each_format_as_an_attachment(client, finished_run, fmt, content_type):
    client.force_login(finished_run.owner)
    response = client.get(f"/runs/{finished_run.pk}/files/connections.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    expected = f'attachment; filename="run{finished_run.pk}_connections.{fmt}"'
    assert response["Content-Disposition"] == expected


@pytest.mark.django_db
def test_someone_else_cannot_download_a_private_run(client, finished_run):
    response = client.get(f"/runs/{finished_run.pk}/files/connections.csv")
    assert response.status_code == 404


@pytest.mark.django_db
def test_asking_a_gct_of_a_table_that_is_not_a_signature_is_a_400(client, finished_run):
    finished_run.is_public = True
    finished_run.save()
    response = client.get(f"/runs/{finished_run.pk}/files/connections.gct")
    assert response.status_code == 400
    assert b"only a signature" in response.content
