"""Validators shared by the apps' services (the models' SlugFields use the same rule)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug


def is_slug(value: object) -> bool:
    """Django's slug rule: letters, digits, '-' or '_' only, at least one."""
    try:
        validate_slug(str(value or ""))
    except ValidationError:
        return False
    return True
