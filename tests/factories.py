"""factory_boy factories for the catalogue models, shared by every test (personas: curator,
registered, anonymous)."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from catalog.choices import DataType
from catalog.models import CellLine, Collection, Dataset, Organism, Platform, Sample
from signatures.choices import PerturbagenKind
from signatures.models import (
    Gene,
    GeneSet,
    GeneSetLibrary,
    Perturbagen,
    Signature,
    SignatureLibrary,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw-for-tests")


class CuratorFactory(UserFactory):
    """A staff user in the Curators group, with the catalogue permissions."""

    username = factory.Sequence(lambda n: f"curator{n}")
    is_staff = True

    @factory.post_generation
    def curators_group(self, create, extracted, **kwargs):
        if not create:
            return
        group, _ = Group.objects.get_or_create(name="Curators")
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=["catalog", "signatures", "collections_app"]
            )
        )
        self.groups.add(group)


class OrganismFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organism
        django_get_or_create = ["taxon_id"]

    name = "Homo sapiens"
    common_name = "human"
    taxon_id = 9606


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ["accession"]

    accession = factory.Sequence(lambda n: f"GPL{1000 + n}")


class CellLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CellLine
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"CELL{n}")


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"collection-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.title())
    description = "Curated datasets."


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    accession = factory.Sequence(lambda n: f"GSE{100000 + n}")
    title = factory.LazyAttribute(lambda d: f"Dataset {d.accession}")
    collection = factory.SubFactory(CollectionFactory)
    organism = factory.SubFactory(OrganismFactory)
    platform = factory.SubFactory(PlatformFactory)
    data_type = DataType.MICROARRAY


class SampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sample

    dataset = factory.SubFactory(DatasetFactory)
    name = factory.Sequence(lambda n: f"S{n}")
    position = factory.Sequence(lambda n: n)
    metadata = factory.LazyFunction(dict)


class GeneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gene
        django_get_or_create = ["entrez_id"]

    entrez_id = factory.Sequence(lambda n: 900000 + n)
    symbol = factory.Sequence(lambda n: f"GENE{n}")


class PerturbagenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Perturbagen
        django_get_or_create = ["accession"]

    accession = factory.Sequence(lambda n: f"BRD-K{10000000 + n}")
    name = factory.Sequence(lambda n: f"compound-{n}")
    kind = PerturbagenKind.COMPOUND


class SignatureLibraryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SignatureLibrary
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"library-{n}")
    name = factory.LazyAttribute(lambda lib: lib.slug.title())


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    accession = factory.Sequence(lambda n: f"SIG_{n}")
    library = factory.SubFactory(SignatureLibraryFactory)
    column = factory.Sequence(lambda n: n)
    perturbagen = factory.SubFactory(PerturbagenFactory)
    cell_line = factory.SubFactory(CellLineFactory)


class GeneSetLibraryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GeneSetLibrary
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"gmt-{n}")
    name = factory.LazyAttribute(lambda lib: lib.slug.upper())


class GeneSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GeneSet

    library = factory.SubFactory(GeneSetLibraryFactory)
    name = factory.Sequence(lambda n: f"SET_{n}")
    genes = factory.LazyFunction(lambda: ["MTOR", "PIK3CA"])
    size = factory.LazyAttribute(lambda o: len(o.genes))


def catalogue_state(data_dir) -> tuple:
    """Row counts of every catalogue model plus the files in the data dir: 'unchanged' check."""
    from pathlib import Path

    from django.apps import apps

    counts = tuple(
        (model._meta.label, model.objects.count())
        for app in ("catalog", "signatures", "collections_app")
        for model in apps.get_app_config(app).get_models()
    )
    files = tuple(sorted(str(p.relative_to(data_dir)) for p in Path(data_dir).rglob("*")))
    return counts, files
