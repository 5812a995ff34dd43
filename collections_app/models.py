"""Personal collections of datasets and signatures, shareable by a read-only link."""

import secrets

from django.conf import settings
from django.db import models

from catalog.models import Dataset
from signatures.models import Signature


def _share_token() -> str:
    return secrets.token_urlsafe(16)


class UserCollection(models.Model):
    """A user's saved set of datasets and signatures."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_collections"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    datasets = models.ManyToManyField(Dataset, blank=True, related_name="user_collections")
    signatures = models.ManyToManyField(Signature, blank=True, related_name="user_collections")
    share_token = models.CharField(max_length=40, unique=True, default=_share_token)
    is_shared = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "user collection"
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="usercollection_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
