"""factory_boy factories for the browsing (HTML and API) tests."""

import factory
from django.contrib.auth import get_user_model

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
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")


class OrganismFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organism
        django_get_or_create = ("taxon_id",)

    name = "Homo sapiens"
    common_name = "human"
    taxon_id = 9606


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("accession",)

    accession = factory.Sequence(lambda n: f"GPL{1000 + n}")


class CellLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CellLine
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"CELL{n}")


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"collection-{n}")
    name = factory.Sequence(lambda n: f"Collection {n}")
    description = "Curated datasets."


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    accession = factory.Sequence(lambda n: f"GSE{90000 + n}")
    title = factory.Sequence(lambda n: f"Dataset number {n}")
    collection = factory.SubFactory(CollectionFactory)
    organism = factory.SubFactory(OrganismFactory)
    platform = factory.SubFactory(PlatformFactory)
    data_type = DataType.MICROARRAY
    n_samples = 0


class SampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sample

    dataset = factory.SubFactory(DatasetFactory)
    name = factory.Sequence(lambda n: f"GSM{100000 + n}")
    position = factory.Sequence(lambda n: n)
    metadata = factory.LazyFunction(dict)


class GeneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gene
        django_get_or_create = ("entrez_id",)

    entrez_id = factory.Sequence(lambda n: 100000 + n)
    symbol = factory.Sequence(lambda n: f"GENE{n}")


class PerturbagenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Perturbagen
        django_get_or_create = ("accession",)

    accession = factory.Sequence(lambda n: f"BRD-K{10000000 + n}")
    name = factory.Sequence(lambda n: f"compound-{n}")
    kind = PerturbagenKind.COMPOUND


class SignatureLibraryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SignatureLibrary
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"library-{n}")
    name = factory.Sequence(lambda n: f"Library {n}")


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
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"genesets-{n}")
    name = factory.Sequence(lambda n: f"Gene sets {n}")


class GeneSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GeneSet

    library = factory.SubFactory(GeneSetLibraryFactory)
    name = factory.Sequence(lambda n: f"SET_{n}")
    genes = factory.LazyFunction(lambda: ["TP53", "MDM2"])
    size = factory.LazyAttribute(lambda o: len(o.genes))
