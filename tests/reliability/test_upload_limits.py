"""Upload size and row limits are the portal's settings, with a message naming the limit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db

TABLE = "gene\tlogFC\n" + "".join(f"G{i}\t{i / 10}\n" for i in range(10))


def test_a_pasted_table_over_the_row_limit_is_refused_naming_the_limit(client, settings):
    settings.PORTAL_MAX_UPLOAD_ROWS = 5
    answer = client.post("/query/recognise/", {"text": TABLE}).json()
    assert answer["error"] == "the upload has 11 lines; at most 5 are read"


def test_a_file_over_the_byte_limit_is_refused_naming_the_limit(client, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 64
    upload = SimpleUploadedFile("sig.tsv", TABLE.encode(), content_type="text/tab-separated-values")
    answer = client.post("/query/recognise/", {"file": upload})
    # the request itself is over the limit: refused before the body is read
    assert answer.status_code == 413
