"""The signature store: round trip, versions, derived layouts and damage detection."""

import numpy as np
import pytest

from analysis.engine.connectivity import FullSignature, connectivity
from analysis.engine.connectivity.fast import arrays_library, fast_connectivity
from signatures import io


def write(slug, genes, logfc, p, ids, block=7):
    writer = io.LibraryWriter(
        slug=slug, genes=genes, n_signatures=len(ids), has_pvalues=p is not None
    )
    for start in range(0, len(ids), block):
        sl = slice(start, start + block)
        writer.add_block(
            signature_ids=ids[sl], logfc=logfc[:, sl], pvalue=None if p is None else p[:, sl]
        )
    return writer.commit()


@pytest.fixture
def small(settings):
    rng = np.random.default_rng(3)
    genes = rng.choice(50_000, 250, replace=False)
    logfc = rng.standard_normal((250, 40))
    logfc[3, 4] = np.nan
    p = rng.uniform(0, 1, (250, 40))
    p[0, 0] = 0.0
    return genes, logfc, p, [f"SIG_{j}" for j in range(40)]


def test_a_library_written_in_blocks_reads_back_exactly(small):
    genes, logfc, p, ids = small
    version = write("demo", genes, logfc, p, ids)
    lib = io.library_open(slug="demo")
    assert lib.version == version
    assert lib.signature_ids == tuple(ids)
    np.testing.assert_array_equal(lib.genes, genes)
    np.testing.assert_array_equal(lib.logfc, logfc)
    np.testing.assert_array_equal(lib.pvalue, p)
    assert list(lib.nan_columns) == [4]
    assert lib.column("SIG_5") == 5


def test_data_files_start_on_a_page_boundary(small):
    genes, logfc, p, ids = small
    write("demo", genes, logfc, p, ids)
    lib = io.library_open(slug="demo")
    assert io._npy_header(lib.path / "yq.npy")[2] % 4096 == 0
    assert lib.logfc.T.offset % 4096 == 0


def test_the_stored_layouts_equal_the_in_memory_ones(small):
    genes, logfc, p, ids = small
    write("demo", genes, logfc, p, ids)
    stored = io.library_open(slug="demo")
    memory = arrays_library(genes, logfc, p, ids)
    for name, layout in memory.layouts.items():
        np.testing.assert_array_equal(stored.layouts[name], layout, err_msg=name)
    for name, values in memory.moments.items():
        np.testing.assert_allclose(stored.moments[name], values, rtol=1e-12, err_msg=name)
    np.testing.assert_array_equal(stored.ext_index, memory.ext_index)
    np.testing.assert_array_equal(stored.ext_value, memory.ext_value)
    # the stored values are the signed significance at each signature's kept genes
    assert stored.ext_value.shape == stored.ext_index.shape
    rows = np.arange(len(ids))[:, None]
    y, pv = np.asarray(logfc, dtype=float).T, np.asarray(p, dtype=float).T
    g = np.maximum(stored.ext_index, 0)
    expected = np.sign(y[rows, g]) * -np.log10(np.fmax(pv[rows, g], io.P_FLOOR))
    kept = stored.ext_index >= 0
    np.testing.assert_allclose(stored.ext_value[kept], expected[kept], rtol=1e-15)
    assert (stored.ext_value[~kept] == 0).all()


def test_reimporting_identical_content_is_a_no_op_and_changed_content_a_new_version(small):
    genes, logfc, p, ids = small
    first = write("demo", genes, logfc, p, ids)
    assert write("demo", genes, logfc, p, ids, block=40) == first
    changed = logfc.copy()
    changed[0, 0] += 1
    second = write("demo", genes, changed, p, ids)
    assert second != first
    assert io.library_open(slug="demo").version == second
    versions = [d.name for d in io.library_root(slug="demo").iterdir() if d.is_dir()]
    assert sorted(versions) == sorted([first, second])


def test_an_aborted_import_leaves_the_current_version_serving(small):
    genes, logfc, p, ids = small
    first = write("demo", genes, logfc, p, ids)
    writer = io.LibraryWriter(slug="demo", genes=genes, n_signatures=40, has_pvalues=True)
    writer.add_block(signature_ids=ids[:5], logfc=logfc[:, :5], pvalue=p[:, :5])
    with pytest.raises(ValueError, match="5 columns written, 40 announced"):
        writer.commit()
    writer.abort()
    assert io.library_open(slug="demo").version == first


def test_a_damaged_file_is_reported_and_never_read(small):
    genes, logfc, p, ids = small
    version = write("demo", genes, logfc, p, ids)
    path = io.library_root(slug="demo") / version / "eq.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    io.library_open.cache_clear()
    with pytest.raises(io.LibraryCorrupt, match="eq.npy does not match its sha256"):
        io.library_open(slug="demo")


def test_a_truncated_file_is_reported(small):
    genes, logfc, p, ids = small
    version = write("demo", genes, logfc, p, ids)
    path = io.library_root(slug="demo") / version / "logfc.npy"
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size - 8)
    io.library_open.cache_clear()
    with pytest.raises(io.LibraryCorrupt, match="logfc.npy has"):
        io.library_open(slug="demo")


def test_the_stored_library_answers_like_the_reference(small):
    genes, logfc, p, ids = small
    write("demo", genes, logfc, p, ids)
    lib = io.library_open(slug="demo")
    query = FullSignature(genes=genes[::-1], logfc=logfc[::-1, 9], pvalue=p[::-1, 9])
    for metric in ("extreme", "weighted", "updown", "pearson"):
        ours = fast_connectivity(query, lib, metric=metric, top=5).table
        ref = connectivity(query, genes, logfc, p, metric=metric, signature_ids=ids)
        ref = ref.set_index("signature").loc[ours["signature"]]
        np.testing.assert_allclose(ours["similarity"], ref["similarity"], atol=1e-12)
    assert ours["signature"].iloc[0] == "SIG_9"


def test_a_genome_wide_library_is_stored(settings):
    rng = np.random.default_rng(0)
    genes = np.arange(1, 12_001)
    logfc = rng.standard_normal((12_000, 6))
    write("genome", genes, logfc, None, [f"G{j}" for j in range(6)], block=3)
    lib = io.library_open(slug="genome")
    assert lib.layouts["y"].shape == (1, 12_000, io.BLOCK)
    assert lib.layouts["y"].dtype == np.int8
    assert "e" not in lib.layouts
