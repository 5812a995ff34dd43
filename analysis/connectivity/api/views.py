"""POST /api/v1/connectivity/ and GET /api/v1/signatures/{accession}/connections/."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from analysis.connectivity.services import (
    ConnectionsNotComputed,
    connectivity_query,
    public_library,
    signature_connections,
)
from analysis.engine.connectivity import QueryError
from analysis.engine.connectivity.fast import ORDERS
from catalog.validators import is_slug
from ilincs_site.fastjson import OrjsonParser, OrjsonRenderer
from signatures.io import LibraryCorrupt
from signatures.selectors import signature_list

METRICS = ("extreme", "weighted", "updown", "pearson", "randomset")


class ConnectivityQuerySerializer(serializers.Serializer):
    genes = serializers.ListField(child=serializers.CharField(), required=False)
    logFC = serializers.ListField(child=serializers.FloatField(allow_null=True), required=False)
    pvalue = serializers.ListField(child=serializers.FloatField(allow_null=True), required=False)
    up = serializers.ListField(child=serializers.CharField(), required=False)
    down = serializers.ListField(child=serializers.CharField(), required=False)


@extend_schema_field(ConnectivityQuerySerializer)
class QueryField(serializers.JSONField):
    """The query object, checked by ``parse_query`` (per-item DRF validation of ~1,000 genes
    and numbers would cost more than the connectivity computation itself)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("query must be an object")
        return data  # parsed from the JSON body: no need to re-encode it to check it is JSON


class ConnectivityInputSerializer(serializers.Serializer):
    library = serializers.SlugField(help_text="Signature library slug.")
    metric = serializers.ChoiceField(choices=METRICS)
    query = QueryField(
        help_text="A full signature (genes, logFC, optional pvalue), up/down lists, or genes "
        "alone (randomset). Genes by symbol or Entrez id."
    )
    top = serializers.IntegerField(min_value=1, max_value=10_000, default=100)
    order = serializers.ChoiceField(choices=ORDERS, default="abs")
    min_overlap = serializers.IntegerField(min_value=3, default=10)


class ConnectivityRowSerializer(serializers.Serializer):
    signature = serializers.CharField()
    similarity = serializers.FloatField(allow_null=True)
    pValue = serializers.FloatField(allow_null=True)
    FDR = serializers.FloatField(allow_null=True)
    nGenes = serializers.IntegerField()
    lowOverlap = serializers.BooleanField()
    perturbagen = serializers.CharField()
    cell_line = serializers.CharField()
    dose = serializers.CharField()
    time = serializers.CharField()


class ConnectivityOutputSerializer(serializers.Serializer):
    library = serializers.CharField()
    version = serializers.CharField()
    metric = serializers.CharField()
    query_kind = serializers.CharField()
    n_query_genes = serializers.IntegerField()
    n_genes_used = serializers.IntegerField()
    unknown_genes = serializers.ListField(child=serializers.CharField())
    n_signatures = serializers.IntegerField()
    rows = ConnectivityRowSerializer(many=True)


class ConnectionSerializer(serializers.Serializer):
    signature = serializers.CharField()
    similarity = serializers.FloatField()


class ConnectionsOutputSerializer(serializers.Serializer):
    signature = serializers.CharField()
    library = serializers.CharField()
    version = serializers.CharField()
    metric = serializers.CharField()
    positive = ConnectionSerializer(many=True)
    negative = ConnectionSerializer(many=True)


class ConnectivityView(APIView):
    """Rank a library's signatures by their connectivity with a query signature."""

    permission_classes = [AllowAny]
    authentication_classes: list = []  # a read-only computation: no session, no CSRF
    parser_classes = [OrjsonParser]  # ~47 KB of numbers per query (ilincs_site.fastjson)
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]

    @extend_schema(
        request=ConnectivityInputSerializer,
        responses={200: ConnectivityOutputSerializer},
        summary="Connectivity of a query with a signature library",
    )
    def post(self, request):
        params = _plain_params(request.data)
        if params is None:  # anything unusual: the serializer, for its error messages
            data = ConnectivityInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            params = data.validated_data
        library = public_library(slug=params["library"])
        if library is None:
            return _error(f"unknown library {params['library']!r}", status.HTTP_400_BAD_REQUEST)
        query = {k: v for k, v in params["query"].items() if v is not None}
        try:
            result = connectivity_query(
                library=library,
                metric=params["metric"],
                query=query,
                top=params["top"],
                order=params["order"],
                min_overlap=params["min_overlap"],
            )
        except QueryError as exc:
            return _error(str(exc), status.HTTP_400_BAD_REQUEST)
        except (FileNotFoundError, LibraryCorrupt) as exc:
            return _error(str(exc), status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(result)  # already plain JSON types; the serializer documents it


class SignatureConnectionsView(APIView):
    """The precomputed 100 most positively and negatively connected signatures."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: ConnectionsOutputSerializer})
    def get(self, request, accession: str):
        visible = signature_list(user=request.user)  # an unpublished library stays hidden
        signature = get_object_or_404(visible, accession=accession)
        try:
            result = signature_connections(signature=signature)
        except ConnectionsNotComputed as exc:
            return _error(str(exc), status.HTTP_404_NOT_FOUND)
        except (FileNotFoundError, LibraryCorrupt) as exc:  # as POST /api/v1/connectivity/
            return _error(str(exc), status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(ConnectionsOutputSerializer(result).data)


_FIELDS = ConnectivityInputSerializer._declared_fields  # its rules, read once
INPUT_FIELDS = frozenset(_FIELDS)
DEFAULTS = {name: _FIELDS[name].default for name in ("top", "order", "min_overlap")}
TOP_MIN, TOP_MAX = _FIELDS["top"].min_value, _FIELDS["top"].max_value
OVERLAP_MIN = _FIELDS["min_overlap"].min_value


def _plain_params(data) -> dict | None:
    """The usual request (JSON types as documented), checked as the input serializer would,
    without instantiating it (DRF deep-copies its fields per request); None for anything
    else, which then goes through the serializer and its standard error messages."""
    if not isinstance(data, dict) or not INPUT_FIELDS.issuperset(data):
        return None
    params = {**DEFAULTS, **data}
    library, top, overlap = params.get("library"), params["top"], params["min_overlap"]
    if (
        isinstance(library, str)
        and is_slug(library)
        and isinstance(params.get("metric"), str)
        and params["metric"] in METRICS
        and isinstance(params.get("query"), dict)
        and type(top) is int
        and TOP_MIN <= top <= TOP_MAX
        and isinstance(params["order"], str)
        and params["order"] in ORDERS
        and type(overlap) is int
        and overlap >= OVERLAP_MIN
    ):
        return params
    return None


def _error(message: str, code: int) -> Response:
    return Response({"detail": message}, status=code)
