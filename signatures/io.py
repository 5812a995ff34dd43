"""The one bridge between signature catalogue rows and signature values (matrix files).

A library's values live in ``settings.LIBRARY_STORE_DIR / <slug> / <version>/``, written once
and then memory-mapped read-only. ``current`` (a small text file) names the version in service,
so a re-import swaps versions atomically and a failed import leaves the old one serving.

Public API (other apps call only these):

- ``LibraryWriter(slug=..., genes=..., n_signatures=..., has_pvalues=...)``: ``add_block`` columns
  in order, then ``commit()`` -> version (content hash); ``abort()`` on error.
- ``library_open(slug=...)`` -> ``LibraryMatrices`` (read-only memory maps, cached per process).
- ``library_delete(slug=...)``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings

FORMAT_VERSION = 1


@dataclass(frozen=True)
class LibraryMatrices:
    """A library's values: genes × signatures, read-only.

    genes: int64 Entrez ids (n_genes,); signature_ids: accessions in column order;
    logfc: float32 (n_genes, n_signatures); pvalue: float32 of the same shape, or None.
    NaN marks a gene not measured in a signature.
    """

    slug: str
    version: str
    genes: np.ndarray
    signature_ids: tuple[str, ...]
    logfc: np.ndarray
    pvalue: np.ndarray | None
    path: Path


def library_root(*, slug: str) -> Path:
    return Path(settings.LIBRARY_STORE_DIR) / slug


class LibraryWriter:
    """Streams a library's columns into a new version directory, then makes it current."""

    def __init__(
        self, *, slug: str, genes: np.ndarray, n_signatures: int, has_pvalues: bool
    ) -> None:
        self.slug = slug
        self.genes = np.asarray(genes, dtype=np.int64)
        if len(np.unique(self.genes)) != len(self.genes):
            raise ValueError("duplicated gene ids in the library")
        self.n_signatures = n_signatures
        self.has_pvalues = has_pvalues
        self.root = library_root(slug=slug)
        self.tmp = self.root / f".tmp-{uuid.uuid4().hex}"
        self.tmp.mkdir(parents=True)
        shape = (len(self.genes), n_signatures)
        self._logfc = np.lib.format.open_memmap(
            self.tmp / "logfc.npy", mode="w+", dtype=np.float32, shape=shape
        )
        self._pvalue = (
            np.lib.format.open_memmap(
                self.tmp / "pvalue.npy", mode="w+", dtype=np.float32, shape=shape
            )
            if has_pvalues
            else None
        )
        self._ids: list[str] = []

    def add_block(
        self, *, signature_ids: list[str], logfc: np.ndarray, pvalue: np.ndarray | None = None
    ) -> None:
        start, stop = len(self._ids), len(self._ids) + len(signature_ids)
        if stop > self.n_signatures:
            raise ValueError("more signature columns than announced")
        if logfc.shape != (len(self.genes), len(signature_ids)):
            raise ValueError(f"block shape {logfc.shape} does not match the gene index")
        self._logfc[:, start:stop] = logfc
        if self._pvalue is not None:
            if pvalue is None:
                raise ValueError("this library has p-values; the block has none")
            p = np.asarray(pvalue, dtype=np.float64)
            if np.any((p < 0) | (p > 1)):
                raise ValueError("p-values outside [0, 1]")
            self._pvalue[:, start:stop] = p
        self._ids.extend(signature_ids)

    def commit(self) -> str:
        if len(self._ids) != self.n_signatures:
            raise ValueError(f"{len(self._ids)} columns written, {self.n_signatures} announced")
        if len(set(self._ids)) != len(self._ids):
            raise ValueError("duplicated signature ids in the library")
        np.save(self.tmp / "genes.npy", self.genes)
        (self.tmp / "signatures.json").write_text(json.dumps(self._ids))
        self._logfc.flush()
        if self._pvalue is not None:
            self._pvalue.flush()
        del self._logfc, self._pvalue
        version = _content_hash(self.tmp)
        manifest = {
            "format": FORMAT_VERSION,
            "slug": self.slug,
            "version": version,
            "n_genes": int(len(self.genes)),
            "n_signatures": self.n_signatures,
            "has_pvalues": self.has_pvalues,
        }
        (self.tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        final = self.root / version
        if final.exists():
            shutil.rmtree(self.tmp)
        else:
            self.tmp.rename(final)
        _write_current(self.root, version)
        library_open.cache_clear()
        return version

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _content_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for name in ("genes.npy", "signatures.json", "logfc.npy", "pvalue.npy"):
        path = directory / name
        if not path.exists():
            continue
        digest.update(name.encode())
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                digest.update(chunk)
    return digest.hexdigest()[:16]


def _write_current(root: Path, version: str) -> None:
    tmp = root / f".current-{uuid.uuid4().hex}"
    tmp.write_text(version)
    tmp.replace(root / "current")


@lru_cache(maxsize=64)
def library_open(*, slug: str) -> LibraryMatrices:
    root = library_root(slug=slug)
    try:
        version = (root / "current").read_text().strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"library {slug!r} has no stored matrices") from None
    path = root / version
    manifest = json.loads((path / "manifest.json").read_text())
    pvalue = np.load(path / "pvalue.npy", mmap_mode="r") if manifest["has_pvalues"] else None
    return LibraryMatrices(
        slug=slug,
        version=version,
        genes=np.load(path / "genes.npy"),
        signature_ids=tuple(json.loads((path / "signatures.json").read_text())),
        logfc=np.load(path / "logfc.npy", mmap_mode="r"),
        pvalue=pvalue,
        path=path,
    )


def library_delete(*, slug: str) -> None:
    shutil.rmtree(library_root(slug=slug), ignore_errors=True)
    library_open.cache_clear()
