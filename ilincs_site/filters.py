"""Shared filtering helpers: a FilterSet that rejects unknown parameters, and list rendering.

One FilterSet per model serves the HTML list, the API viewset and the selectors; this base
class makes every one of them answer an unknown query parameter with a clear error instead of
silently ignoring it (a typo such as ``?celline=A375`` would otherwise return everything).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Q, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.shortcuts import render
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

# Query parameters that are not filters but are understood by every list (HTML and API).
PASSTHROUGH_PARAMETERS = frozenset({"page", "page_size", "format"})
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class StrictFilterSet(filters.FilterSet):
    """A FilterSet whose ``is_valid()`` fails, naming the parameter, on unknown parameters."""

    def unknown_parameters(self) -> list[str]:
        if self.data is None:
            return []
        return sorted(
            name
            for name in self.data
            if name not in self.filters and name not in PASSTHROUGH_PARAMETERS
        )

    def allowed_parameters(self) -> list[str]:
        return sorted(set(self.filters) | PASSTHROUGH_PARAMETERS)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        unknown = self.unknown_parameters()
        allowed = ", ".join(self.allowed_parameters())
        message = "Unknown filter parameter '%(name)s'. Allowed parameters: %(allowed)s."
        for name in unknown:  # params, not an f-string: a name may hold a '%' (it gave a 500)
            error = ValidationError(
                message, code="unknown_parameter", params={"name": name, "allowed": allowed}
            )
            self.form.errors[name] = self.form.error_class([error])
        return valid and not unknown

    def error_messages(self) -> list[str]:
        """Every error as one readable line, ``parameter: message``."""
        return [
            f"{name}: {message}" if not message.startswith("Unknown") else message
            for name, messages in self.form.errors.items()
            for message in messages
        ]


def search_filter(*fields: str):
    """A filter ``method`` matching the value (case-insensitive substring) in any of ``fields``."""

    def method(queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for term in value.split():
            term_q = Q()
            for field in fields:
                term_q |= Q(**{f"{field}__icontains": term})
            condition &= term_q
        return queryset.filter(condition).distinct() if condition else queryset

    return method


class MultipleValueField(forms.Field):
    """A form field holding every value of a repeated query parameter (``?x=1&x=2``)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            return [value]
        return [v for v in value if v != ""]


class KeyValueField(MultipleValueField):
    """Every value must look like ``key:value``."""

    def validate(self, value):
        super().validate(value)
        for pair in value:
            key, sep, _ = pair.partition(":")
            if not sep or not key:
                raise ValidationError(
                    f"'{pair}' is not of the form key:value (for example cell_type:A549-ACE2).",
                    code="invalid",
                )


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class KeyValueFilter(filters.Filter):
    """``?meta=key:value`` (repeatable, all must hold) on a JSONField of string values.

    The key's value is cast to text so that the comparison is text = text on both SQLite
    (``JSON_EXTRACT``) and PostgreSQL (``->>``), whatever characters the key contains; a bare
    key transform would JSON-decode the wanted value on SQLite.
    """

    field_class = KeyValueField

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        for i, pair in enumerate(value or []):
            key, _, wanted = pair.partition(":")
            alias = f"_{self.field_name}_{i}"
            text = Cast(KeyTextTransform(key, self.field_name), output_field=TextField())
            qs = qs.alias(**{alias: text})
            qs = qs.filter(**{alias: wanted})
        return qs


def paginate(request, queryset, *, default_size: int = DEFAULT_PAGE_SIZE):
    """A page of ``queryset`` for an HTML list, from ``?page=`` and ``?page_size=``."""
    try:
        size = int(request.GET.get("page_size", default_size))
    except ValueError:
        size = default_size
    size = max(1, min(size, MAX_PAGE_SIZE))
    paginator = Paginator(queryset, size)
    try:
        return paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def render_filtered_list(
    request,
    *,
    filterset_class: type[StrictFilterSet],
    queryset: QuerySet,
    template: str,
    context: dict | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
):
    """Filter, sort and paginate ``queryset`` for an HTML list; a bad filter is a 400 page."""
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    context = {**(context or {}), "filter": filterset}
    if not filterset.is_valid():
        context["errors"] = filterset.error_messages()
        return render(request, "catalog/bad_request.html", context, status=400)
    context["page_obj"] = paginate(request, filterset.qs, default_size=page_size)
    context["active_filters"] = {
        k: v for k, v in request.GET.items() if k not in PASSTHROUGH_PARAMETERS and v
    }
    return render(request, template, context)
