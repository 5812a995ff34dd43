"""Reading uploaded and pasted query signatures: every accepted format, and bad input."""

import io
import zipfile

import openpyxl
import pytest

from analysis.connectivity.uploads import (
    MAX_XLSX_UNCOMPRESSED,
    UploadError,
    parse_upload,
    updown_upload,
    upload_summary,
)
from signatures.models import Gene
from tests.conftest import FIXTURES

ILINCS_FULL = FIXTURES / "ilincs_examples" / "ilincs_signature_LINCSCP_100_full.tsv"
ILINCS_LOGDIFF = FIXTURES / "ilincs_examples" / "ilincs_signature_LINCSCP_1000_genes_logdiff.tsv"
ILINCS_GCT = FIXTURES / "ilincs_examples" / "ilincs_LINCSCP_signatures_n20x497.gct.gz"


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_ilincs_full_download_gives_entrez_ids_logfc_and_p_values():
    parsed = parse_upload(data=ILINCS_FULL.read_bytes(), filename="sig.tsv")
    assert parsed.kind == "signature" and parsed.source_format == "ilincs"
    assert len(parsed.payload["genes"]) == 978
    # first data row of the file: LINCSCP_100 NA 16 AARS 1.047 0.200843393802643
    assert parsed.payload["genes"][0] == "16"
    assert parsed.payload["logFC"][0] == 1.047
    assert parsed.payload["pvalue"][0] == pytest.approx(0.200843393802643)


def test_an_ilincs_logdiff_file_is_a_signature_without_p_values():
    parsed = parse_upload(data=ILINCS_LOGDIFF.read_bytes(), filename="LINCSCP_1000.tsv")
    assert parsed.kind == "signature"
    assert "pvalue" not in parsed.payload
    assert parsed.payload["genes"][:2] == ["16", "23"]
    assert parsed.payload["logFC"][:2] == [-0.339344, -0.660551]


def test_a_csv_with_a_utf8_bom_and_named_columns_is_read():
    data = "\ufeffSymbol,log2FoldChange,pvalue\nTP53,1.5,0.01\nMYC,-2,0.2\n".encode()
    parsed = parse_upload(data=data, filename="deseq.csv")
    assert parsed.payload == {"genes": ["TP53", "MYC"], "logFC": [1.5, -2.0], "pvalue": [0.01, 0.2]}


def test_a_latin1_file_with_semicolons_and_decimal_commas_is_read():
    data = "gène;logFC\nTP53;1,5\nMYC;-0,25\n".encode("latin-1")
    parsed = parse_upload(data=data, filename="excel-export.csv")
    assert parsed.payload == {"genes": ["TP53", "MYC"], "logFC": [1.5, -0.25]}


def test_a_headerless_three_column_paste_is_gene_logfc_pvalue():
    parsed = parse_upload(text="TP53\t1.5\t0.01\nMYC\t-2\t0.5\n")
    assert parsed.payload == {"genes": ["TP53", "MYC"], "logFC": [1.5, -2.0], "pvalue": [0.01, 0.5]}


def test_a_pasted_gene_list_on_one_line_or_many_is_a_gene_list():
    assert parse_upload(text="TP53 MYC  EGFR").payload == {"genes": ["TP53", "MYC", "EGFR"]}
    assert parse_upload(text="TP53\nMYC\n\nEGFR\n").payload == {"genes": ["TP53", "MYC", "EGFR"]}
    assert parse_upload(text="TP53, MYC, EGFR").payload == {"genes": ["TP53", "MYC", "EGFR"]}


def test_up_and_down_columns_of_different_lengths_are_up_down_lists():
    parsed = parse_upload(text="up\tdown\nTP53\tMYC\nEGFR\t\nCDK1\t\n")
    assert parsed.kind == "updown"
    assert parsed.payload == {"up": ["TP53", "EGFR", "CDK1"], "down": ["MYC"]}


def test_a_direction_column_gives_up_down_lists():
    parsed = parse_upload(text="gene\tdirection\nTP53\tup\nMYC\tdown\n")
    assert parsed.payload == {"up": ["TP53"], "down": ["MYC"]}


def test_two_pasted_lists_are_an_up_down_query():
    parsed = updown_upload("TP53, EGFR\nCDK1", "MYC")
    assert parsed.payload == {"up": ["TP53", "EGFR", "CDK1"], "down": ["MYC"]}


def test_an_ilincs_gct_gives_its_first_signature_with_entrez_ids(tmp_path):
    import gzip

    text = gzip.decompress(ILINCS_GCT.read_bytes())
    parsed = parse_upload(data=text, filename="sigs.gct")
    assert parsed.source_format == "gct" and parsed.kind == "signature"
    assert len(parsed.payload["genes"]) == 497
    assert all(g.isdigit() for g in parsed.payload["genes"])  # entrez::symbol::title -> entrez
    assert "20 columns" in parsed.notes[0]


def test_an_excel_sheet_with_numeric_entrez_ids_is_read():
    data = xlsx_bytes([["ID_geneid", "Value_LogDiffExp"], [7157, 1.5], [4609, -2.0]])
    parsed = parse_upload(data=data, filename="sig.xlsx")
    assert parsed.source_format == "xlsx"
    assert parsed.payload == {"genes": ["7157", "4609"], "logFC": [1.5, -2.0]}


def test_an_excel_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (MAX_XLSX_UNCOMPRESSED + 1))
    with pytest.raises(UploadError, match="unpacks to 105 MB"):
        parse_upload(data=buffer.getvalue(), filename="bomb.xlsx")


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.tsv", "nothing to read"),
        (b"gene\tlogFC\nTP53\tabc\n", "x.tsv", "line 2: logFC 'abc' is not a number"),
        (b"gene\tlogFC\tpvalue\nTP53\t1\t3\n", "x.tsv", "p-values must lie between 0 and 1"),
        (b"gene\tlogFC\n", "x.tsv", "a header but no data rows"),
        (b"gene\tname\nTP53\tp53\nMYC\tmyc\n", "x.tsv", "no logFC column"),
        (b"\xd0\xcf\x11\xe0rest", "old.xls", "old .xls workbooks are not read"),
        (b"PK\x03\x04broken", "x.xlsx", "the Excel file is damaged"),
        (b"\x1f\x8b\x08\x00", "x.tsv.gz", "compressed files are not read"),
        (b"#1.2\n5\t1\nName\tDescription\tA\n", "x.gct", "declares 5 x 1 values"),
    ],
)
def test_bad_uploads_are_refused_with_a_specific_message(data, filename, message):
    with pytest.raises(UploadError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_upload(data=data, filename=filename)


@pytest.mark.django_db
def test_the_summary_counts_recognised_and_unknown_genes():
    Gene.objects.create(entrez_id=7157, symbol="TP53")
    Gene.objects.create(entrez_id=4609, symbol="MYC")
    parsed = parse_upload(text="tp53\t1\nMYC\t-1\nNOTAGENE\t2\n")
    summary = upload_summary(parsed)
    assert summary["n_given"] == 3 and summary["n_recognised"] == 2
    assert summary["unknown"] == ["NOTAGENE"] and summary["kind"] == "signature"


@pytest.mark.django_db
def test_a_list_of_unknown_genes_says_how_to_name_them():
    with pytest.raises(UploadError, match="use gene symbols or Entrez ids"):
        upload_summary(parse_upload(text="FOO BAR"))
