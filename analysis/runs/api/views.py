from django.http import Http404, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analysis.runs.api.serializers import AnalysisRunSerializer, AnalysisSubmitSerializer
from analysis.runs.downloads import tsv_file_neutralised
from analysis.runs.registry import RunInputError
from analysis.runs.selectors import run_table, run_table_names
from analysis.runs.services import analysis_cancel, analysis_rerun, analysis_submit
from analysis.runs.session import runs_visible_to, session_runs
from analysis.runs.visibility import run_can_edit, viewer_of


class IsOwnerOrStaffForWrites(permissions.BasePermission):
    """Writes (cancel, re-run) by the rule the HTML views use: ``run_can_edit``."""

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return run_can_edit(viewer=viewer_of(request), run=obj)


class AnalysisRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Submit analyses, poll their status and progress, read their result tables."""

    serializer_class = AnalysisRunSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrStaffForWrites]
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created", "finished"]

    def get_queryset(self):
        return runs_visible_to(self.request)

    @extend_schema(request=AnalysisSubmitSerializer, responses={201: AnalysisRunSerializer})
    def create(self, request, *args, **kwargs):
        incoming = AnalysisSubmitSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            run = analysis_submit(
                user=request.user, session_runs=session_runs(request), **incoming.validated_data
            )
        except RunInputError as exc:
            raise ValidationError({"params": [str(exc)]}) from exc
        run.refresh_from_db()
        body = AnalysisRunSerializer(run, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=AnalysisRunSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = analysis_cancel(run=self.get_object())
        return Response(self.get_serializer(run).data)

    @extend_schema(request=None, responses={201: AnalysisRunSerializer})
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        try:
            run = analysis_rerun(
                run=self.get_object(), user=request.user, session_runs=session_runs(request)
            )
        except RunInputError as exc:  # e.g. its library or source is gone since
            raise ValidationError({"params": [str(exc)]}) from exc
        run.refresh_from_db()
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH),
            OpenApiParameter("limit", int, description="rows to return (default 1000)"),
            OpenApiParameter("offset", int),
        ],
        responses={200: dict},
    )
    @action(detail=True, methods=["get"], url_path=r"tables/(?P<name>[\w-]+)")
    def table(self, request, pk=None, name=None):
        run = self.get_object()
        try:
            frame = run_table(run=run, name=name)
        except KeyError:
            raise Http404(f"no table {name!r}; tables: {run_table_names(run=run)}") from None
        limit = _int_param(request, "limit", 1000)
        offset = _int_param(request, "offset", 0)
        page = frame.iloc[offset : offset + limit]
        rows = _json_rows(page)
        return Response({"count": len(frame), "columns": list(frame.columns), "rows": rows})

    @extend_schema(
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH)],
        responses={(200, "text/tab-separated-values"): bytes},
    )
    @action(detail=True, methods=["get"], url_path=r"download/(?P<name>[\w-]+)")
    def file(self, request, pk=None, name=None):
        run = self.get_object()
        if name not in run_table_names(run=run):
            raise Http404(f"no table {name!r}")
        path = f"{run.result_dir}/{name}.tsv"
        # cells a spreadsheet would run as formulas made inert, as in the HTML downloads
        response = StreamingHttpResponse(
            tsv_file_neutralised(path), content_type="text/tab-separated-values"
        )
        response["Content-Disposition"] = f'attachment; filename="run{run.pk}_{name}.tsv"'
        return response


def _json_rows(frame) -> list[dict]:
    """Rows as JSON-safe dicts: NaN becomes null, ±inf the strings "Infinity"/"-Infinity"
    (JSON has no infinities; JavaScript's Number() reads those strings back)."""
    values = frame.astype(object).where(frame.notna(), None)
    values = values.replace({float("inf"): "Infinity", float("-inf"): "-Infinity"})
    return values.to_dict(orient="records")


def _int_param(request, name: str, default: int) -> int:
    raw = request.query_params.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"must be a whole number, got {raw!r}"]}) from None
    if value < 0:
        raise ValidationError({name: ["must not be negative"]})
    return value
