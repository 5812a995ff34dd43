from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analysis.models import AnalysisRun
from analysis.runs.registry import registered_kinds
from analysis.runs.selectors import run_table_names


class AnalysisSubmitSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="Analysis kind, e.g. connectivity or build_signature.")
    params = serializers.DictField(help_text="Parameters of that kind (see docs/analyses.md).")
    is_public = serializers.BooleanField(default=False)

    def validate_kind(self, value: str) -> str:
        if value not in registered_kinds():
            raise serializers.ValidationError(
                f"unknown kind {value!r}; known kinds: {', '.join(registered_kinds())}"
            )
        return value


class AnalysisRunSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", default=None, read_only=True)
    tables = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api-analysis-detail")

    class Meta:
        model = AnalysisRun
        fields = [
            "id",
            "url",
            "kind",
            "params",
            "status",
            "progress",
            "progress_message",
            "error",
            "owner",
            "is_public",
            "library_version",
            "input_checksum",
            "software_version",
            "summary",
            "tables",
            "created",
            "started",
            "finished",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tables(self, run: AnalysisRun) -> list[str]:
        return run_table_names(run=run)
