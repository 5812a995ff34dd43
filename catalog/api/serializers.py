from rest_framework import serializers

from catalog.models import Collection, Dataset, Sample


class CollectionSerializer(serializers.ModelSerializer):
    n_datasets = serializers.IntegerField(read_only=True, help_text="Visible datasets.")
    n_libraries = serializers.IntegerField(read_only=True, help_text="Visible libraries.")
    n_signatures = serializers.IntegerField(read_only=True, help_text="Signatures in them.")

    class Meta:
        model = Collection
        fields = ["slug", "name", "description", "n_datasets", "n_libraries", "n_signatures"]


class DatasetSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organism = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    platform = serializers.SlugRelatedField(slug_field="accession", read_only=True, allow_null=True)

    class Meta:
        model = Dataset
        fields = [
            "accession",
            "title",
            "description",
            "collection",
            "organism",
            "platform",
            "data_type",
            "scale",
            "n_samples",
            "n_features",
            "feature_kind",
            "source_url",
            "provenance",
            "is_public",
            "created",
            "updated",
        ]


class SampleSerializer(serializers.ModelSerializer):
    metadata = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True),
        read_only=True,
        help_text="Sample annotation as key: value strings.",
    )

    class Meta:
        model = Sample
        fields = ["name", "position", "metadata"]
