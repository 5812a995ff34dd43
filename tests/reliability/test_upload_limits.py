"""Upload size and row limits are the portal's settings, with a message naming the limit."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from analysis.connectivity.uploads import CHUNK_BYTES, UploadError, parse_upload

pytestmark = pytest.mark.django_db

TABLE = "gene\tlogFC\n" + "".join(f"G{i}\t{i / 10}\n" for i in range(10))


def test_a_pasted_table_over_the_row_limit_is_refused_naming_the_limit(client, settings):
    settings.PORTAL_MAX_UPLOAD_ROWS = 5
    answer = client.post("/query/recognise/", {"text": TABLE}).json()
    assert answer["error"] == "the upload has more than 5 lines; at most 5 are read"


def test_a_file_over_the_byte_limit_is_refused_naming_the_limit(client, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 64
    upload = SimpleUploadedFile("sig.tsv", TABLE.encode(), content_type="text/tab-separated-values")
    answer = client.post("/query/recognise/", {"file": upload})
    # the request itself is over the limit: refused before the body is read
    assert answer.status_code == 413


class CountingFile(io.BytesIO):
    """A file that remembers how many bytes were read from it."""

    n_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.n_read += len(data)
        return data


LONG_TABLE = b"gene\tlogFC\n" + b"".join(b"G%d\t0.5\n" % i for i in range(500_000))


def test_a_file_over_the_row_limit_is_refused_after_reading_only_its_first_chunks():
    file = CountingFile(LONG_TABLE)  # ~6 MB
    with pytest.raises(UploadError, match="more than 1,000 lines"):
        parse_upload(file=file, filename="long.tsv", max_rows=1000, max_bytes=10**9)
    assert file.n_read <= 2 * CHUNK_BYTES < len(LONG_TABLE) / 10


def test_a_file_over_the_byte_limit_is_refused_once_the_limit_is_passed():
    file = CountingFile(LONG_TABLE)
    with pytest.raises(UploadError, match="larger than"):
        parse_upload(file=file, filename="long.tsv", max_rows=10**9, max_bytes=1_000_000)
    assert file.n_read <= 1_000_000 + CHUNK_BYTES


def test_a_single_endless_line_is_refused_before_it_is_held_whole():
    file = CountingFile(b"G1 " * 2_000_000)  # 6 MB, no newline
    with pytest.raises(UploadError, match="longer than 1 MB"):
        parse_upload(file=file, filename="genes.txt", max_bytes=10**9)
    assert file.n_read <= 1024 * 1024 + 2 * CHUNK_BYTES


def test_a_wide_table_is_refused_past_its_cell_limit():
    row = "\t".join(["1.0"] * 100)
    text = "gene\t" + row + "\n" + "".join(f"G{i}\t{row}\n" for i in range(50))
    with pytest.raises(UploadError, match="cells"):
        parse_upload(text=text, max_rows=100)


def test_a_gct_upload_obeys_the_row_limit_as_a_table_does():
    rows = "".join(f"G{i}\tx\t1.0\n" for i in range(60))
    gct = f"#1.2\n60\t1\nName\tDescription\tA\n{rows}".encode()
    with pytest.raises(UploadError, match="declares 60 rows; at most 50"):
        parse_upload(data=gct, filename="sig.gct", max_rows=50)
    lying = gct.replace(b"\n60\t1\n", b"\n5\t1\n")  # declares 5, holds 60
    with pytest.raises(UploadError, match="more than the 5 rows it declares"):
        parse_upload(data=lying, filename="sig.gct", max_rows=50)
    assert len(parse_upload(data=gct, filename="sig.gct", max_rows=60).payload["genes"]) == 60


def test_a_utf16_file_is_read_a_chunk_at_a_time():
    text = "gene\tlogFC\n" + "".join(f"G{i}\t0.5\n" for i in range(20_000))
    parsed = parse_upload(data=text.encode("utf-16"), filename="sig.txt")
    assert len(parsed.payload["genes"]) == 20_000 and parsed.payload["genes"][-1] == "G19999"
