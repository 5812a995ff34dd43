"""Differential expression: two-group designs, limma (linear models, empirical Bayes) and edgeR
(negative binomial models of counts), each checked against its R reference."""

from analysis.engine.de.design import (
    DesignError,
    TwoGroupDesign,
    groups_from_predicates,
    numeric_matrix,
    select_samples,
    two_group_design,
)
from analysis.engine.de.edger import METHODS as EDGER_METHODS
from analysis.engine.de.edger import edger_two_group
from analysis.engine.de.limma import TOP_TABLE_COLUMNS, LimmaResult, limma_two_group

__all__ = [
    "EDGER_METHODS",
    "TOP_TABLE_COLUMNS",
    "DesignError",
    "LimmaResult",
    "TwoGroupDesign",
    "edger_two_group",
    "groups_from_predicates",
    "limma_two_group",
    "numeric_matrix",
    "select_samples",
    "two_group_design",
]
