"""Imports cost a constant number of queries, however many perturbagens they bring."""

import numpy as np
import pandas as pd
import pytest

from signatures.importers import library_from_frames
from signatures.models import Perturbagen, Signature
from signatures.services import library_import, perturbagens_import

pytestmark = pytest.mark.django_db


def pertinfo(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pert_id": [f"BRD-K{i:08d}" for i in range(n)],
            "pert_iname": [f"drug-{i}" for i in range(n)],
            "pert_type": ["trt_cp"] * n,
        }
    )


def library(n: int, *, tag: str):
    ids = [f"{tag}_{i}" for i in range(n)]
    logfc = pd.DataFrame(np.ones((2, n)), index=["5720", "387"], columns=ids)
    meta = pd.DataFrame(
        {"pert_id": [f"LOCAL-{tag}-{i}" for i in range(n)], "cell_id": [f"CELL-{tag}"] * n},
        index=ids,
    )
    return library_from_frames(logfc=logfc, metadata=meta, digest=tag)


def import_queries(django_assert_max_num_queries, run) -> int:
    with django_assert_max_num_queries(1000) as captured:
        run()
    return len(captured)


@pytest.mark.parametrize("what", ["create", "update"])
def test_a_perturbagen_import_costs_the_same_queries_for_5_or_50_rows(
    django_assert_max_num_queries, what
):
    counts = []
    for n in (5, 50):
        if what == "update":
            perturbagens_import(pertinfo=pertinfo(n))
        table = pertinfo(n).assign(pert_iname=lambda t: t.pert_iname + "-renamed")
        counts.append(
            import_queries(
                django_assert_max_num_queries, lambda t=table: perturbagens_import(pertinfo=t)
            )
        )
        Perturbagen.objects.all().delete()
    assert counts[0] == counts[1] <= 6


def test_a_library_naming_new_perturbagens_costs_the_same_queries_for_5_or_50(
    django_assert_max_num_queries,
):
    counts = []
    for n in (5, 50):
        tag = f"lib{n}"
        counts.append(
            import_queries(
                django_assert_max_num_queries,
                lambda n=n, tag=tag: library_import(
                    slug=tag, name=tag, kind="other", source=library(n, tag=tag)
                ),
            )
        )
        assert Perturbagen.objects.filter(accession__startswith=f"LOCAL-{tag}-").count() == n
        assert Signature.objects.filter(library__slug=tag, perturbagen__isnull=False).count() == n
    assert counts[0] == counts[1]
