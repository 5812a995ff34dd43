"""The portal's four roles and the checks that go with them.

- anonymous: reads the public catalogue and runs queries within the anonymous rate limit;
- registered: also owns runs, collections and private uploads (visible to them alone);
- curator: staff in the ``Curators`` group (created by ``load_demo``): ingests, edits and
  publishes catalogue content through the admin;
- admin: superuser, everything including users and groups.

Visibility of catalogue rows is decided by the selectors (``catalog.selectors``,
``signatures.selectors``, ``analysis.runs.selectors``); this module names the roles so that views,
the admin and the permission tests speak of the same thing.
"""

from __future__ import annotations

from enum import StrEnum

from rest_framework.permissions import SAFE_METHODS, BasePermission

CURATORS_GROUP = "Curators"


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    REGISTERED = "registered"
    CURATOR = "curator"
    ADMIN = "admin"


def role_of(user) -> Role:
    """The strongest role of ``user`` (None or AnonymousUser: anonymous)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.ANONYMOUS
    if user.is_superuser:
        return Role.ADMIN
    if user.is_staff and user.groups.filter(name=CURATORS_GROUP).exists():
        return Role.CURATOR
    return Role.REGISTERED


def is_curator(user) -> bool:
    """Curators and admins may ingest, edit and publish catalogue content."""
    return role_of(user) in {Role.CURATOR, Role.ADMIN}


class IsCuratorOrReadOnly(BasePermission):
    """Anyone may read; only curators and admins may write."""

    message = "Only curators may change the catalogue."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_curator(request.user)
