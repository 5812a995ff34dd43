"""Sample selection by metadata predicates and two-group linear-model designs.

A *predicate* chooses samples from a metadata table (samples x fields)::

    cell_type=A549-ACE2 & condition=SARS-CoV-2
    cell_type=A549-ACE2 & condition!=Mock
    Dose.Group in (1500, 2000) & Time.Group=24

Clauses are joined by ``&``; each is ``field=value``, ``field!=value`` or
``field in (v1, v2, ...)``. Values are compared as trimmed strings, or as numbers when both
the metadata value and the predicate value parse as numbers (so ``Dose.Group=50`` matches
``50.0``). Values may contain spaces but not ``&``, ``(``, ``)`` or ``,`` inside ``in``.

The design is limma's cell-means parametrisation ``~0 + group`` (one indicator column per
group level, levels ordered baseline, treatment, then the other groups sorted), with the
contrast ``treatment - baseline`` and, optionally, extra covariates appended as columns
(a column of numeric dtype enters as it is; any other column — strings, categories,
booleans — is categorical: treatment-coded indicators of every level but the first in
sorted order, like R's ``factor`` of a character column). This is the design of ``../shared/oracle/limma_ref.R``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


class DesignError(ValueError):
    """A sample selection or design that cannot give a two-group comparison."""


class UnknownFieldError(DesignError):
    """A predicate names a metadata field that does not exist."""


class PredicateSyntaxError(DesignError):
    """A predicate that is not ``field=value``, ``field!=value`` or ``field in (...)``."""


class EmptyGroupError(DesignError):
    """A group (or predicate) selects no sample."""


class OverlappingGroupsError(DesignError):
    """The same sample is selected by both the treatment and the baseline."""


class TooFewSamplesError(DesignError):
    """Too few samples to estimate a residual variance (no residual degree of freedom)."""


class NonNumericValueError(DesignError):
    """The expression matrix holds a value that is not a number."""


class RankDeficientDesignError(DesignError):
    """Covariates confounded with the groups (or each other): the design is not full rank."""


_CLAUSE = re.compile(r"^\s*(?P<field>[^=!]+?)\s*(?P<op>!=|=)\s*(?P<value>.*?)\s*$")
_IN = re.compile(r"^\s*(?P<field>.+?)\s+in\s*\((?P<values>.*)\)\s*$", re.IGNORECASE)


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _matches(column: pd.Series, values: list[str]) -> np.ndarray:
    """Element-wise: is the metadata value equal to one of ``values`` (string or numeric)?"""
    as_text = column.astype(str).str.strip()
    hit = as_text.isin(values).to_numpy()
    numbers = [v for v in (_as_number(x) for x in values) if v is not None]
    if numbers:
        numeric = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        hit = hit | np.isin(numeric, numbers)
    return hit


def _parse_clause(clause: str) -> tuple[str, str, list[str]]:
    m = _IN.match(clause)
    if m:
        values = [v.strip().strip("'\"") for v in m["values"].split(",") if v.strip()]
        if not values:
            raise PredicateSyntaxError(f"empty list in {clause.strip()!r}")
        return m["field"].strip(), "in", values
    m = _CLAUSE.match(clause)
    if not m or not m["value"]:
        raise PredicateSyntaxError(
            f"cannot read {clause.strip()!r}: use field=value, field!=value or field in (a, b)"
        )
    return m["field"], m["op"], [m["value"].strip("'\"")]


def select_samples(metadata: pd.DataFrame, predicate: str) -> pd.Index:
    """Samples (index labels of ``metadata``, in its order) satisfying every clause of ``predicate``."""
    if not predicate or not predicate.strip():
        raise PredicateSyntaxError("empty predicate")
    keep = np.ones(len(metadata), dtype=bool)
    for clause in predicate.split("&"):
        field, op, values = _parse_clause(clause)
        if field not in metadata.columns:
            known = ", ".join(map(str, metadata.columns))
            raise UnknownFieldError(f"unknown metadata field {field!r} (known: {known})")
        hit = _matches(metadata[field], values)
        keep &= ~hit if op == "!=" else hit
    selected = metadata.index[keep]
    if not len(selected):
        raise EmptyGroupError(f"no sample satisfies {predicate.strip()!r}")
    return selected


def groups_from_predicates(
    metadata: pd.DataFrame,
    *,
    treatment: str,
    baseline: str,
    treatment_label: str = "treatment",
    baseline_label: str = "baseline",
) -> pd.Series:
    """Label the samples chosen by two predicates; a Series sample -> label (treatment first)."""
    chosen_t = select_samples(metadata, treatment)
    chosen_b = select_samples(metadata, baseline)
    both = chosen_t.intersection(chosen_b)
    if len(both):
        raise OverlappingGroupsError(
            f"{len(both)} sample(s) match both treatment and baseline, e.g. {both[0]!r}"
        )
    labels = [treatment_label] * len(chosen_t) + [baseline_label] * len(chosen_b)
    return pd.Series(labels, index=chosen_t.append(chosen_b), name="group")


@dataclass(frozen=True)
class TwoGroupDesign:
    """A ``~0+group (+ covariates)`` design and its ``treatment - baseline`` contrast.

    ``matrix`` is samples x coefficients (float64), ``columns`` its coefficient names (group
    levels first, then covariate columns), ``contrast`` a vector over the coefficients,
    ``samples`` the sample ids in row order, ``group_sizes`` the samples per group level.
    """

    samples: tuple[str, ...]
    columns: tuple[str, ...]
    matrix: np.ndarray
    contrast: np.ndarray
    group_sizes: dict[str, int]
    treatment: str
    baseline: str

    @property
    def df_residual(self) -> int:
        """Residual degrees of freedom of the design with no missing values."""
        return len(self.samples) - int(np.linalg.matrix_rank(self.matrix))


def _covariate_columns(covariates: pd.DataFrame, samples: pd.Index) -> tuple[list[Any], list[str]]:
    missing = samples.difference(covariates.index)
    if len(missing):
        raise DesignError(f"covariates lack sample {missing[0]!r}")
    cols, names = [], []
    for field in covariates.columns:
        values = covariates.loc[samples, field]
        if values.isna().any():
            raise DesignError(f"covariate {field!r} has missing values")
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            cols.append(values.to_numpy(dtype=float))
            names.append(str(field))
            continue
        text = values.astype(str)
        for level in sorted(text.unique())[1:]:
            cols.append((text == level).to_numpy(dtype=float))
            names.append(f"{field}{level}")
    return cols, names


def two_group_design(
    groups: pd.Series,
    treatment: str,
    baseline: str,
    *,
    keep_all_groups: bool = False,
    covariates: pd.DataFrame | None = None,
) -> TwoGroupDesign:
    """Build ``~0+group (+covariates)`` for the samples of ``groups`` (Series sample -> group).

    Only treatment and baseline samples are kept unless ``keep_all_groups`` (then the other
    groups add to the residual variance). Raises ``EmptyGroupError``, ``TooFewSamplesError``
    (no residual degree of freedom) or ``RankDeficientDesignError``.
    """
    if treatment == baseline:
        raise OverlappingGroupsError(f"treatment and baseline are the same group {treatment!r}")
    groups = groups.astype(str)
    for name, role in ((treatment, "treatment"), (baseline, "baseline")):
        if not (groups == name).any():
            raise EmptyGroupError(f"{role} group {name!r} has no sample")
    if not keep_all_groups:
        groups = groups[groups.isin([treatment, baseline])]
    levels = list(dict.fromkeys([baseline, treatment, *sorted(groups.unique())]))
    codes = pd.Categorical(groups, categories=levels).codes
    matrix = np.zeros((len(groups), len(levels)))
    matrix[np.arange(len(groups)), codes] = 1.0
    columns = list(levels)
    if covariates is not None and len(covariates.columns):
        extra, names = _covariate_columns(covariates, groups.index)
        if extra:
            matrix = np.column_stack([matrix, *extra])
            columns += names
    rank = int(np.linalg.matrix_rank(matrix))
    if rank < matrix.shape[1]:
        raise RankDeficientDesignError(
            f"the design ({', '.join(columns)}) is not full rank: a covariate is confounded "
            "with the groups or with another covariate"
        )
    if len(groups) - rank < 1:
        raise TooFewSamplesError(
            f"{len(groups)} samples for {rank} coefficients leave no residual degree of freedom "
            "to estimate a variance: add replicates (at least two samples in one group)"
        )
    contrast = np.zeros(len(columns))
    contrast[0], contrast[1] = -1.0, 1.0
    sizes = {level: int((codes == i).sum()) for i, level in enumerate(levels)}
    return TwoGroupDesign(
        samples=tuple(groups.index.astype(str)),
        columns=tuple(columns),
        matrix=matrix,
        contrast=contrast,
        group_sizes=sizes,
        treatment=treatment,
        baseline=baseline,
    )


def numeric_matrix(expr: pd.DataFrame) -> np.ndarray:
    """The values of a genes x samples frame as float64; ``NonNumericValueError`` names a bad cell."""
    try:
        return expr.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        pass
    for sample in expr.columns:
        converted = pd.to_numeric(expr[sample], errors="coerce")
        bad = converted.isna() & expr[sample].notna()
        if bad.any():
            gene = bad.index[bad.to_numpy()][0]
            raise NonNumericValueError(
                f"expression value {expr.at[gene, sample]!r} (gene {gene!r}, sample {sample!r}) "
                "is not a number"
            ) from None
    return expr.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
