"""Field lengths read from the models, so that an import never restates them by hand."""

from __future__ import annotations

from django.db import models


def max_length(model: type[models.Model], field: str) -> int:
    """The ``max_length`` of ``model.field`` (a CharField, SlugField or URLField)."""
    length = model._meta.get_field(field).max_length
    if length is None:
        raise TypeError(f"{model.__name__}.{field} has no max_length")
    return length


def fit(model: type[models.Model], field: str, value: str) -> str:
    """``value`` cut to what ``model.field`` holds (imports truncate long free text)."""
    return value[: max_length(model, field)]
