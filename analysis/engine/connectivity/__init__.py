"""Connectivity: the reference metrics (``metrics``), query parsing (``query``) and the fast
path over a stored library (``fast``, imported on its own: it loads numba)."""

from analysis.engine.connectivity.metrics import (
    COLUMNS,
    DEFAULT_MIN_OVERLAP,
    METRICS,
    FullSignature,
    GeneList,
    UpDownSignature,
    connectivity,
    perturbagen_connectivity,
    random_set,
    updown_from_signature,
)
from analysis.engine.connectivity.query import (
    ParsedQuery,
    QueryError,
    parse_query,
    read_query_table,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_MIN_OVERLAP",
    "METRICS",
    "FullSignature",
    "GeneList",
    "ParsedQuery",
    "QueryError",
    "UpDownSignature",
    "connectivity",
    "parse_query",
    "perturbagen_connectivity",
    "random_set",
    "read_query_table",
    "updown_from_signature",
]
