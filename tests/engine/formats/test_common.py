"""The shared rules: missing values, the text decoder, the one error type."""

import pytest

from analysis.engine import formats


@pytest.mark.parametrize("token", ["", "NA", "NaN", "nan", "NULL", "null", "N/A", "#N/A", "-666"])
def test_each_documented_token_is_missing(token):
    assert token in formats.MISSING_TOKENS and formats.is_missing(f" {token} ")


def test_a_number_is_not_missing():
    assert not formats.is_missing("-666.5") and not formats.is_missing("0")


@pytest.mark.parametrize(
    "raw",
    [
        "gène".encode(),
        b"\xef\xbb\xbf" + "gène".encode(),
        "gène".encode("utf-16"),
        "gène".encode("latin-1"),
    ],
)
def test_the_decoder_reads_utf8_with_or_without_bom_utf16_and_latin1(raw):
    assert formats.decode_text(raw) == "gène"


def test_the_line_decoder_falls_back_to_latin1_from_the_first_bad_line():
    lines = [b"\xef\xbb\xbfa", "é".encode(), "µ".encode("latin-1"), b"z"]
    assert list(formats.decode_lines(lines)) == ["a", "é", "µ", "z"]


def test_the_input_error_is_a_value_error():
    assert issubclass(formats.InputError, ValueError)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(formats.InputError, match="no such file"):
        formats.read_matrix(tmp_path / "nope.tsv")
