"""API pagination: page-numbered, with a client-chosen page size up to a bound."""

from rest_framework.pagination import PageNumberPagination

from ilincs_site.filters import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


class PortalPagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
