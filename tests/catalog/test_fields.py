"""Field lengths come from the models' declarations."""

import pytest

from catalog.fields import fit, max_length
from catalog.models import CellLine, Dataset


def test_a_value_is_cut_to_the_length_its_column_declares():
    assert max_length(CellLine, "tissue") == CellLine._meta.get_field("tissue").max_length
    assert fit(CellLine, "tissue", "x" * 1000) == "x" * max_length(CellLine, "tissue")
    assert fit(CellLine, "tissue", "liver") == "liver"


def test_a_field_without_a_length_is_refused():
    with pytest.raises(TypeError, match="no max_length"):
        max_length(Dataset, "description")
