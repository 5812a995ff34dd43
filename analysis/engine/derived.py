"""Values derived from an immutable object, computed once and kept while the object lives.

An opened signature library (``signatures.io.library_open`` keeps one object per library
version) has indexes and per-column constants that the query paths derive from it; they are
cached against the object itself, so a new version (a new object) gets fresh ones and a
dropped version frees them.
"""

import weakref
from collections.abc import Callable, Hashable
from typing import Any

_DERIVED: weakref.WeakKeyDictionary[Any, dict[Hashable, Any]] = weakref.WeakKeyDictionary()


def derived(owner: Any, key: Hashable, build: Callable[[], Any]) -> Any:
    """``build()`` for (owner, key), computed on first use; owner must be weak-referenceable
    and immutable. Values are shared between callers: treat them as read-only."""
    per_owner = _DERIVED.setdefault(owner, {})
    if key not in per_owner:
        per_owner[key] = build()
    return per_owner[key]
