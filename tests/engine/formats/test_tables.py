"""Delimited tables and .xlsx workbooks."""

import io

import openpyxl
import pytest

from analysis.engine import formats


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_table_keeps_cells_as_text(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("\nid\tname\n007\tNA\n")
    table = formats.read_table(path)
    assert table.to_dict("list") == {"id": ["007"], "name": ["NA"]}


def test_an_xlsx_first_sheet_reads_as_a_table(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(_xlsx([["gene", "s1"], [7157, 1.5], [1956, None]]))
    matrix = formats.read_matrix(path)
    assert matrix.data.index.tolist() == ["7157", "1956"]
    assert matrix.data["s1"].isna().tolist() == [False, True]


def test_xlsx_rows_stop_at_the_row_limit():
    with pytest.raises(formats.InputError, match="more than 1 rows"):
        formats.xlsx_rows(_xlsx([["a"], ["b"]]), max_rows=1)


def test_a_single_column_table_is_refused(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("gene;a\nTP53;1\n")
    with pytest.raises(formats.InputError, match="single column"):
        formats.read_table(path)
