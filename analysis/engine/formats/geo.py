"""GEO series-matrix text: ``!Series_*``/``!Sample_*`` header lines, then the table between
``!series_matrix_table_begin`` and ``!series_matrix_table_end`` (quoted ids allowed).
``!Sample_*`` lines become sample metadata; ``characteristics_ch1`` ``key: value`` cells are
split into one field per key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.engine.formats.common import (
    InputError,
    Matrix,
    check_unique,
    read_text,
    split_table,
    to_numeric,
)

BEGIN, END = "!series_matrix_table_begin", "!series_matrix_table_end"


def _values(line: str) -> list[str]:
    return [field.strip().strip('"') for field in line.split("\t")[1:]]


def _sample_meta(head: str) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for line in head.split("\n"):
        if not line.startswith("!Sample_"):
            continue
        key, values = line.split("\t", 1)[0][len("!Sample_") :], _values(line)
        if key.startswith("characteristics"):
            for j, value in enumerate(values):
                if ":" in value:
                    k, v = (part.strip() for part in value.split(":", 1))
                    meta.setdefault(k, [""] * len(values))[j] = v
            continue
        meta.setdefault(key, values)
    return meta


def read_series_matrix(path: Path | str) -> Matrix:
    """A GEO series-matrix file (plain or gzip) as a ``Matrix`` with sample metadata."""
    name = Path(path).name
    text = read_text(path)
    if BEGIN not in text:
        raise InputError(f"{name}: not a GEO series matrix (no {BEGIN} line)")
    head, rest = text.split(BEGIN, 1)
    first_line = head.count("\n") + 2
    table = split_table(rest.split(END, 1)[0], sep="\t", name=name, first_line=first_line - 1)
    if len(table) < 2:
        raise InputError(f"{name}: the series-matrix table is empty")
    header = [str(c).strip().strip('"') for c in table.iloc[0]]
    samples = pd.Index(header[1:], name="sample")
    check_unique(samples, what="sample ids", name=name)
    body = table.iloc[1:]
    features = pd.Index(body.iloc[:, 0].str.strip().str.strip('"').to_numpy(), name="feature")
    check_unique(features, what="row ids", name=name)
    raw = pd.DataFrame(body.iloc[:, 1:].to_numpy(), index=features, columns=samples)
    meta = _sample_meta(head)
    col_meta = pd.DataFrame(
        {k: v for k, v in meta.items() if len(v) == len(samples)}, index=samples
    )
    return Matrix(to_numeric(raw, name=name), pd.DataFrame(index=features), col_meta)
