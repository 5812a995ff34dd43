"""Dataset matrices on disk: ``DATA_DIR/datasets/<accession>/<hash>/`` with values.npy
(float64, features × samples) and index.json (feature and sample ids).

Files are written once into a temporary folder and renamed into place, so a half-written
matrix is never visible; ``Dataset.matrix_file`` holds the path relative to ``DATA_DIR``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings


def datasets_root() -> Path:
    return Path(settings.DATA_DIR) / "datasets"


def matrix_hash(values: pd.DataFrame) -> str:
    """A content hash of a matrix: its float64 values and its row and column ids."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(values.to_numpy(dtype=np.float64)).tobytes())
    digest.update(
        json.dumps([list(map(str, values.index)), list(map(str, values.columns))]).encode()
    )
    return digest.hexdigest()


def matrix_write(*, accession: str, values: pd.DataFrame, digest: str) -> tuple[str, bool]:
    """Store a matrix; returns (path relative to DATA_DIR, whether a new folder was made)."""
    relative = Path("datasets") / accession / digest[:16]
    final = Path(settings.DATA_DIR) / relative
    if final.exists():
        return str(relative), False
    tmp = final.parent / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    try:
        np.save(tmp / "values.npy", values.to_numpy(dtype=np.float64))
        index = {
            "features": list(map(str, values.index)),
            "samples": list(map(str, values.columns)),
        }
        (tmp / "index.json").write_text(json.dumps(index))
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return str(relative), True


def matrix_remove(relative: str) -> None:
    if relative:
        shutil.rmtree(Path(settings.DATA_DIR) / relative, ignore_errors=True)


def matrix_stored(relative: str) -> bool:
    """Whether a stored matrix (``Dataset.matrix_file``) is present in the data directory."""
    folder = Path(settings.DATA_DIR) / relative
    return bool(relative) and (folder / "values.npy").exists() and (folder / "index.json").exists()


def dataset_matrix(dataset, *, mmap: bool = True) -> pd.DataFrame:
    """A dataset's values as a DataFrame (features × samples, float64), memory-mapped."""
    if not dataset.matrix_file:
        raise FileNotFoundError(f"dataset {dataset.accession} has no stored matrix")
    folder = Path(settings.DATA_DIR) / dataset.matrix_file
    index = json.loads((folder / "index.json").read_text())
    values = np.load(folder / "values.npy", mmap_mode="r" if mmap else None)
    return pd.DataFrame(
        values,
        index=pd.Index(index["features"], name="feature"),
        columns=pd.Index(index["samples"], name="sample"),
        copy=False,
    )
