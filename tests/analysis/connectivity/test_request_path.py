"""The per-request path of POST /api/v1/connectivity/ around the engine: query parsing, gene
resolution, the library look-up and the catalogue annotations of the returned rows."""

import numpy as np
import pytest

from analysis.connectivity.services import _library_first, connectivity_query, public_library
from analysis.engine.connectivity import QueryError, parse_query
from signatures import io
from signatures.models import Gene, Perturbagen, Signature, SignatureLibrary

pytestmark = pytest.mark.django_db


@pytest.fixture
def library():
    """Genes Entrez 1001..1040 (symbols G1..G40); signatures S_0..S_11, the catalogue rows of
    S_10 and S_11 swapped relative to the matrices, S_9 without a catalogue row."""
    rng = np.random.default_rng(5)
    genes = np.arange(1001, 1041)
    ids = [f"S_{j}" for j in range(12)]
    writer = io.LibraryWriter(slug="path-lib", genes=genes, n_signatures=12, has_pvalues=True)
    writer.add_block(
        signature_ids=ids,
        logfc=rng.standard_normal((40, 12)),
        pvalue=rng.uniform(1e-4, 1, (40, 12)),
    )
    lib = SignatureLibrary.objects.create(slug="path-lib", name="Path", version=writer.commit())
    drug = Perturbagen.objects.create(accession="BRD-P", name="pathinib", kind="compound")
    for j, acc in enumerate(ids[:9]):
        Signature.objects.create(
            accession=acc, library=lib, column=j, perturbagen=drug, dose=2.5, dose_unit="uM"
        )
    Signature.objects.create(accession="S_10", library=lib, column=11, time=6, time_unit="h")
    Signature.objects.create(accession="S_11", library=lib, column=10, time=24, time_unit="h")
    Gene.objects.bulk_create(Gene(entrez_id=int(g), symbol=f"G{g - 1000}") for g in genes)
    Gene.objects.create(entrez_id=7157, symbol="TP53")  # known, not in the library
    return lib


def counting(resolve):
    calls = []

    def counted(ids):
        calls.append(list(ids))
        return resolve(ids)

    return counted, calls


def by_symbol(ids):
    return {i: 1000 + int(i[1:]) for i in ids if i.startswith("G") and i[1:].isdigit()}


def test_a_full_signature_resolves_its_genes_once_and_keeps_first_occurrences():
    resolve, calls = counting(by_symbol)
    parsed = parse_query(
        {"genes": ["G1", " G2 ", "X", "G1", "G3"], "logFC": [1, 2.5, 3, 1.0, None]},
        resolve=resolve,
    )
    assert len(calls) == 1
    assert parsed.query.genes.tolist() == [1001, 1002, 1003]
    assert parsed.query.logfc[:2].tolist() == [1.0, 2.5]
    assert np.isnan(parsed.query.logfc[2])
    assert parsed.unknown == ("X",)
    assert parsed.n_given == 5


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1, 2, 3], [1.0, 2.0, 3.0]), (["1.5", 2, None], [1.5, 2.0, None]), ([True, 2.0, 0], None)],
)
def test_numbers_may_be_ints_numeric_strings_or_null(values, expected):
    parsed = parse_query({"genes": ["G1", "G2", "G3"], "logFC": values}, resolve=by_symbol)
    got = [None if np.isnan(v) else v for v in parsed.query.logfc.tolist()]
    assert got == (expected or [float(v) for v in values])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["x", 1.0], "logFC must contain numbers (or null)"),
        ([[1.0], [2.0]], "logFC must contain numbers (or null)"),
        ([[1.0], 2.0], "logFC must contain numbers (or null)"),
        ([{}, 1.0], "logFC must contain numbers (or null)"),
        (["NaN", 1.0], "logFC values must be finite numbers (null for a missing value)"),
        ([float("inf"), 1.0], "logFC values must be finite numbers (null for a missing value)"),
        ([10**400, 1.0], "logFC values must be finite numbers"),
        ([1.0], "logFC must be a list with one number per gene (2)"),
        ("1, 2", "logFC must be a list with one number per gene (2)"),
    ],
)
def test_bad_numbers_are_refused_with_the_same_messages(values, message):
    with pytest.raises(QueryError) as caught:
        parse_query({"genes": ["G1", "G2"], "logFC": values}, resolve=by_symbol)
    assert message in str(caught.value)


def test_gene_ids_must_be_strings_or_numbers():
    assert parse_query({"genes": [1001, "G2"]}, resolve=lambda ids: {"1001": 1001}).n_given == 2
    with pytest.raises(QueryError, match="genes must be a list of gene symbols or Entrez ids"):
        parse_query({"genes": ["G1", {"id": 2}]}, resolve=by_symbol)
    with pytest.raises(QueryError, match="up must be a list"):
        parse_query({"up": "G1"}, resolve=by_symbol)


def test_a_gene_repeated_with_another_value_names_both_spellings():
    def resolve(ids):
        return by_symbol(ids) | {i: int(i) for i in ids if i.isdigit()}

    same = parse_query({"genes": ["G1", "G2", "1001"], "logFC": [1, 2, 1]}, resolve=resolve)
    assert same.query.genes.tolist() == [1001, 1002]
    with pytest.raises(QueryError, match=r"gene 'G1' is given twice \('G1' and '1001'\)"):
        parse_query({"genes": ["G1", "G2", "1001"], "logFC": [1, 2, 3]}, resolve=resolve)


def test_the_library_resolver_knows_stored_ids_and_asks_the_gene_table_for_the_rest(library):
    resolve = _library_first(io.library_open(slug="path-lib"))
    ids = ["1001", "01002", "G3", "TP53", "7157", "NOPE", "99999"]
    known = resolve(ids)
    assert {i: known.get(i) for i in ids} == {
        "1001": 1001,
        "01002": 1002,
        "G3": 1003,
        "TP53": 7157,
        "7157": 7157,
        "NOPE": None,
        "99999": None,
    }
    stored = resolve(["1001", "1040"])  # all stored as spelled: no gene table query
    assert (stored["1001"], stored["1040"]) == (1001, 1040)


def test_only_a_published_library_is_found_and_its_other_fields_load_on_demand(library):
    found = public_library(slug="path-lib")
    assert (found.pk, found.slug, found.name) == (library.pk, "path-lib", "Path")
    assert public_library(slug="nope") is None
    SignatureLibrary.objects.filter(pk=library.pk).update(is_public=False)
    assert public_library(slug="path-lib") is None


def test_rows_are_annotated_by_accession_even_when_the_catalogue_columns_disagree(library):
    genes = [str(g) for g in range(1001, 1041)]
    result = connectivity_query(
        library=library,
        metric="pearson",
        query={"genes": genes, "logFC": np.linspace(-2, 2, 40).tolist()},
        top=12,
    )
    rows = {row["signature"]: row for row in result["rows"]}
    assert len(rows) == 12
    assert rows["S_0"]["perturbagen"] == "pathinib"
    assert rows["S_0"]["dose"] == "2.5 uM"
    assert (rows["S_10"]["time"], rows["S_11"]["time"]) == ("6 h", "24 h")
    assert [rows["S_9"][k] for k in ("perturbagen", "cell_line", "dose", "time")] == [""] * 4
    assert list(result["rows"][0]) == [
        "signature",
        "similarity",
        "pValue",
        "FDR",
        "nGenes",
        "lowOverlap",
        "perturbagen",
        "cell_line",
        "dose",
        "time",
    ]


def test_a_request_by_entrez_ids_costs_two_queries(client, library, django_assert_num_queries):
    Signature.objects.filter(accession__in=["S_10", "S_11"]).delete()
    for j in (9, 10, 11):
        Signature.objects.create(accession=f"S_{j}", library=library, column=j)
    body = {
        "library": "path-lib",
        "metric": "extreme",
        "top": 5,
        "query": {
            "genes": [str(g) for g in range(1001, 1041)],
            "logFC": np.linspace(-2, 2, 40).tolist(),
            "pvalue": np.linspace(0.001, 0.5, 40).tolist(),
        },
    }
    with django_assert_num_queries(2):  # the library, the annotations
        response = client.post("/api/v1/connectivity/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["rows"][0]["nGenes"] == 40


def test_a_query_that_is_not_an_object_gets_a_400(client, library):
    body = {"library": "path-lib", "metric": "pearson", "query": ["G1", "G2"]}
    response = client.post("/api/v1/connectivity/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"query": ["query must be an object"]}
