"""Matrices from GCT 1.2/1.3, TSV/CSV and GEO series matrices, and group files."""

import gzip

import numpy as np
import pytest

from analysis.engine import formats
from tests.conftest import FIXTURES


def test_it_reads_the_leukemia_gct_1_2_gz_with_its_cls_labels():
    gct = formats.read_gct(FIXTURES / "expression" / "Leukemia_hgu95av2_ALL_vs_AML_n48.gct.gz")
    assert gct.data.shape == (12564, 48) and gct.row_meta.shape == (12564, 1)
    assert gct.data.loc["AFFX-MurIL2_at", "ALL_1"] == -161.8
    labels = formats.read_cls(
        FIXTURES / "expression" / "Leukemia_ALL_vs_AML_n48.cls", list(gct.data.columns)
    )
    assert labels.value_counts().to_dict() == {"ALL": 24, "AML": 24}


def test_it_reads_a_gct_1_3_with_column_metadata_and_a_missing_value():
    gct = formats.read_gct(FIXTURES / "lincs" / "p100_MCF7_3H_n96x96_cmapPy.gct.gz")
    assert gct.data.shape == (96, 96) and gct.col_meta.shape == (96, 19)
    assert gct.row_meta.shape[1] == 11
    assert int(gct.data.isna().sum().sum()) == 1


def test_a_gct_1_3_written_by_cmapr_reads_with_its_metadata():
    gct = formats.read_gct(FIXTURES / "lincs" / "level5_modz_n272x978_cmapR.gct.gz")
    assert gct.data.shape == (978, 272) and gct.col_meta.shape == (272, 16)
    counts = gct.col_meta["pert_iname"].value_counts().to_dict()
    assert counts == {"vemurafenib": 140, "atorvastatin": 94, "venlafaxine": 38}


def test_a_tsv_reads_every_missing_token_as_nan(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("id\ta\tb\tc\ng1\t1\tNA\t2.5\ng2\tNaN\t\t-1e-3\ng3\tNULL\t-666\t#N/A\n")
    expr = formats.read_matrix(path).data
    assert expr.columns.tolist() == ["a", "b", "c"] and expr.index.tolist() == ["g1", "g2", "g3"]
    np.testing.assert_array_equal(expr.isna().to_numpy(), [[0, 1, 0], [1, 1, 0], [1, 1, 1]])
    assert expr.loc["g2", "c"] == -0.001


def test_a_csv_is_sniffed_and_read(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("gene,symbol,s1,s2\n7157,TP53,1.5,null\n")
    matrix = formats.read_matrix(path)
    assert matrix.row_meta.columns.tolist() == ["symbol"]
    assert matrix.data.loc["7157", "s1"] == 1.5 and np.isnan(matrix.data.loc["7157", "s2"])


def test_a_non_number_is_reported_with_its_row_and_column(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("id\ta\tb\ng1\t1\t2\ng2\t3\tlots\n")
    with pytest.raises(
        formats.InputError, match=r"non-numeric value 'lots' in row 'g2', column 'b'"
    ):
        formats.read_matrix(path)


def test_a_ragged_row_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("id\ta\tb\ng1\t1\t2\n\ng2\t1\n")
    with pytest.raises(formats.InputError, match="x.tsv: line 4 has 2 fields, the header has 3"):
        formats.read_matrix(path)


def test_a_ragged_gct_row_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "x.gct"
    path.write_text("#1.2\n2\t2\nNAME\tDescription\ts1\ts2\ng1\td\t1\t2\ng2\td\t1\n")
    with pytest.raises(formats.InputError, match="x.gct: line 5 has 3 fields, the header has 4"):
        formats.read_gct(path)


def test_a_gct_with_a_wrong_row_count_is_rejected(tmp_path):
    path = tmp_path / "x.gct.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("#1.2\n3\t2\nNAME\tDescription\ts1\ts2\ng1\td\t1\t2\n")
    with pytest.raises(
        formats.InputError, match="found 1 data rows, the dimensions line announces 3"
    ):
        formats.read_gct(path)


def test_a_gct_written_then_read_gives_the_same_matrix(tmp_path):
    source = formats.read_gct(FIXTURES / "lincs" / "p100_MCF7_3H_n96x96_cmapPy.gct.gz")
    path = tmp_path / "copy.gct"
    path.write_text(formats.write_gct(source))
    again = formats.read_gct(path)
    np.testing.assert_array_equal(again.data.to_numpy(), source.data.to_numpy())
    assert again.col_meta.equals(source.col_meta) and again.row_meta.equals(source.row_meta)


def test_it_reads_a_geo_series_matrix(tmp_path):
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text(
        '!Series_title\t"x"\n!Sample_title\t"a"\t"b"\n'
        '!Sample_characteristics_ch1\t"cell: A549"\t"cell: Calu3"\n'
        '!series_matrix_table_begin\n"ID_REF"\t"GSM1"\t"GSM2"\n'
        '"1007_s_at"\t7.5\t8.25\n"1053_at"\t\tnull\n!series_matrix_table_end\n'
    )
    matrix = formats.read_matrix(path)
    expr = matrix.data
    assert expr.columns.tolist() == ["GSM1", "GSM2"]
    assert expr.loc["1007_s_at", "GSM2"] == 8.25 and expr.loc["1053_at"].isna().all()
    assert matrix.col_meta.to_dict("list") == {"title": ["a", "b"], "cell": ["A549", "Calu3"]}


def test_a_ragged_series_matrix_row_names_its_line(tmp_path):
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text('!Series_title\t"x"\n!series_matrix_table_begin\nID\tA\tB\np\t1\n')
    with pytest.raises(formats.InputError, match="line 4 has 2 fields"):
        formats.read_series_matrix(path)


def test_groups_are_read_by_header_name(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("group\tsample\nA\ts1\nB\ts2\n")
    assert formats.read_groups(path).to_dict() == {"s1": "A", "s2": "B"}


def test_a_sample_listed_twice_in_the_groups_is_rejected(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("sample\tgroup\ns1\tA\ns1\tB\n")
    with pytest.raises(formats.InputError, match="'s1' is listed twice"):
        formats.read_groups(path)
