"""The one slug rule the services and the API share is the models' own."""

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Collection
from catalog.validators import is_slug


@pytest.mark.parametrize("value", ["lincs", "LINCS_cp-2", "a", "0"])
def test_letters_digits_dashes_and_underscores_are_a_slug(value):
    assert is_slug(value)


@pytest.mark.parametrize("value", ["", "a b", "a/b", "lincs\n", "é", None, 3])
def test_anything_else_is_not_a_slug(value):
    assert not is_slug(value)


@pytest.mark.parametrize("value", ["lincs", "LINCS_cp-2", "lincs\n", "a b"])
def test_the_rule_is_the_one_a_slug_field_applies(value):
    field = Collection._meta.get_field("slug")
    try:
        field.run_validators(value)
        valid = True
    except ValidationError:
        valid = False
    assert is_slug(value) == valid
