"""Helpers the service modules share: the bulk upsert and the slug check."""

from __future__ import annotations

from analysis.engine.formats import InputError
from catalog.validators import is_slug


def upsert(model, wanted: dict, existing: dict, fields: list[str], key: str) -> dict[str, int]:
    """Bulk-create missing rows and bulk-update changed ones; ``wanted`` maps key -> fields."""
    new, changed = [], []
    for k, values in wanted.items():
        obj = existing.get(k)
        if obj is None:
            new.append(model(**{key: k}, **values))
        elif any(getattr(obj, f) != values[f] for f in values):
            for f, v in values.items():
                setattr(obj, f, v)
            changed.append(obj)
    model.objects.bulk_create(new, batch_size=2000)
    model.objects.bulk_update(changed, fields, batch_size=1000)
    return {
        "created": len(new),
        "updated": len(changed),
        "unchanged": len(wanted) - len(new) - len(changed),
    }


def require_slug(slug: str) -> None:
    if not is_slug(slug):
        raise InputError(f"invalid slug {slug!r}: use letters, digits, '-' or '_'")
