"""The one bridge between signature catalogue rows and signature values (matrix files).

A library's values live in ``settings.LIBRARY_STORE_DIR / <slug> / <version>/``, written once
and then memory-mapped read-only. ``current`` (a small text file) names the version in service,
so a re-import swaps versions atomically and a failed import leaves the old one serving.

Public API (other apps call only these):

- ``LibraryWriter(slug=..., genes=..., n_signatures=..., has_pvalues=...)``: ``add_block`` columns
  in order, then ``commit()`` -> version (content hash); ``abort()`` on error.
- ``library_open(slug=...)`` -> ``LibraryMatrices`` (read-only memory maps, cached per process;
  every call first checks, one ``stat`` per file, that the mapped files still have the size
  and inode they had when mapped, so a truncated file is ``LibraryCorrupt``, not a SIGBUS).
- ``library_check(slug=..., version=..., full=...)``: sizes and headers (``full``: every hash).
- ``library_verify(slug=...)``: re-hash every file of the current version.
- ``library_delete(slug=...)``.

Layout of a version directory (see ``docs/store.md``): the raw values, signature-major float64
(``logfc.npy``, ``pvalue.npy``: one contiguous row per signature, so a block of signatures is
streamed in and a handful of signatures is re-scored exactly without strided reads), and the
derived gene-major int8 screening layouts the fast connectivity kernels read one gene row at
a time (``yq``, ``bq``, ``eq``: logFC, −log10 p and the extreme vector, each with a scale per
signature), the signature-major gene indices of each extreme vector (``ext_index``) and its
values there (``ext_value``), exact
per-signature sums, scales and rounding errors (``moments``), the columns that have a missing
value (``nan_columns``), the gene index and ``manifest.json``
(shapes, dtypes, byte sizes, sha256 of every file). Every ``.npy`` has a 4096-byte header so
its data starts on a page boundary.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings

from analysis.engine.connectivity.fast import derive_block
from ilincs_site.errors import ServiceUnavailable

FORMAT_VERSION = 5
PAGE = 4096
BLOCK = 4096  # signatures per block when deriving the layouts = columns per int8 tile
N_EXTREME = 100
#: p-value floor before any logarithm: the same as ``analysis.engine.stats.P_FLOOR``.
P_FLOOR = float(np.finfo(np.float32).tiny)
#: Libraries whose files total at most this many bytes are fully re-hashed on every open;
#: larger ones get size, header and small-file hash checks (``library_verify`` does it all).
FULL_VERIFY_BYTES = 512 * 1024 * 1024
#: Files of at most this many bytes are re-hashed at every check, whatever the library's size.
_SMALL_FILE_BYTES = 16 * 1024 * 1024
RAW = ("genes.npy", "signatures.json", "logfc.npy", "pvalue.npy")
#: int8 gene-major screening layouts (stored as ``<name>q.npy``): logFC, −log10 p, extreme.
LAYOUTS = ("y", "b", "e")
MOMENTS = ("n", "by_sum", "by2_sum") + tuple(
    f"{name}_{part}" for name in LAYOUTS for part in ("sum", "sq", "scale", "err")
)


class LibraryCorrupt(ServiceUnavailable):
    """A stored library file does not match its manifest (size, header or hash).

    A view that does not catch it answers a 503 with its message (``ilincs_site.middleware``)."""

    title = "A signature library's stored files are damaged"


@dataclass(frozen=True, eq=False)
class LibraryMatrices:
    """A library's values: genes × signatures, read-only.

    genes: int64 Entrez ids (n_genes,); signature_ids: accessions in column order;
    logfc: float64 (n_genes, n_signatures) view of the signature-major file; pvalue: float64 of
    the same shape, or None. NaN marks a gene not measured in a signature.
    layouts: int8 screening codes, gene-major in tiles of ``BLOCK`` signatures, shape
    (n_tiles, n_genes, BLOCK) (signature j is tile j // BLOCK, position j % BLOCK; zero padded),
    NaN replaced by 0, value ≈ moments[f"{name}_scale"][j]·code: ``y`` logFC and, with p-values, ``b`` −log10 p and
    ``e`` the extreme signed significance (top/bottom ``n_extreme`` genes, else 0).
    moments: float64 (n_signatures,) per name in ``MOMENTS``: exact sums of the float64 values
    (``y_sum``, ``y_sq``, ``by_sum`` …), the int8 scales and rounding residual norms (``*_err``).
    nan_columns: int64 columns with any missing value (always scored exactly); ext_index:
    signature-major int16 (n_signatures, 2·n_extreme) gene indices of each extreme vector
    (−1 padded); ext_value: float64 of the same shape, the extreme values at those genes.
    """

    slug: str
    version: str
    genes: np.ndarray
    signature_ids: tuple[str, ...]
    logfc: np.ndarray
    pvalue: np.ndarray | None
    path: Path
    layouts: dict = field(default_factory=dict)
    moments: dict = field(default_factory=dict)
    nan_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    ext_index: np.ndarray | None = None
    ext_value: np.ndarray | None = None
    n_extreme: int = N_EXTREME
    p_floor: float = P_FLOOR
    #: (path, inode, bytes) of every file when it was mapped: ``library_open`` re-checks them.
    files: tuple[tuple[Path, int, int], ...] = ()

    @property
    def n_signatures(self) -> int:
        return len(self.signature_ids)

    def column(self, accession: str) -> int:
        return _column_index(self)[accession]


@lru_cache(maxsize=16)
def _column_index_cached(key: tuple[str, str], ids: tuple[str, ...]) -> dict[str, int]:
    return {sid: j for j, sid in enumerate(ids)}


def _column_index(lib: LibraryMatrices) -> dict[str, int]:
    return _column_index_cached((lib.slug, lib.version), lib.signature_ids)


def library_root(*, slug: str) -> Path:
    return Path(settings.LIBRARY_STORE_DIR) / slug


# --- page-aligned .npy files -------------------------------------------------------------


def _npy_create(path: Path, dtype, shape: tuple[int, ...]) -> np.memmap:
    """A C-order .npy whose data starts at byte 4096, opened for writing."""
    header = {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": tuple(shape)}
    text = repr(header).encode("latin1")
    pad = PAGE - 10 - len(text) - 1
    with path.open("wb") as fh:
        fh.write(b"\x93NUMPY\x01\x00" + (PAGE - 10).to_bytes(2, "little"))
        fh.write(text + b" " * pad + b"\n")
        fh.truncate(PAGE + int(np.prod(shape)) * np.dtype(dtype).itemsize)
    return np.memmap(path, dtype=dtype, mode="r+", offset=PAGE, shape=tuple(shape))


def _npy_save(path: Path, array: np.ndarray) -> None:
    out = _npy_create(path, array.dtype, array.shape)
    out[...] = array
    out.flush()
    del out


def _npy_header(path: Path) -> tuple[np.dtype, tuple[int, ...], int]:
    with path.open("rb") as fh:
        if fh.read(6) != b"\x93NUMPY":
            raise LibraryCorrupt(f"{path.name} is not a .npy file")
        major = fh.read(2)[0]
        size = int.from_bytes(fh.read(2 if major == 1 else 4), "little")
        header = ast.literal_eval(fh.read(size).decode("latin1"))
        offset = fh.tell()
    return np.dtype(header["descr"]), tuple(header["shape"]), offset


def _npy_map(path: Path) -> np.memmap:
    dtype, shape, offset = _npy_header(path)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


# --- writing ---------------------------------------------------------------------------------


class LibraryWriter:
    """Streams a library's columns into a new version directory, then makes it current.

    Blocks go straight to signature-major memory maps, so a library larger than RAM is written
    block by block; ``commit`` hashes the raw files (the hash is the version: identical content
    is a no-op) and only then derives the screening layouts, again block by block.
    """

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
        shape = (n_signatures, len(self.genes))
        self._logfc = _npy_create(self.tmp / "logfc.npy", np.float64, shape)
        self._pvalue = (
            _npy_create(self.tmp / "pvalue.npy", np.float64, shape) if has_pvalues else None
        )
        self._ids: list[str] = []

    def add_block(
        self, *, signature_ids: list[str], logfc: np.ndarray, pvalue: np.ndarray | None = None
    ) -> None:
        """Append columns: logfc (and pvalue) of shape (n_genes, len(signature_ids))."""
        start, stop = len(self._ids), len(self._ids) + len(signature_ids)
        if stop > self.n_signatures:
            raise ValueError("more signature columns than announced")
        logfc = np.asarray(logfc, dtype=np.float64)
        if logfc.shape != (len(self.genes), len(signature_ids)):
            raise ValueError(f"block shape {logfc.shape} does not match the gene index")
        self._logfc[start:stop] = logfc.T
        if self._pvalue is not None:
            if pvalue is None:
                raise ValueError("this library has p-values; the block has none")
            p = np.asarray(pvalue, dtype=np.float64)
            if p.shape != logfc.shape:
                raise ValueError("the p-value block does not match the logFC block")
            if np.any((p < 0) | (p > 1)):
                raise ValueError("p-values outside [0, 1]")
            self._pvalue[start:stop] = p.T
        self._ids.extend(str(s) for s in signature_ids)

    def commit(self, *, verify: bool = False) -> str:
        """Make the written columns the library's current version and return it.

        When the version directory already exists (identical content), its files are checked
        (sizes and headers; every hash with ``verify``) and a damaged one is replaced by the
        files just written, keeping its precomputed connections if they are intact."""
        if len(self._ids) != self.n_signatures:
            raise ValueError(f"{len(self._ids)} columns written, {self.n_signatures} announced")
        if len(set(self._ids)) != len(self._ids):
            raise ValueError("duplicated signature ids in the library")
        _npy_save(self.tmp / "genes.npy", self.genes)
        (self.tmp / "signatures.json").write_text(json.dumps(self._ids))
        self._logfc.flush()
        if self._pvalue is not None:
            self._pvalue.flush()
        del self._logfc, self._pvalue
        hashes = _raw_hashes(self.tmp)
        version = _content_hash(hashes)
        final = self.root / version
        if final.exists() and not _version_damaged(final, full=verify):
            shutil.rmtree(self.tmp)
        else:
            _derive_layouts(self.tmp, n_genes=len(self.genes), has_p=self.has_pvalues)
            _write_manifest(
                self.tmp, slug=self.slug, version=version, has_p=self.has_pvalues, known=hashes
            )
            _replace_version(self.tmp, final)
        _write_current(self.root, version)
        library_open.cache_clear()
        return version

    def abort(self) -> None:
        self.__dict__.pop("_logfc", None)
        self.__dict__.pop("_pvalue", None)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _version_damaged(path: Path, *, full: bool) -> bool:
    try:
        _check_files(path, _read_manifest(path), full=full)
    except LibraryCorrupt:
        return True
    return False


def _replace_version(new: Path, final: Path) -> None:
    """Move ``new`` to ``final``; a damaged ``final`` is moved aside first (processes that
    mapped its files keep their inodes until they notice, see ``library_open``)."""
    if final.exists():
        kept = final / "connections.npz"
        if kept.exists() and _zip_intact(kept):
            shutil.copy2(kept, new / "connections.npz")
        damaged = final.with_name(f".damaged-{uuid.uuid4().hex}")
        final.rename(damaged)
        shutil.rmtree(damaged, ignore_errors=True)
    new.rename(final)


def _zip_intact(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def _raw_hashes(directory: Path) -> dict[str, str]:
    return {name: _file_sha256(directory / name) for name in RAW if (directory / name).exists()}


def _content_hash(hashes: dict[str, str]) -> str:
    digest = hashlib.sha256(f"format {FORMAT_VERSION}\n".encode())
    for name in RAW:
        if name in hashes:
            digest.update(name.encode())
            digest.update(hashes[name].encode())
    return digest.hexdigest()[:16]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _derive_layouts(directory: Path, *, n_genes: int, has_p: bool) -> None:
    logfc = _npy_map(directory / "logfc.npy")
    pvalue = _npy_map(directory / "pvalue.npy") if has_p else None
    genes = _npy_map(directory / "genes.npy")
    order = np.argsort(np.asarray(genes), kind="stable")
    n_sig = logfc.shape[0]
    names = LAYOUTS if has_p else ("y",)
    n_tiles = (n_sig + BLOCK - 1) // BLOCK
    out = {
        name: _npy_create(directory / f"{name}q.npy", np.int8, (n_tiles, n_genes, BLOCK))
        for name in names
    }
    extreme = (
        (
            _npy_create(directory / "ext_index.npy", np.int16, (n_sig, 2 * N_EXTREME)),
            _npy_create(directory / "ext_value.npy", np.float64, (n_sig, 2 * N_EXTREME)),
        )
        if has_p
        else ()
    )
    moments = {name: np.zeros(n_sig) for name in MOMENTS}
    nan_cols = []
    for start in range(0, n_sig, BLOCK):
        stop = min(start + BLOCK, n_sig)
        y = np.asarray(logfc[start:stop])
        p = None if pvalue is None else np.asarray(pvalue[start:stop])
        codes, block_moments, block_extreme = derive_block(
            y, p, order, n_extreme=N_EXTREME, p_floor=P_FLOOR
        )
        for name, values in codes.items():  # one tile per block of signatures
            out[name][start // BLOCK, :, : stop - start] = values.T
        for name, values in block_moments.items():
            moments[name][start:stop] = values
        for array, values in zip(extreme, block_extreme or (), strict=True):
            array[start:stop] = values
        bad = ~np.isfinite(y)
        if p is not None:
            bad |= ~np.isfinite(p)
        nan_cols.extend((start + np.flatnonzero(bad.any(axis=1))).tolist())
    for array in [*out.values(), *extreme]:
        array.flush()
    del out, extreme
    _npy_save(directory / "moments.npy", np.stack([moments[m] for m in MOMENTS]))
    _npy_save(directory / "nan_columns.npy", np.asarray(nan_cols, dtype=np.int64))


def _write_manifest(
    directory: Path, *, slug: str, version: str, has_p: bool, known: dict[str, str]
) -> None:
    files = {}
    for path in sorted(directory.iterdir()):
        sha = known[path.name] if path.name in known else _file_sha256(path)
        entry = {"bytes": path.stat().st_size, "sha256": sha}
        if path.suffix == ".npy":
            dtype, shape, offset = _npy_header(path)
            entry.update(dtype=dtype.str, shape=list(shape), offset=offset)
        files[path.name] = entry
    genes = files["genes.npy"]["shape"][0]
    manifest = {
        "format": FORMAT_VERSION,
        "slug": slug,
        "version": version,
        "n_genes": genes,
        "n_signatures": files["logfc.npy"]["shape"][0],
        "has_pvalues": has_p,
        "n_extreme": N_EXTREME,
        "p_floor": P_FLOOR,
        "moments": list(MOMENTS),
        "files": files,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2))


def _write_current(root: Path, version: str) -> None:
    tmp = root / f".current-{uuid.uuid4().hex}"
    tmp.write_text(version)
    tmp.replace(root / "current")


# --- reading ---------------------------------------------------------------------------------


def _check_files(path: Path, manifest: dict, *, full: bool) -> None:
    """Sizes and headers of every file first (cheap: a truncated store fails fast), then the
    sha256 of the small files, or of every file with ``full``."""
    for name, entry in manifest["files"].items():
        file = path / name
        try:
            size = file.stat().st_size
        except FileNotFoundError:
            raise LibraryCorrupt(f"library file {file} is missing") from None
        if size != entry["bytes"]:
            raise LibraryCorrupt(
                f"library file {file} has {size} bytes, the manifest says "
                f"{entry['bytes']}: the store is damaged; re-import the library"
            )
        if "shape" in entry:
            dtype, shape, _ = _npy_header(file)
            if dtype.str != entry["dtype"] or list(shape) != entry["shape"]:
                raise LibraryCorrupt(f"library file {file} has a header unlike its manifest")
    for name, entry in manifest["files"].items():
        file = path / name
        if (full or entry["bytes"] <= _SMALL_FILE_BYTES) and _file_sha256(file) != entry["sha256"]:
            raise LibraryCorrupt(
                f"library file {file} does not match its sha256 in the manifest: the store is "
                "damaged; re-import the library"
            )


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except FileNotFoundError:
        raise LibraryCorrupt(f"library version {path} has no manifest") from None
    except json.JSONDecodeError as exc:
        raise LibraryCorrupt(f"the manifest of {path} is not valid JSON ({exc})") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise LibraryCorrupt(f"{path} is store format {manifest.get('format')}; re-import it")
    return manifest


def _current_path(slug: str) -> tuple[str, Path]:
    root = library_root(slug=slug)
    try:
        version = (root / "current").read_text().strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"library {slug!r} has no stored matrices") from None
    return version, root / version


def library_stored(*, slug: str, version: str) -> bool:
    """Whether ``version`` of the library is the one in service, its files are present and
    written by this store format (a store of an older format is re-imported, not kept)."""
    try:
        current, path = _current_path(slug)
        _read_manifest(path)  # LibraryCorrupt for another format
    except (FileNotFoundError, LibraryCorrupt):
        return False
    return current == version


def library_check(*, slug: str, version: str, full: bool = False) -> None:
    """Raise ``LibraryCorrupt`` unless ``version`` of the library is in service with every file
    of its manifest present, of the right size and header, and the small files' hashes right
    (``full``: every file's hash, as ``library_verify``)."""
    current, path = _current_path(slug)
    if current != version:
        raise LibraryCorrupt(f"library {slug!r} serves version {current}, not {version}")
    _check_files(path, _read_manifest(path), full=full)
    if full and _content_hash(_raw_hashes(path)) != version:
        raise LibraryCorrupt(f"library {slug!r}: the raw files no longer hash to {version}")


def library_open(*, slug: str) -> LibraryMatrices:
    """The current version of a library, memory-mapped once per process.

    A mapped file that is later truncated would kill the process with SIGBUS at the first read
    of a page past its new end, so every call first compares each file's inode and size with
    those it had when mapped (one ``stat`` per file, a few microseconds in all). A changed file
    drops the cached maps and the library is opened again: a repaired store is served, a
    damaged one raises ``LibraryCorrupt``. A truncation after this check, while the caller
    reads, is not caught (see docs/store.md)."""
    matrices = _library_map(slug, _GENERATION.get(slug, 0))
    if _files_changed(matrices.files):  # map this library afresh, keep the others' maps
        _GENERATION[slug] = _GENERATION.get(slug, 0) + 1
        matrices = _library_map(slug, _GENERATION[slug])
    return matrices


#: slug -> how many times its files changed under this process (part of the cache key).
_GENERATION: dict[str, int] = {}


def _files_changed(files: tuple[tuple[Path, int, int], ...]) -> bool:
    for path, inode, size in files:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return True
        if st.st_ino != inode or st.st_size != size:
            return True
    return False


def _identities(path: Path, manifest: dict) -> tuple[tuple[Path, int, int], ...]:
    """(path, inode, bytes) of the checked files; the sizes are the manifest's, so a file
    truncated between the check and this stat is seen at the next call."""
    return tuple(
        (path / name, os.stat(path / name).st_ino, entry["bytes"])
        for name, entry in manifest["files"].items()
    )


@lru_cache(maxsize=64)
def _library_map(slug: str, generation: int) -> LibraryMatrices:
    """Memory-map the current version of a library after checking it against its manifest
    (``generation`` only keys the cache)."""
    version, path = _current_path(slug)
    manifest = _read_manifest(path)
    total = sum(entry["bytes"] for entry in manifest["files"].values())
    _check_files(path, manifest, full=total <= FULL_VERIFY_BYTES)
    files = _identities(path, manifest)
    logfc = _npy_map(path / "logfc.npy")
    pvalue = _npy_map(path / "pvalue.npy") if manifest["has_pvalues"] else None
    layouts = {  # plain ndarray views of the maps: no np.memmap overhead per row
        name: np.asarray(_npy_map(path / f"{name}q.npy"))
        for name in LAYOUTS
        if (path / f"{name}q.npy").exists()
    }
    index, kept = path / "ext_index.npy", path / "ext_value.npy"
    stacked = np.asarray(_npy_map(path / "moments.npy"))
    return LibraryMatrices(
        slug=slug,
        version=version,
        genes=np.asarray(_npy_map(path / "genes.npy")),
        signature_ids=tuple(json.loads((path / "signatures.json").read_text())),
        logfc=logfc.T,
        pvalue=None if pvalue is None else pvalue.T,
        path=path,
        layouts=layouts,
        moments=dict(zip(manifest["moments"], stacked, strict=True)),
        nan_columns=np.asarray(_npy_map(path / "nan_columns.npy")),
        ext_index=np.asarray(_npy_map(index)) if index.exists() else None,
        ext_value=np.asarray(_npy_map(kept)) if kept.exists() else None,
        n_extreme=manifest["n_extreme"],
        p_floor=manifest["p_floor"],
        files=files,
    )


library_open.cache_clear = _library_map.cache_clear  # type: ignore[attr-defined]


def library_verify(*, slug: str) -> str:
    """Re-hash every file of the current version; raises LibraryCorrupt, returns the version."""
    version, _ = _current_path(slug)
    library_check(slug=slug, version=version, full=True)
    return version


def library_delete(*, slug: str) -> None:
    shutil.rmtree(library_root(slug=slug), ignore_errors=True)
    library_open.cache_clear()
