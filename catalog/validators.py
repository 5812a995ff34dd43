"""Validators shared by the apps' services and APIs.

The slug rule is Django's ``validate_slug`` (letters, digits, '-' or '_'), which the
models' SlugFields already apply, so a slug accepted here is one the database accepts.
"""

from __future__ import annotations

from django.core.validators import validate_slug

SLUG_RE = validate_slug.regex


def is_slug(value: object) -> bool:
    """Whether ``value`` is a non-empty string of letters, digits, '-' or '_'."""
    return isinstance(value, str) and SLUG_RE.match(value) is not None
