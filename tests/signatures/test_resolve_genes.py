"""Query genes by Entrez id or symbol, official mixed-case symbols included."""

import pytest

from signatures.models import Gene
from signatures.selectors import resolve_genes

pytestmark = pytest.mark.django_db


@pytest.fixture
def genes():
    Gene.objects.bulk_create(
        [
            Gene(entrez_id=2475, symbol="MTOR"),
            Gene(entrez_id=414236, symbol="C10orf10"),
            Gene(entrez_id=7157, symbol="TP53"),
        ]
    )


def test_an_official_symbol_with_lower_case_letters_resolves_as_spelled(genes):
    assert resolve_genes(["C10orf10"]) == {"C10orf10": 414236}


def test_symbols_in_another_case_and_entrez_ids_resolve(genes):
    assert resolve_genes(["mtor", "7157", "NOPE"]) == {"mtor": 2475, "7157": 7157}
