"""What the signatures importers share: required columns, Entrez ids, input digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.engine.formats import InputError


def require(table: pd.DataFrame, columns: list[str], *, name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {', '.join(missing)}")


def entrez_ids(values: pd.Series, *, name: str, what: str = "gene ids") -> np.ndarray:
    numbers = pd.to_numeric(values.str.strip(), errors="coerce")
    bad = numbers.isna() | (numbers <= 0) | (numbers % 1 != 0)
    if bad.any():
        raise InputError(f"{name}: {what} must be Entrez ids, found {values[bad].iloc[0]!r}")
    ids = numbers.astype(np.int64).to_numpy()
    duplicated = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(duplicated):
        shown = ", ".join(map(str, duplicated[:5]))
        raise InputError(f"{name}: duplicated {what}: {shown} ({len(duplicated)} in all)")
    return ids


def file_digest(*paths: Path | str | None, extra: str = "") -> str:
    """sha256 of files' bytes (and an extra string): the identity of an import's input."""
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        if path is None:
            continue
        digest.update(str(Path(path).name).encode())
        with Path(path).open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                digest.update(chunk)
    return digest.hexdigest()
