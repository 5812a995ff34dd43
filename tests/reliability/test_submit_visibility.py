"""A run can only read what its submitter may see: private runs, unpublished libraries and
their signatures, and private datasets are refused at submission, before any row exists."""

import pytest

from analysis.models import AnalysisRun
from analysis.runs.registry import RunInputError
from analysis.runs.services import analysis_submit

pytestmark = pytest.mark.django_db


def params_reading(world, what: str) -> tuple[str, dict]:
    public = world.public_signature.accession
    if what == "private run":
        return "connectivity", {
            "source": {"run": world.private_run.pk},
            "library": "public-lib",
            "metric": "pearson",
        }
    if what == "unpublished library":
        return "connectivity", {
            "source": {"signature": public},
            "library": world.private_library.slug,
            "metric": "pearson",
        }
    if what == "unpublished signature":
        return "signature_group", {
            "signatures": [public, world.private_signature.accession],
        }
    return "build_signature", {
        "dataset": world.private_dataset.accession,
        "treatment": "x=1",
        "baseline": "x=2",
        "method": "limma",
    }


@pytest.mark.parametrize(
    "what", ["private run", "unpublished library", "unpublished signature", "private dataset"]
)
@pytest.mark.parametrize("role", ["anonymous", "registered"])
def test_outsiders_cannot_submit_runs_that_read_private_things(world, role, what):
    kind, params = params_reading(world, what)
    before = AnalysisRun.objects.count()
    with pytest.raises(RunInputError, match=r"^no |not a signature-building run|unknown signature"):
        analysis_submit(user=world.users[role], kind=kind, params=params)
    assert AnalysisRun.objects.count() == before


def test_the_owner_may_submit_a_run_reading_her_own_private_signature_run(world):
    """Alice's private run is not a build run, so the refusal names that, not visibility."""
    kind, params = params_reading(world, "private run")
    with pytest.raises(RunInputError, match="not a signature-building run"):
        analysis_submit(user=world.users["owner"], kind=kind, params=params)


def test_staff_may_use_an_unpublished_library(world):
    kind, params = params_reading(world, "unpublished library")
    run = analysis_submit(user=world.users["admin"], kind=kind, params=params)
    assert run.params["library"] == world.private_library.slug
