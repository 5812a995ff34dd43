"""Malformed input, table-driven, for every upload, import and API action.

Each case gets a specific message (400 / form error / one-line CLI error) and leaves the
database and the store exactly as they were (row counts and files compared before/after).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from analysis.models import AnalysisRun
from tests.factories import catalogue_state

pytestmark = pytest.mark.django_db
TRIED: dict[str, int] = {}


def _count(suite: str) -> None:
    TRIED[suite] = TRIED.get(suite, 0) + 1


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb() -> bytes:
    """An .xlsx-shaped archive whose sheet inflates to 200 MB from ~200 kB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))
    return out.getvalue()


@pytest.fixture
def state(world, settings):
    def snapshot():
        return catalogue_state(settings.DATA_DIR), AnalysisRun.objects.count()

    return snapshot


# --- uploads (query page: file upload, recognised-genes check) ------------------------------

UPLOADS = [
    ("wrong delimiter", "sig.txt", b"gene|logFC|p\nRELG1|1.5|0.01\nRELG2|-2|0.2\n", "'|'"),
    ("p above one", "sig.tsv", b"gene\tlogFC\tpvalue\nRELG1\t1\t1.5\n", "between 0 and 1"),
    ("negative p", "sig.tsv", b"gene\tlogFC\tpvalue\nRELG1\t1\t-0.1\n", "between 0 and 1"),
    ("infinite p", "sig.tsv", b"gene\tlogFC\tpvalue\nRELG1\t1\tinf\n", "between 0 and 1"),
    ("infinite logFC", "sig.tsv", b"gene\tlogFC\nRELG1\tinf\nRELG2\t1\n", "finite"),
    ("text logFC", "sig.tsv", b"gene\tlogFC\nRELG1\tup-ish\n", "not a number"),
    ("empty file", "sig.tsv", b"", "nothing to read"),
    ("blank lines only", "sig.tsv", b"  \n\n", "nothing to read"),
    ("header only", "sig.tsv", b"gene\tlogFC\n", "no data rows"),
    ("binary", "sig.tsv", b"\x00\x01\x02abc", "binary"),
    ("gzip", "sig.tsv.gz", b"\x1f\x8b\x08\x00rest", "compressed"),
    ("old excel", "sig.xls", b"\xd0\xcf\x11\xe0rest", ".xlsx"),
    ("damaged xlsx", "sig.xlsx", b"PK\x03\x04 not really a zip", "damaged"),
    ("zip bomb xlsx", "sig.xlsx", zip_bomb(), "unpacks to"),
    (
        "GCT row short",
        "sig.gct",
        b"#1.2\n2\t2\nName\tDesc\tA\tB\nRELG1\tx\t1\t2\nRELG2\n",
        "fields",
    ),
    ("GCT row long", "sig.gct", b"#1.2\n1\t1\nName\tDesc\tA\nRELG1\tx\t1\t2\t3\n", "fields"),
    ("GCT bad dims", "sig.gct", b"#1.3\n1\t1\t-1\t0\nName\tA\nRELG1\t1\n", "negative"),
    ("NUL in a gene", "sig.tsv", b"gene\tlogFC\nREL\x00G1\t1.0\n", "binary"),
]


@pytest.mark.parametrize("case, filename, data, message", UPLOADS, ids=[u[0] for u in UPLOADS])
def test_a_malformed_upload_is_refused_with_a_specific_message(
    client, state, case, filename, data, message
):
    before = state()
    response = client.post("/query/recognise/", {"file": io.BytesIO(data) | _named(filename)})
    _count("uploads")
    assert response.status_code in {200, 400}
    assert message in response.json()["error"]
    assert state() == before


def _named(filename):
    class Named:
        def __ror__(self, buffer):
            buffer.name = filename
            return buffer

    return Named()


READABLE_UPLOADS = [
    ("utf-8 BOM", "\ufeffgene\tlogFC\tpvalue\nRELG1\t1.5\t0.01\nRELG2\t-1\t0.2\n".encode()),
    ("latin-1", "gene;logFC;pvalue\nRELG1;1,5;0,01\nRELG2;-1;0,2\nCAFÉ;1;0,5\n".encode("latin-1")),
    ("excel with BOM", xlsx([["\ufeffgene", "logFC"], ["RELG1", 1.5], ["RELG2", -1.0]])),
]


@pytest.mark.parametrize("case, data", READABLE_UPLOADS, ids=[u[0] for u in READABLE_UPLOADS])
def test_spreadsheet_exports_with_a_bom_or_latin_1_are_read_correctly(client, state, case, data):
    before = state()
    name = "sig.xlsx" if data.startswith(b"PK") else "sig.txt"
    response = client.post("/query/recognise/", {"file": io.BytesIO(data) | _named(name)})
    _count("uploads")
    body = response.json()
    assert "error" not in body, body
    assert body["n_recognised"] == 2
    assert state() == before


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(client, state, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 1000
    before = state()
    data = b"gene\tlogFC\n" + b"RELG1\t1.0\n" * 200  # 2 kB
    response = client.post("/query/recognise/", {"file": io.BytesIO(data) | _named("big.tsv")})
    _count("uploads")
    assert response.status_code == 413
    assert "at most 1,000 bytes" in response.content.decode()
    assert state() == before


def test_an_upload_over_the_row_limit_is_refused(client, state, settings):
    settings.PORTAL_MAX_UPLOAD_ROWS = 50
    before = state()
    data = b"gene\tlogFC\n" + b"".join(b"RELG%d\t1.0\n" % i for i in range(60))
    response = client.post("/query/recognise/", {"file": io.BytesIO(data) | _named("long.tsv")})
    _count("uploads")
    assert "at most 50" in response.json()["error"]
    assert state() == before


# --- connectivity API -------------------------------------------------------------------------


def nested(depth: int) -> str:
    """The JSON text ``{"a": {"a": ... null}}``, ``depth`` objects deep (json.dumps of such a
    value would itself overflow the stack)."""
    return '{"a": ' * depth + "null" + "}" * depth


def with_raw(body: dict, **raw: str) -> str:
    """``body`` as JSON text with the given keys' values spliced in as raw JSON."""
    text = json.dumps({k: v for k, v in body.items() if k not in raw})[:-1]
    return text + "".join(f', "{key}": {value}' for key, value in raw.items()) + "}"


def _query(**query):
    return {"library": "public-lib", "metric": "pearson", "top": 5, "query": query}


GENES = [f"RELG{i}" for i in range(1, 21)]
API_CASES = [
    ("p above one", _query(genes=GENES, logFC=[1.0] * 20, pvalue=[1.5] * 20), "[0, 1]"),
    ("negative p", _query(genes=GENES, logFC=[1.0] * 20, pvalue=[-0.5] * 20), "[0, 1]"),
    ("infinite logFC", _query(genes=GENES, logFC=["Infinity"] + [1.0] * 19), "finite numbers"),
    ("NaN logFC", _query(genes=GENES, logFC=["NaN"] + [1.0] * 19), "finite numbers"),
    ("infinite p", _query(genes=GENES, logFC=[1.0] * 20, pvalue=["Infinity"] * 20), "finite"),
    ("too few numbers", _query(genes=GENES, logFC=[1.0] * 3), "one number per gene"),
    ("text numbers", _query(genes=GENES, logFC=["x"] * 20), "must contain numbers"),
    ("unknown genes only", _query(genes=["NOPE1", "NOPE2"], logFC=[1.0, 2.0]), "none of"),
    (
        "duplicated gene, two values",
        _query(genes=[*GENES, "RELG1"], logFC=[*range(20), 5.0]),
        "twice",
    ),
    (
        "symbol and Entrez id of one gene",
        _query(genes=[*GENES, "5001"], logFC=[*range(20), 7.0]),
        "twice",
    ),
    (
        "empty up and down",
        {**_query(), "metric": "updown", "query": {"up": [], "down": []}},
        "none",
    ),
    ("no genes key", _query(logFC=[1.0]), "genes"),
    ("unknown metric", {**_query(genes=GENES), "metric": "psychic"}, "valid choice"),
    ("unknown library", {**_query(genes=GENES), "library": "nope"}, "unknown library"),
    ("unpublished library", {**_query(genes=GENES), "library": "draft-lib"}, "unknown library"),
    ("top zero", {**_query(genes=GENES, logFC=[1.0] * 20), "top": 0}, "greater than"),
    ("NUL in a gene", _query(genes=["RELG1\x00", *GENES[1:]], logFC=[1.0] * 20), "NUL"),
    (
        "NUL in an up gene",
        {**_query(), "metric": "updown", "query": {"up": ["RELG1\x00"], "down": ["RELG2"]}},
        "NUL",
    ),
    ("a superscript digit", _query(genes=["\u00b2"], logFC=[1.0]), "none of"),
    ("a 30-digit gene id", _query(genes=["9" * 30], logFC=[1.0]), "none of"),
    ("a 5,000-digit gene id", _query(genes=["9" * 5000], logFC=[1.0]), "none of"),
    ("deeply nested query", with_raw(_query(), query=nested(5000)), "depth limit"),
    ("nested query", with_raw(_query(), query=nested(100)), "genes"),
]


@pytest.mark.parametrize("case, body, message", API_CASES, ids=[c[0] for c in API_CASES])
def test_a_malformed_connectivity_query_gets_a_400_naming_the_problem(
    client, state, case, body, message
):
    before = state()
    response = client.post("/api/v1/connectivity/", body, content_type="application/json")
    _count("api")
    assert response.status_code == 400, response.content
    assert message in response.content.decode()
    assert state() == before


def test_a_query_with_more_genes_than_one_database_query_may_name_is_answered(client, state):
    genes = [*GENES, *(f"NOPE{i}" for i in range(260_000))]  # SQLite allows 250,000 per query
    body = {**_query(genes=genes), "metric": "randomset"}
    response = client.post("/api/v1/connectivity/", body, content_type="application/json")
    _count("api")
    assert response.status_code == 200, response.content[:300]  # was a 503 "database down"
    assert response.json()["n_genes_used"] == 20


def test_mixed_gene_ids_are_used_when_known_and_reported_when_not(client, state):
    genes = ["RELG1", "5002", "relg3", "ENSG00000141510", "Trp53", *GENES[5:]]
    body = _query(genes=genes, logFC=[float(i) for i in range(len(genes))])
    response = client.post("/api/v1/connectivity/", body, content_type="application/json")
    _count("api")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["unknown_genes"] == ["ENSG00000141510", "Trp53"]
    assert data["n_genes_used"] == len(genes) - 2


def test_a_query_with_missing_p_values_is_answered_without_nan(client, state):
    body = _query(genes=GENES, logFC=[float(i) - 10 for i in range(20)], pvalue=[None] * 20)
    body["metric"] = "weighted"
    response = client.post("/api/v1/connectivity/", body, content_type="application/json")
    _count("api")
    assert response.status_code in {200, 400}, response.content
    assert "NaN" not in response.content.decode()


ANALYSIS_CASES = [
    ({"kind": "no-such-kind", "params": {}}, "unknown kind"),
    ({"kind": "connectivity", "params": []}, "dictionary"),
    ({"kind": "connectivity", "params": {"library": "public-lib"}}, "source"),
    (
        {
            "kind": "connectivity",
            "params": {"source": {"signature": "NOPE"}, "library": "public-lib"},
        },
        "no signature",
    ),
    (with_raw({"kind": "connectivity"}, params=nested(5000)), "nested deeper than 32"),
    (with_raw({"kind": "connectivity"}, params=nested(100)), "nested deeper than 32"),
    (with_raw({"kind": "connectivity"}, params="[" * 5000 + "]" * 5000), "nested deeper"),
    ({"kind": "connectivity", "params": {"library": "public\x00lib"}}, "NUL"),
    ({"kind": "connectivity", "params": {"lib\x00rary": "public-lib"}}, "NUL"),
]


@pytest.mark.parametrize("body, message", ANALYSIS_CASES)
def test_a_malformed_analysis_submission_gets_a_400_and_creates_no_run(
    client, state, world, body, message
):
    client.force_login(world.users["owner"])
    before = state()
    response = client.post("/api/v1/analyses/", body, content_type="application/json")
    _count("api")
    assert response.status_code == 400, response.content
    assert message in response.content.decode()
    assert state() == before


def test_a_json_body_over_the_request_limit_gets_a_json_413_before_it_is_parsed(
    client, state, world, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(world.users["owner"])
    big = _query(genes=GENES * 10, logFC=[1.0] * 200)  # ~3 kB
    before = state()
    for url, body in [
        ("/api/v1/connectivity/", big),
        ("/api/v1/analyses/", {"kind": "connectivity", "params": big}),
    ]:
        response = client.post(url, body, content_type="application/json")
        _count("api")
        assert response.status_code == 413, (url, response.content)
        assert response["Content-Type"] == "application/json"
        assert "at most 1,000 bytes" in response.json()["detail"]
    assert state() == before


def test_a_json_body_with_too_many_values_gets_a_413_before_it_is_decoded(
    client, state, world, monkeypatch
):
    monkeypatch.setattr("ilincs_site.parsers.MAX_JSON_VALUES", 1000)
    client.force_login(world.users["owner"])
    body = {**_query(genes=GENES, logFC=[1.0] * 20), "padding": [0.1] * 2000}  # 17 kB
    for url, data in [
        ("/api/v1/connectivity/", body),
        ("/api/v1/analyses/", {"kind": "connectivity", "params": body}),
    ]:
        response = client.post(url, data, content_type="application/json")
        _count("api")
        assert response.status_code == 413, (url, response.content)
        assert "at most 1,000 per request" in response.json()["detail"]
    ok = client.post(
        "/api/v1/connectivity/",
        _query(genes=GENES, logFC=[1.0] * 20),
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content


class _Stream(io.BytesIO):
    """A request body whose length is not announced (chunked), counting what is read."""

    n_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.n_read += len(data)
        return data


@pytest.mark.parametrize(
    "parser", ["ilincs_site.fastjson.OrjsonParser", "ilincs_site.parsers.JSONParser"]
)
def test_a_json_body_of_unannounced_length_is_read_only_up_to_the_limit(settings, parser):
    from django.utils.module_loading import import_string

    from ilincs_site.parsers import RequestTooLarge

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    stream = _Stream(b"[" + b"1," * 50_000 + b"1]")
    with pytest.raises(RequestTooLarge, match="at most 1,000 bytes"):
        import_string(parser)().parse(stream, "application/json", {})
    assert stream.n_read == 1001


@pytest.mark.parametrize(
    "data, message",
    [
        ({"up": "RELG1\x00", "down": "RELG2"}, "NUL"),
        ({"text": "RELG1\x00\nRELG2\n"}, "binary"),
        ({"text": "gene\tlogFC\nRELG1\x00\t1.0\n"}, "binary"),
    ],
)
def test_a_nul_character_in_pasted_genes_is_refused(client, state, data, message):
    before = state()
    response = client.post("/query/recognise/", data)
    _count("uploads")
    assert message in response.json()["error"]
    assert state() == before


def test_a_nul_character_in_the_query_page_form_is_a_form_error(client, state, world):
    before = state()
    body = {"up": "RELG1\x00", "down": "RELG2", "library": "public-lib", "metric": "updown"}
    response = client.post("/query/", {**body, "top": 10, "action": "check"})
    _count("uploads")
    assert response.status_code == 400
    assert "Null characters are not allowed" in str(response.context["form"].errors)
    assert state() == before


# --- every error under /api/ is JSON --------------------------------------------------------

API_ERRORS = [
    ("get", "/api/v1/no-such-resource/", 404),
    ("get", "/api/nothing-here", 404),
    ("get", "/api/v1/datasets/NOPE/", 404),
    ("get", "/api/v1/analyses/999999/", 404),
    ("delete", "/api/v1/connectivity/", 405),
    ("patch", "/api/v1/connectivity/", 405),
    ("post", "/api/v1/datasets/", 403),
    ("get", "/api/v1/datasets/GSE1%00/", 400),
    ("get", "/api/v1/signatures/?q=TP53%00", 400),
]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/genes/?q=%C2%B2",
        "/api/v1/genes/?q=" + "9" * 30,
        "/query/?run=%C2%B2",
        "/query/?run=" + "9" * 30,
    ],
)
def test_a_digit_that_is_no_ascii_number_is_no_server_error(client, world, url):
    response = client.get(url)
    _count("api")
    assert response.status_code in {200, 400}, response.content[:300]


@pytest.mark.parametrize(
    "method, url, code", API_ERRORS, ids=[f"{m} {u}" for m, u, _ in API_ERRORS]
)
def test_every_api_error_is_json_with_a_message(client, world, method, url, code):
    response = getattr(client, method)(url)
    _count("api")
    assert response.status_code == code
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_an_unexpected_api_failure_is_a_json_500(client, world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("analysis.connectivity.api.views.connectivity_query", broken)
    client.raise_request_exception = False
    body = _query(genes=GENES, logFC=[1.0] * 20)
    response = client.post("/api/v1/connectivity/", body, content_type="application/json")
    _count("api")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "a bug" not in response.content.decode()  # no internals


def test_html_pages_keep_their_html_error_pages(client, world):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- curator imports (CLI; the admin form uses the same readers and services) ---------------

MATRIX_OK = "gene\tS1\tS2\n1\t1.0\t2.0\n2\t3.0\t4.0\n"
IMPORT_CASES = [
    ("wrong delimiter", "gene|S1|S2\n1|1.0|2.0\n", "single column"),
    ("duplicated genes", "gene\tS1\tS2\n1\t1.0\t2.0\n1\t3.0\t4.0\n", "duplicated gene ids"),
    ("text value", "gene\tS1\tS2\n1\tlots\t2.0\n", "non-numeric value 'lots'"),
    ("ragged row", "gene\tS1\tS2\n1\t1.0\n", "fields"),
    ("empty file", "", "empty"),
    ("header only", "gene\tS1\tS2\n", "no data rows"),
    ("duplicated samples", "gene\tS1\tS1\n1\t1.0\t2.0\n", "duplicated sample ids"),
    ("ragged GCT row", "#1.2\n2\t2\nName\tDesc\tS1\tS2\n1\tx\t1.0\t2.0\n2\tx\t3.0\n", "fields"),
    ("ragged quoted GCT", '#1.2\n2\t2\nName\tDesc\tS1\tS2\n1\t"x"\t1.0\t2.0\n2\t"x"\n', "fields"),
]


def _import_dataset(path: Path) -> None:
    call_command(
        "import_dataset",
        "--accession=GSE_BAD_1",
        "--title=Bad",
        "--collection=reliability",
        f"--matrix={path}",
    )


@pytest.mark.parametrize("case, text, message", IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES])
def test_a_malformed_dataset_import_fails_with_one_line_and_changes_nothing(
    tmp_path, state, case, text, message
):
    path = tmp_path / "matrix.tsv"
    path.write_text(text)
    before = state()
    with pytest.raises(CommandError, match=message.replace("|", r"\|")) as error:
        _import_dataset(path)
    _count("imports")
    assert "\n" not in str(error.value)
    assert state() == before


def test_a_dataset_exported_by_excel_with_a_bom_and_latin_1_imports_cleanly(tmp_path, state):
    path = tmp_path / "matrix.csv"
    path.write_bytes(b"\xef\xbb\xbfgene,S1,S\xe9\n1,1.0,2.0\n2,3.0,4.0\n")
    _import_dataset(path)
    _count("imports")
    from catalog.models import Sample

    names = list(
        Sample.objects.filter(dataset__accession="GSE_BAD_1").values_list("name", flat=True)
    )
    assert names == ["S1", "S\xe9"]


LIBRARY_CASES = [
    (
        "p above one",
        "gene\tA\tB\n5001\t1\t2\n5002\t3\t4\n",
        "gene\tA\tB\n5001\t1.5\t0.1\n5002\t0.1\t0.1\n",
        "[0, 1]",
    ),
    (
        "negative p",
        "gene\tA\tB\n5001\t1\t2\n5002\t3\t4\n",
        "gene\tA\tB\n5001\t-1\t0.1\n5002\t0.1\t0.1\n",
        "[0, 1]",
    ),
    ("duplicated genes", "gene\tA\tB\n5001\t1\t2\n5001\t3\t4\n", None, "duplicated"),
    ("symbols not Entrez ids", "gene\tA\tB\nTP53\t1\t2\nMYC\t3\t4\n", None, "Entrez"),
    (
        "mismatched p matrix",
        "gene\tA\tB\n5001\t1\t2\n5002\t3\t4\n",
        "gene\tA\n5001\t0.1\n5002\t0.1\n",
        "match",
    ),
    ("empty file", "", None, "empty"),
]


@pytest.mark.parametrize(
    "case, logfc, pvalue, message", LIBRARY_CASES, ids=[c[0] for c in LIBRARY_CASES]
)
def test_a_malformed_library_import_fails_and_leaves_db_and_store_unchanged(
    tmp_path, state, case, logfc, pvalue, message
):
    args = ["import_library", "--slug=bad-lib", "--name=Bad", "--kind=chemical"]
    (tmp_path / "logfc.tsv").write_text(logfc)
    args.append(f"--logfc={tmp_path / 'logfc.tsv'}")
    if pvalue is not None:
        (tmp_path / "p.tsv").write_text(pvalue)
        args.append(f"--pvalue={tmp_path / 'p.tsv'}")
    before = state()
    with pytest.raises(CommandError) as error:
        call_command(*args)
    _count("imports")
    assert message in str(error.value)
    assert state() == before


# --- signature construction (CLI): counts, groups ---------------------------------------------

BUILD_CASES = [
    ("negative counts", "edger-ql", [[5, -3, 7, 9], [10, 12, 11, 9]], "non-negative"),
    ("non-integer counts", "edger-ql", [[5.5, 3, 7, 9], [10, 12, 11, 9]], "integer"),
    ("one-sample groups", "limma", [[5, 3], [10, 12]], "sample"),
]


@pytest.mark.parametrize(
    "case, method, values, message", BUILD_CASES, ids=[c[0] for c in BUILD_CASES]
)
def test_bad_counts_or_groups_stop_signature_building_with_one_line(
    tmp_path, case, method, values, message
):
    n = len(values[0])
    samples = [f"S{j}" for j in range(n)]
    rows = ["gene\t" + "\t".join(samples)] + [
        f"{1000 + i}\t" + "\t".join(str(v) for v in row) for i, row in enumerate(values * 10)
    ]
    (tmp_path / "x.tsv").write_text("\n".join(rows) + "\n")
    groups = ["T" if j < n // 2 else "C" for j in range(n)]
    lines = [f"{s}\t{g}\n" for s, g in zip(samples, groups, strict=True)]
    (tmp_path / "g.tsv").write_text("sample\tgroup\n" + "".join(lines))
    out = tmp_path / "out.tsv"
    with pytest.raises((CommandError, ValueError)) as error:  # the CLI prints it on one line
        call_command(
            "build_signature",
            f"--expression={tmp_path / 'x.tsv'}",
            f"--groups={tmp_path / 'g.tsv'}",
            "--treatment=T",
            "--baseline=C",
            f"--method={method}",
            f"--out={out}",
        )
    _count("imports")
    assert message in str(error.value)
    assert not out.exists()


# --- downloads: formula injection ---------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "tsv", "gct"])
def test_downloaded_spreadsheets_never_start_a_text_cell_with_a_formula(world, client, fmt):
    run = world.public_run
    table = "gene\tlogFC\n" + "".join(f"{name}\t-1.5\n" for name in HOSTILE)
    (Path(run.result_dir) / "hostile.tsv").write_text(table)
    response = client.get(f"/runs/{run.pk}/files/hostile.{fmt}")
    _count("downloads")
    assert response.status_code == 200
    if fmt == "csv":
        cells = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
        cells = [[str(a), str(b)] for a, b in sheet.iter_rows(min_row=2, values_only=True)]
    elif fmt == "tsv":
        cells = list(csv.reader(io.StringIO(response.content.decode()), delimiter="\t"))[1:]
    else:  # gct: three header lines, then id, logFC
        cells = [line.split("\t") for line in response.content.decode().splitlines()[3:]]
    assert [gene for gene, _ in cells] == ["'" + name for name in HOSTILE]
    assert {float(value) for _, value in cells} == {-1.5}  # numbers stay numbers


def test_the_api_table_download_never_starts_a_text_cell_with_a_formula(world, client):
    run = world.public_run
    table = "gene\tlogFC\n" + "".join(f"{name}\t-1.5\n" for name in HOSTILE)
    (Path(run.result_dir) / "scores.tsv").write_text(table)
    response = client.get(f"/api/v1/analyses/{run.pk}/download/scores/")
    _count("downloads")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "gene\tlogFC"
    assert [line.split("\t") for line in lines[1:]] == [["'" + n, "-1.5"] for n in HOSTILE]


def test_running_again_a_run_whose_inputs_are_gone_is_refused_with_a_reason(world, client, state):
    client.force_login(world.users["owner"])
    run = world.private_run  # its params name no source any more
    before = state()
    response = client.post(f"/api/v1/analyses/{run.pk}/rerun/")
    _count("api")
    assert response.status_code == 400
    assert "source" in response.json()["params"][0]
    page = client.post(f"/runs/{run.pk}/again/", follow=True)
    assert "cannot be run again" in page.content.decode()
    assert state() == before


def test_an_unknown_filter_parameter_holding_a_percent_sign_gets_a_400(client, world):
    response = client.get("/api/v1/perturbagens/", {"50%off": "1"})
    _count("api")
    assert response.status_code == 400
    assert "Unknown filter parameter '50%off'" in response.json()["50%off"][0]
