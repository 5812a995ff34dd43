from rest_framework import serializers

from signatures.models import (
    Gene,
    GeneSet,
    GeneSetLibrary,
    Perturbagen,
    Signature,
    SignatureLibrary,
)


def _strings(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), read_only=True, help_text=help_text)


class SignatureLibrarySerializer(serializers.ModelSerializer):
    organism = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = SignatureLibrary
        fields = [
            "slug",
            "name",
            "description",
            "kind",
            "gene_space",
            "score_kind",
            "organism",
            "collection",
            "version",
            "n_signatures",
            "n_genes",
            "has_pvalues",
            "provenance",
            "is_public",
            "created",
            "updated",
        ]


class SignatureSerializer(serializers.ModelSerializer):
    library = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    perturbagen = serializers.SlugRelatedField(
        slug_field="accession", read_only=True, allow_null=True
    )
    perturbagen_name = serializers.CharField(
        source="perturbagen.name", read_only=True, allow_null=True
    )
    cell_line = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    source_dataset = serializers.SlugRelatedField(
        slug_field="accession", read_only=True, allow_null=True
    )
    metadata = serializers.DictField(read_only=True, help_text="Extra annotation of the source.")

    class Meta:
        model = Signature
        fields = [
            "accession",
            "library",
            "column",
            "perturbagen",
            "perturbagen_name",
            "cell_line",
            "dose",
            "dose_unit",
            "time",
            "time_unit",
            "source_dataset",
            "treatment_description",
            "baseline_description",
            "description",
            "n_genes",
            "metadata",
        ]


class PerturbagenSerializer(serializers.ModelSerializer):
    target_gene = serializers.SlugRelatedField(
        slug_field="entrez_id", read_only=True, allow_null=True
    )
    synonyms = _strings("Other names.")
    moa = _strings("Mechanisms of action.")
    targets = _strings("Target gene symbols.")
    n_signatures = serializers.IntegerField(read_only=True, help_text="Visible signatures.")

    class Meta:
        model = Perturbagen
        fields = [
            "accession",
            "name",
            "kind",
            "target_gene",
            "synonyms",
            "pubchem_cid",
            "chembl_id",
            "drugbank_id",
            "inchi_key",
            "smiles",
            "moa",
            "targets",
            "clinical_phase",
            "n_signatures",
        ]


class GeneSerializer(serializers.ModelSerializer):
    organism = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    synonyms = _strings("Other symbols.")
    ensembl_ids = _strings("Ensembl gene ids.")

    class Meta:
        model = Gene
        fields = [
            "entrez_id",
            "symbol",
            "name",
            "gene_type",
            "cytoband",
            "synonyms",
            "ensembl_ids",
            "organism",
            "is_landmark",
            "is_inferred",
            "is_lincs",
        ]


class GeneSetLibrarySerializer(serializers.ModelSerializer):
    class Meta:
        model = GeneSetLibrary
        fields = ["slug", "name", "description", "source_url", "provenance", "n_sets"]


class GeneSetSerializer(serializers.ModelSerializer):
    genes = _strings("Member gene symbols.")

    class Meta:
        model = GeneSet
        fields = ["name", "description", "url", "size", "genes"]
