"""A small world for the reliability tests: one user per role and private things of one owner.

Private objects carry marker texts that never appear in their URLs, so a page that names a
marker has leaked the object (a 404 page may echo the URL, never the title).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from analysis.choices import RunStatus
from analysis.models import AnalysisRun
from catalog.models import Collection, Dataset, Sample
from collections_app.models import UserCollection
from ilincs_site.permissions import CURATORS_GROUP, Role
from signatures import io
from signatures.models import Gene, Perturbagen, Signature, SignatureLibrary, SignatureUpload

MARKERS = (
    "Alice confidential dataset",
    "Alice confidential library",
    "Alice confidential run",
    "Alice confidential result",
    "Alice confidential collection",
    "Alice confidential upload",
)
PASSWORD = "reliability-pw-123"
N_GENES = 60


@dataclass
class World:
    users: dict  # role name -> user or None (anonymous); "owner" is Alice (registered)
    public_dataset: Dataset
    private_dataset: Dataset
    public_library: SignatureLibrary
    private_library: SignatureLibrary
    public_signature: Signature
    private_signature: Signature
    private_run: AnalysisRun
    public_run: AnalysisRun
    private_collection: UserCollection
    private_upload: SignatureUpload
    gene: Gene


def _user(username: str, **flags):
    return get_user_model().objects.create_user(username, password=PASSWORD, **flags)


def _curator():
    user = _user("carol-curator", is_staff=True)
    group, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["catalog", "signatures", "collections_app"]
        )
    )
    user.groups.add(group)
    return user


def store_library(slug: str, *, seed: int, n_signatures: int = 6) -> tuple[np.ndarray, list[str]]:
    """Write a small random library (genes 5001.., accessions SLUG_j) into the store."""
    rng = np.random.default_rng(seed)
    genes = np.arange(5001, 5001 + N_GENES)
    ids = [f"{slug.upper().replace('-', '_')}_{j}" for j in range(n_signatures)]
    writer = io.LibraryWriter(slug=slug, genes=genes, n_signatures=n_signatures, has_pvalues=True)
    writer.add_block(
        signature_ids=ids,
        logfc=rng.standard_normal((N_GENES, n_signatures)),
        pvalue=rng.uniform(1e-6, 1, (N_GENES, n_signatures)),
    )
    writer.commit()
    return genes, ids


def _library(slug: str, name: str, *, public: bool, seed: int, drug: Perturbagen):
    _, ids = store_library(slug, seed=seed)
    library = SignatureLibrary.objects.create(slug=slug, name=name, is_public=public)
    signatures = [
        Signature.objects.create(accession=acc, library=library, column=j, perturbagen=drug)
        for j, acc in enumerate(ids)
    ]
    return library, signatures[0]


def _run(owner, *, public: bool, label: str, data_dir: Path) -> AnalysisRun:
    run = AnalysisRun.objects.create(
        kind="connectivity",
        params={"library": "public-lib", "label": label},
        status=RunStatus.SUCCEEDED,
        owner=owner,
        is_public=public,
        progress=100,
    )
    result = data_dir / "runs" / str(run.pk)
    result.mkdir(parents=True)
    (result / "scores.tsv").write_text(f"gene\tnote\nG1\t{label} result\n")
    (result / "summary.json").write_text("{}")
    run.result_dir = str(result)
    run.save()
    return run


@pytest.fixture
def world(db, settings) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed
    users = {
        Role.ANONYMOUS: None,
        "owner": _user("alice"),
        Role.REGISTERED: _user("mallory"),
        Role.CURATOR: _curator(),
        Role.ADMIN: _user("root-admin", is_staff=True, is_superuser=True),
    }
    alice = users["owner"]
    collection = Collection.objects.create(slug="reliability", name="Reliability")
    public_dataset = Dataset.objects.create(
        accession="GSE900001", title="A public dataset", collection=collection
    )
    private_dataset = Dataset.objects.create(
        accession="GSE900002",
        title="Alice confidential dataset",
        collection=collection,
        is_public=False,
        owner=alice,
    )
    for dataset in (public_dataset, private_dataset):
        Sample.objects.create(dataset=dataset, name=f"{dataset.accession}_S1", position=0)
    drug = Perturbagen.objects.create(accession="BRD-REL-1", name="reliabinib", kind="compound")
    public_library, public_signature = _library(
        "public-lib", "Public library", public=True, seed=1, drug=drug
    )
    private_library, private_signature = _library(
        "draft-lib", "Alice confidential library", public=False, seed=2, drug=drug
    )
    Gene.objects.bulk_create(
        Gene(entrez_id=5001 + i, symbol=f"RELG{i + 1}") for i in range(N_GENES)
    )
    user_collection = UserCollection.objects.create(
        owner=alice, name="Alice confidential collection", is_shared=False
    )
    user_collection.datasets.add(private_dataset)
    upload = SignatureUpload.objects.create(
        owner=alice, name="Alice confidential upload", file="uploads/x.tsv", checksum="0" * 64
    )
    data_dir = Path(settings.DATA_DIR)
    return World(
        users=users,
        public_dataset=public_dataset,
        private_dataset=private_dataset,
        public_library=public_library,
        private_library=private_library,
        public_signature=public_signature,
        private_signature=private_signature,
        private_run=_run(alice, public=False, label="Alice confidential run", data_dir=data_dir),
        public_run=_run(alice, public=True, label="A public run", data_dir=data_dir),
        private_collection=user_collection,
        private_upload=upload,
        gene=Gene.objects.get(entrez_id=5001),
    )
