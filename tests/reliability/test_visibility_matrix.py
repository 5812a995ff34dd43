"""Every run kind x every private input it can read x every persona: the visibility rule.

The cases come from the registry: each kind says what its parameters may point at
(``register(..., reads=...)``), and each of those inputs is tried with Alice's private things
(her private build run and dataset) and with an unpublished library and its signature. A new
kind fails here until it declares its inputs and has base parameters below.
"""

from __future__ import annotations

import pandas as pd
import pytest
from django.test import Client

from analysis.choices import RunKind, RunStatus
from analysis.models import AnalysisRun
from analysis.runs.registry import READS, RunInputError, reads_of, registered_kinds
from analysis.runs.services import analysis_submit
from catalog.models import Sample
from ilincs_site.permissions import Role
from signatures.models import GeneSet, GeneSetLibrary
from tests.reliability.conftest import N_GENES

pytestmark = pytest.mark.django_db

PERSONAS = ("owner", Role.REGISTERED, Role.ANONYMOUS, Role.CURATOR)


def _private_build_run(world, settings) -> AnalysisRun:
    """Alice's private, finished build run with a real signature table."""
    run = AnalysisRun.objects.create(
        kind=RunKind.BUILD_SIGNATURE,
        params={"dataset": world.private_dataset.accession},
        status=RunStatus.SUCCEEDED,
        owner=world.users["owner"],
        is_public=False,
        progress=100,
    )
    folder = settings.DATA_DIR / "runs" / str(run.pk)
    folder.mkdir(parents=True)
    genes = range(5001, 5001 + N_GENES)
    pd.DataFrame(
        {
            "entrez": list(genes),
            "symbol": [f"RELG{i + 1}" for i in range(N_GENES)],
            "logFC": [((-1) ** i) * (i + 1) / 10 for i in range(N_GENES)],
            "P.Value": [0.5 / (i + 1) for i in range(N_GENES)],
        }
    ).to_csv(folder / "signature.tsv", sep="\t", index=False)
    run.result_dir = str(folder)
    run.save()
    return run


@pytest.fixture
def inputs(world, settings):
    """What each kind of input looks like when it points at a private thing, and who may
    read that thing (besides staff, who read everything)."""
    private = world.private_dataset
    for i, x in enumerate(["1", "1", "2", "2"]):
        Sample.objects.update_or_create(
            dataset=private,
            name=f"{private.accession}_S{i + 1}",
            defaults={"position": i, "metadata": {"x": x}},
        )
    library = GeneSetLibrary.objects.create(slug="rel-sets", name="Reliability sets")
    GeneSet.objects.create(library=library, name="SET1", genes=[f"RELG{i}" for i in range(1, 21)])
    build = _private_build_run(world, settings)
    return {
        "source": {
            "private build run": ({"run": build.pk}, {"owner"}),
            "unpublished signature": ({"signature": world.private_signature.accession}, set()),
        },
        "library": {"unpublished library": (world.private_library.slug, set())},
        "dataset": {"private dataset": (private.accession, {"owner"})},
        "signatures": {
            "unpublished signature": (
                [world.public_signature.accession, world.private_signature.accession],
                set(),
            )
        },
    }


def base_params(kind: str, world) -> dict:
    """Parameters of ``kind`` that every persona may submit: public things only."""
    public = {"signature": world.public_signature.accession}
    return {
        RunKind.BUILD_SIGNATURE: {
            "dataset": world.public_dataset.accession,
            "treatment": "x=1",
            "baseline": "x=2",
            "method": "limma",
        },
        RunKind.CONNECTIVITY: {"source": public, "library": "public-lib", "metric": "pearson"},
        RunKind.ENRICHMENT: {"source": public},
        RunKind.GSEA: {"source": public},
        RunKind.MOA_GENETIC: {"source": public, "library": "public-lib"},
        RunKind.MOA_TARGETS: {"source": public, "library": "public-lib"},
        RunKind.SIGNATURE_GROUP: {
            "signatures": [world.public_signature.accession, "PUBLIC_LIB_1"],
        },
    }[kind]


def cases():
    for kind in registered_kinds():
        for what in reads_of(kind) or ():
            yield kind, what


def test_every_kind_says_what_it_reads():
    undeclared = [k for k in registered_kinds() if reads_of(k) is None]
    assert not undeclared, f"declare reads=... in register() for {undeclared}"
    assert {w for k in registered_kinds() for w in reads_of(k)} <= set(READS)


def test_every_kind_has_base_parameters_here(world):
    for kind in registered_kinds():
        base_params(kind, world)  # KeyError: add the new kind to base_params


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("kind", "what"), list(cases()))
def test_a_run_reads_a_private_input_only_when_its_submitter_may(
    world, inputs, kind, what, persona
):
    user = world.users[persona]
    for label, (value, readers) in inputs[what].items():
        params = {**base_params(kind, world), what: value}
        allowed = persona == Role.CURATOR or persona in readers
        before = AnalysisRun.objects.count()
        if allowed:
            run = analysis_submit(user=user, kind=kind, params=params)
            assert run.params[what] == value, label
        else:
            with pytest.raises(RunInputError, match=r"^no |not a signature-building|unknown"):
                analysis_submit(user=user, kind=kind, params=params)
            assert AnalysisRun.objects.count() == before, label


@pytest.mark.parametrize(("kind", "what"), [c for c in cases() if c[1] == "source"])
def test_the_api_refuses_another_users_private_source(world, inputs, kind, what):
    client = Client()
    client.force_login(world.users[Role.REGISTERED])
    for label, (value, _) in inputs[what].items():
        body = {"kind": kind, "params": {**base_params(kind, world), what: value}}
        before = AnalysisRun.objects.count()
        response = client.post("/api/v1/analyses/", body, content_type="application/json")
        assert response.status_code == 400, (label, response.content)
        assert AnalysisRun.objects.count() == before


@pytest.mark.parametrize("kind", ["enrichment", "gsea", "moa", "moa_targets", "moa_genetic"])
@pytest.mark.parametrize("persona", [Role.ANONYMOUS, Role.REGISTERED])
def test_interpret_launch_refuses_a_private_run_or_signature(world, inputs, kind, persona):
    client = Client()
    if world.users[persona] is not None:
        client.force_login(world.users[persona])
    build = inputs["source"]["private build run"][0]["run"]
    before = AnalysisRun.objects.count()
    for field, value in (("run", build), ("signature", world.private_signature.accession)):
        response = client.post("/interpret/launch/", {"kind": kind, field: value})
        assert response.status_code == 404, (field, response.status_code)
    assert AnalysisRun.objects.count() == before


@pytest.mark.parametrize("value", ["abc", "1.5", "-3", "²", "9" * 40])
def test_pages_answer_404_for_a_malformed_run_id(world, inputs, value):
    client = Client()
    assert client.post("/interpret/launch/", {"kind": "gsea", "run": value}).status_code == 404
    assert client.get(f"/pathways/rel-sets/?term=SET1&run={value}").status_code == 404
    assert client.get(f"/group-analysis/?from_run={value}").status_code == 404


@pytest.mark.parametrize("value", ["abc", "", "1e9", "-4"])
def test_the_network_page_reads_a_malformed_gene_count_as_the_default(world, inputs, value):
    acc = world.public_signature.accession
    response = Client().get(f"/signatures/{acc}/network/?n={value}")
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["12", [1], {"id": 1}, True, None, 1.5, "x" * 100])
def test_a_source_run_of_the_wrong_type_is_a_clear_400(world, value):
    client = Client()
    client.force_login(world.users["owner"])
    body = {"kind": "gsea", "params": {"source": {"run": value}}}
    response = client.post("/api/v1/analyses/", body, content_type="application/json")
    assert response.status_code == 400
    assert "run" in response.json()["params"][0]


def test_a_page_coloured_by_a_public_run_does_not_read_its_private_source(world, inputs):
    """Alice publishes a GSEA run of her private build: its tables are public, the built
    signature's values are not."""
    build = inputs["source"]["private build run"][0]["run"]
    run = AnalysisRun.objects.create(
        kind=RunKind.GSEA,
        params={"source": {"run": build}},
        status=RunStatus.SUCCEEDED,
        owner=world.users["owner"],
        is_public=True,
    )
    url = f"/pathways/rel-sets/?term=SET1&run={run.pk}"
    assert Client().get(url).status_code == 404
    owner = Client()
    owner.force_login(world.users["owner"])
    page = owner.get(url)
    assert page.status_code == 200
    assert b"RELG1" in page.content


def _client(world, persona) -> Client:
    client = Client()
    if world.users[persona] is not None:
        client.force_login(world.users[persona])
    return client


def _queued_public_run(world) -> AnalysisRun:
    return AnalysisRun.objects.create(
        kind="connectivity",
        params={"library": "public-lib"},
        status=RunStatus.QUEUED,
        owner=world.users["owner"],
        is_public=True,
    )


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("owner", True), (Role.CURATOR, True), (Role.REGISTERED, False), (Role.ANONYMOUS, False)],
)
@pytest.mark.parametrize("route", ["html", "api"])
def test_only_the_owner_or_staff_may_cancel_a_public_run(world, persona, allowed, route):
    run = _queued_public_run(world)
    client = _client(world, persona)
    url = f"/runs/{run.pk}/cancel/" if route == "html" else f"/api/v1/analyses/{run.pk}/cancel/"
    response = client.post(url)
    run.refresh_from_db()
    assert (run.status == RunStatus.CANCELLED) == allowed
    if not allowed:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", [Role.REGISTERED, Role.ANONYMOUS])
def test_another_persona_may_not_run_a_public_run_again_from_its_page(world, persona):
    run = _queued_public_run(world)
    before = AnalysisRun.objects.count()
    response = _client(world, persona).post(f"/runs/{run.pk}/again/")
    assert response.status_code == 403
    assert AnalysisRun.objects.count() == before


def test_an_anonymous_visitor_may_cancel_the_run_of_their_own_session(world):
    client = Client()
    run = _queued_public_run(world)
    run.owner = None
    run.save()
    session = client.session
    session["my_runs"] = [run.pk]
    session.save()
    assert client.post(f"/runs/{run.pk}/cancel/").status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
