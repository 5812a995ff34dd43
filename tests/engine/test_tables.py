"""Readers of expression matrices (TSV, GCT 1.2/1.3, GEO series matrix) and group files."""

import gzip

import numpy as np
import pytest

from analysis.engine import tables
from tests.conftest import FIXTURES


def test_it_reads_the_leukemia_gct_1_2_gz_with_its_cls_labels():
    gct = tables.read_gct(FIXTURES / "expression" / "Leukemia_hgu95av2_ALL_vs_AML_n48.gct.gz")
    assert gct.version == "1.2" and gct.data.shape == (12564, 48)
    assert gct.data.loc["AFFX-MurIL2_at", "ALL_1"] == -161.8
    labels = tables.read_cls(
        FIXTURES / "expression" / "Leukemia_ALL_vs_AML_n48.cls", list(gct.data.columns)
    )
    assert labels.value_counts().to_dict() == {"ALL": 24, "AML": 24}


def test_it_reads_a_gct_1_3_with_column_metadata_and_a_missing_value():
    gct = tables.read_gct(FIXTURES / "lincs" / "p100_MCF7_3H_n96x96_cmapPy.gct.gz")
    assert gct.data.shape == (96, 96) and gct.col_meta.shape == (96, 19)
    assert gct.row_meta.shape[1] == 11
    assert int(gct.data.isna().sum().sum()) == 1


def test_a_tsv_reads_na_nan_and_empty_fields_as_missing(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("id\ta\tb\tc\ng1\t1\tNA\t2.5\ng2\tNaN\t\t-1e-3\n")
    expr = tables.read_expression(path)
    assert expr.columns.tolist() == ["a", "b", "c"] and expr.index.tolist() == ["g1", "g2"]
    np.testing.assert_array_equal(expr.isna().to_numpy(), [[0, 1, 0], [1, 1, 0]])
    assert expr.loc["g2", "c"] == -0.001


def test_a_non_number_is_reported_with_its_line_and_column(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("id\ta\tb\ng1\t1\t2\ng2\t3\tlots\n")
    with pytest.raises(tables.TableError, match=r"line 3, column 3 \('b'\): 'lots'"):
        tables.read_expression(path)


def test_a_short_line_is_reported(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("id\ta\tb\ng1\t1\n")
    with pytest.raises(tables.TableError, match="line 2 has 2 fields, expected 3"):
        tables.read_expression(path)


def test_a_gct_with_a_wrong_row_count_is_rejected(tmp_path):
    path = tmp_path / "x.gct.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("#1.2\n3\t2\nNAME\tDescription\ts1\ts2\ng1\td\t1\t2\n")
    with pytest.raises(tables.TableError, match="1 data lines, line 2 announces 3"):
        tables.read_gct(path)


def test_it_reads_a_geo_series_matrix(tmp_path):
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text(
        '!Series_title\t"x"\n!series_matrix_table_begin\n"ID_REF"\t"GSM1"\t"GSM2"\n'
        '"1007_s_at"\t7.5\t8.25\n"1053_at"\tnull\t6\n!series_matrix_table_end\n'.replace("null", "")
    )
    expr = tables.read_expression(path)
    assert expr.columns.tolist() == ["GSM1", "GSM2"]
    assert expr.loc["1007_s_at", "GSM2"] == 8.25 and np.isnan(expr.loc["1053_at", "GSM1"])


def test_groups_are_read_by_header_name(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("group\tsample\nA\ts1\nB\ts2\n")
    assert tables.read_groups(path).to_dict() == {"s1": "A", "s2": "B"}


def test_a_sample_listed_twice_in_the_groups_is_rejected(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("sample\tgroup\ns1\tA\ns1\tB\n")
    with pytest.raises(tables.TableError, match="'s1' is listed twice"):
        tables.read_groups(path)
