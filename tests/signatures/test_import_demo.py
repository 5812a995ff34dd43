"""load_demo: a quick subset, and one full load run twice (idempotent)."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from catalog.models import CellLine, Collection, Dataset
from catalog.storage import dataset_matrix
from signatures.io import library_open
from signatures.models import Gene, Perturbagen, Signature, SignatureLibrary
from tests.factories import catalogue_state

pytestmark = pytest.mark.django_db


def test_the_demo_subset_makes_collections_and_a_curator_who_can_log_in(settings):
    settings.DEBUG = True  # `make run`: the README's demo password
    call_command(
        "load_demo", "--only", "collections", "curators", "cell-lines", stdout=io.StringIO()
    )
    assert Collection.objects.count() == 9
    assert all(c.description for c in Collection.objects.all())
    request = RequestFactory().post("/accounts/login/")  # the lockout checks need one
    curator = authenticate(request, username="curator", password="curator-demo")
    assert curator and curator.is_staff and curator.has_perm("catalog.add_dataset")
    assert CellLine.objects.get(name="MCF7").tissue


@pytest.mark.django_db(transaction=False)
def test_the_full_demo_loads_real_data_and_a_second_run_changes_nothing(settings):
    call_command("load_demo", stdout=io.StringIO())
    assert Gene.objects.filter(is_lincs=True).count() == 12328
    assert SignatureLibrary.objects.get(slug="lincs-modz-272").n_signatures == 272
    assert library_open(slug="ilincs-lincscp-20").logfc.shape == (497, 20)
    assert Signature.objects.filter(library__slug="lincs-shrna-litmus").count() == 374
    assert Signature.objects.filter(library__slug="lincs-skb-100").count() == 100
    # Repurposing Hub / signatureSearch: sirolimus is an MTOR inhibitor
    assert "MTOR" in Perturbagen.objects.get(accession="BRD-K84937637").targets
    rppa = Dataset.objects.get(accession="TCGA_BRCA_RPPA")
    subtypes = [s.metadata["pam50_subtype"] for s in rppa.samples.all()]
    assert (subtypes.count("LumA"), subtypes.count("Basal"), subtypes.count("Her2")) == (75, 45, 30)
    assert dataset_matrix(Dataset.objects.get(accession="GSE147507")).shape == (21797, 40)
    before = catalogue_state(settings.DATA_DIR)
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert catalogue_state(settings.DATA_DIR) == before
    lines = out.getvalue().splitlines()
    assert not [line for line in lines if line.startswith(("created", "updated"))]
    assert "genes: 0 created, 0 updated, 12328 unchanged" in lines
