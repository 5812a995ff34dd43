"""GCTX files written by CMap's own tools (cmapM test assets)."""

import numpy as np
import pytest

from analysis.engine import formats
from tests.conftest import FIXTURES

CMAP = FIXTURES / "cmap_validation"


def test_a_cmap_gctx_reads_as_a_matrix_with_its_metadata():
    matrix = formats.read_matrix(CMAP / "modz_distil" / "distil_input_level4_n6x978.gctx")
    assert matrix.data.shape == (978, 6) and matrix.data.dtypes.eq(np.float64).all()
    assert matrix.row_meta.shape[0] == 978 and matrix.col_meta.shape[0] == 6
    assert matrix.data.index[0] == "1007_s_at"


def test_gctx_blocks_stream_the_same_values_as_the_whole_read():
    path = CMAP / "modz_distil" / "distilbrew_input_DMSO_level4_n12x978.gctx"
    whole = formats.read_gctx(path).data.to_numpy(np.float32)
    keep = np.array([0, 5, 977])
    blocks = list(formats.gctx_blocks(path, block=5, rows=keep))
    assert [(a, b) for a, b, _ in blocks] == [(0, 5), (5, 10), (10, 12)]
    np.testing.assert_array_equal(np.hstack([v for *_, v in blocks]), whole[keep])


def test_a_text_file_is_not_a_gctx(tmp_path):
    path = tmp_path / "x.gctx"
    path.write_text("not hdf5")
    with pytest.raises(formats.InputError, match="not a readable GCTX"):
        formats.read_gctx(path)
