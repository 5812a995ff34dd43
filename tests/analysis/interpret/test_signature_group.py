"""Run kind signature_group: clustering, PCA, t-SNE and correlations of several signatures.

Expected structure from outside the code: the SKB set's HDAC inhibitors (trichostatin A,
HC-toxin, vorinostat) share a strong transcriptional response, so they cluster together apart
from unrelated compounds; the correlation matrix equals numpy's Pearson correlation.
"""

import numpy as np
import pytest
from django.test import TestCase

from analysis.choices import RunStatus
from analysis.models import AnalysisRun
from analysis.runs.selectors import run_table
from signatures.io import library_open
from tests.analysis.interpret import data as interpret_data

pytestmark = pytest.mark.django_db

HDACI = ["vorinostat__SKB__trt_cp", "trichostatin-a__SKB__trt_cp", "HC-toxin__SKB__trt_cp"]
OTHERS = ["huperzine-a__SKB__trt_cp", "XE-991__SKB__trt_cp", "fillalbin__SKB__trt_cp"]


@pytest.fixture
def skb():
    interpret_data.load_genes()
    interpret_data.load_skb()


def submit(client, params):
    client.force_login(
        __import__("django.contrib.auth", fromlist=["get_user_model"])
        .get_user_model()
        .objects.create_user("ann", password="pw-ann-123456")
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            "/api/v1/analyses/",
            {"kind": "signature_group", "params": params},
            content_type="application/json",
        )


def test_hdac_inhibitors_cluster_together_and_the_page_shows_four_plots(client, skb):
    response = submit(client, {"signatures": HDACI + OTHERS, "n_genes": 30})
    assert response.status_code == 201, response.content
    run = AnalysisRun.objects.get(pk=response.json()["id"])
    assert run.status == RunStatus.SUCCEEDED, run.error
    order = run.summary["cluster_order"]
    positions = sorted(order.index(s) for s in HDACI)
    assert positions[-1] - positions[0] == 2  # adjacent leaves of the dendrogram
    corr = run_table(run=run, name="correlation").set_index("signature")
    lib = library_open(slug="lincs-skb-100")
    a, b = (np.asarray(lib.logfc[:, lib.column(s)]) for s in HDACI[:2])
    assert corr.loc[HDACI[0], HDACI[1]] == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)
    embedding = run_table(run=run, name="embedding")
    assert {"PC1", "PC2", "tSNE1", "tSNE2", "perturbagen"} <= set(embedding.columns)
    assert len(run_table(run=run, name="heatmap")) == 30
    page = client.get(f"/runs/{run.pk}/")
    assert page.content.count(b'class="figure"') == 4


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"signatures": ["vorinostat__SKB__trt_cp"]}, "between 2 and 200"),
        ({"signatures": ["vorinostat__SKB__trt_cp", "NOPE"]}, "unknown signature(s): NOPE"),
        ({"signatures": HDACI, "method": "kendall"}, "pearson' or 'spearman"),
    ],
)
def test_bad_groups_are_refused_with_a_message(client, skb, params, message):
    response = submit(client, params)
    assert response.status_code == 400
    assert message in str(response.json())
