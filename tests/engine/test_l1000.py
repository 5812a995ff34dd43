"""L1000 maths against CMap's published expectations, R and biology on real plates."""

import subprocess

import numpy as np
import pandas as pd
import pytest

from analysis.engine import formats
from analysis.engine.l1000 import consensus_gene_signature, modz, modz_groups, robust_zscore
from tests.conftest import FIXTURES

LINCS = FIXTURES / "lincs"
DISTIL = FIXTURES / "cmap_validation" / "modz_distil"


def read_gct(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values: rows × columns, column metadata: columns × fields) of a GCT file."""
    gct = formats.read_gct(path)
    return gct.data, gct.col_meta


def read_gctx(path):
    gctx = formats.read_gctx(path)
    cols = {"id": gctx.data.columns.to_numpy(str)}
    cols.update({k: gctx.col_meta[k].to_numpy(str) for k in gctx.col_meta.columns})
    return gctx.data.to_numpy(), gctx.data.index.to_numpy(str), cols


# ---- robust z-scores ---------------------------------------------------------------------

# cmapPy's unit test of its robust z-score (cmapPy/math/tests/test_robust_zscore.py):
# genes are rows, wells are columns; expected values rounded to 4 decimals.
CMAPPY_WELLS = np.array([[4, 2, 6, 5], [2, 8, 5, 2], [3, 6, 9, 1]], dtype=float)


def test_plate_control_z_scores_equal_cmappy_expectations():
    expected = np.array(
        [
            [-0.3372, -1.6862, 1.0117, 0.3372],
            [-0.6745, 2.0235, 0.6745, -0.6745],
            [-0.4047, 0.4047, 1.2141, -0.9443],
        ]
    )
    np.testing.assert_allclose(robust_zscore(CMAPPY_WELLS).round(4), expected, atol=1e-12)


def test_vehicle_control_z_scores_with_the_mad_floor_equal_cmappy_expectations():
    wells = np.hstack([CMAPPY_WELLS, [[8, 7], [8, 6], [6, 6]]])
    control = np.array([False] * 4 + [True] * 2)
    expected = np.array(
        [
            [-4.7214, -7.4194, -2.0235, -3.3725],
            [-3.3725, 0.6745, -1.349, -3.3725],
            [-20.2347, 0.0, 20.2347, -33.7245],  # this gene's control MAD is 0: floored
        ]
    )
    z = robust_zscore(wells, reference=control)[:, :4]
    np.testing.assert_allclose(z.round(4), expected, atol=1e-12)


@pytest.fixture(scope="session")
def level3_plate():
    values, columns = read_gct(LINCS / "level3_LJP005_A375_24H_n377x978_cmapPy.gct.gz")
    return values, columns["pert_type"].eq("ctl_vehicle").to_numpy()


@pytest.mark.oracle
def test_z_scores_of_a_real_plate_equal_r_median_and_mad(rscript, tmp_path, level3_plate):
    values, dmso = level3_plate
    assert dmso.sum() == 26
    values.to_csv(tmp_path / "x.tsv", sep="\t", float_format="%.17g")
    script = (
        "x <- as.matrix(read.delim(commandArgs(TRUE)[1], row.names = 1, check.names = FALSE));"
        "d <- as.logical(as.integer(strsplit(commandArgs(TRUE)[2], '')[[1]]));"
        "z <- function(r) { m <- apply(r, 1, median); s <- apply(r, 1, mad, constant = 1);"
        "  (x - m) / (1.4826 * pmax(s, 0.1)) };"
        "write.table(z(x), commandArgs(TRUE)[3], sep = '\\t', quote = FALSE);"
        "write.table(z(x[, d, drop = FALSE]), commandArgs(TRUE)[4], sep = '\\t', quote = FALSE)"
    )
    flags = "".join("1" if d else "0" for d in dmso)
    subprocess.run(
        [
            rscript,
            "-e",
            script,
            tmp_path / "x.tsv",
            flags,
            tmp_path / "pc.tsv",
            tmp_path / "vc.tsv",
        ],
        check=True,
        capture_output=True,
    )
    for name, reference in (("pc.tsv", None), ("vc.tsv", dmso)):
        expected = pd.read_csv(tmp_path / name, sep="\t", index_col=0).to_numpy()
        ours = robust_zscore(values.to_numpy(), reference=reference)
        np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-13)


def test_vehicle_z_scores_center_the_dmso_wells(level3_plate):
    values, dmso = level3_plate
    z = robust_zscore(values.to_numpy(), reference=dmso)
    np.testing.assert_allclose(np.median(z[:, dmso], axis=1), 0, atol=1e-12)


# ---- MODZ and consensus gene signatures --------------------------------------------------


@pytest.fixture(scope="session")
def distil():
    level4, rows, meta4 = read_gctx(DISTIL / "distil_input_level4_n6x978.gctx")
    level5, rows5, meta5 = read_gctx(DISTIL / "modzs_expected_level5_n3x978.gctx")
    assert (rows == rows5).all()
    return level4, list(meta4["id"]), level5, meta5


def test_modz_equals_the_cmap_level5_expectations(distil):
    level4, wells, level5, meta = distil
    for j, replicate_ids in enumerate(meta["distil_id"]):
        columns = [wells.index(w) for w in replicate_ids.split("|")]
        result = modz(level4[:, columns])
        # CMap stores float32: agreement to a few float32 ulps of |z| <= 10
        np.testing.assert_allclose(result.signature, level5[:, j], rtol=0, atol=2e-6)
        expected_weights = [float(w) for w in meta["distil_wt"][j].split(",")]
        np.testing.assert_allclose(result.weights.round(2), expected_weights, atol=1e-12)


def test_modz_groups_collapse_replicates_by_perturbagen(distil):
    level4, wells, level5, meta = distil
    pert = {
        w: p
        for p, ids in zip(meta["pert_id"], meta["distil_id"], strict=True)
        for w in ids.split("|")
    }
    groups = [pert[w] for w in wells]
    table, weights = modz_groups(level4, groups)
    for j, pert_id in enumerate(meta["pert_id"]):
        np.testing.assert_allclose(table[pert_id], level5[:, j], rtol=0, atol=2e-6)
    assert sorted(len(w) for w in weights.values()) == [1, 2, 3]


def test_modz_clips_z_scores_at_ten():
    z = np.array([[25.0, 30.0], [1.0, 2.0], [-3.0, -1.0], [0.5, 0.1]])
    assert modz(z).signature[0] == pytest.approx(10.0)


def test_a_knockdown_consensus_puts_each_target_gene_among_its_most_decreased_genes():
    # LITMUS.KD017: per hairpin, MODZ of its replicate wells; then the consensus gene
    # signature of the hairpins of each target (this plate has one hairpin per target, so
    # the CGS is that hairpin's MODZ). The knocked-down gene should be in the bottom 5 % of
    # its own consensus signature for nearly every target (on-target effect).
    values, columns = read_gct(LINCS / "shrna_kd_LITMUS_n374x976_cmapR.gct.gz")
    genes = values.index.astype(np.int64)
    hairpins = columns[columns["pert_type"] == "trt_sh"]
    bottom = []
    for target, wells in hairpins.groupby("pert_univ_id"):
        if int(target) not in genes:
            continue
        per_hairpin = [
            modz(values[hp.index].to_numpy()).signature for _, hp in wells.groupby("pert_id")
        ]
        cgs = consensus_gene_signature(np.column_stack(per_hairpin)).signature
        rank = (cgs < cgs[genes.get_loc(int(target))]).sum()
        bottom.append(rank < 0.05 * len(genes))
    assert len(bottom) >= 80
    assert np.mean(bottom) >= 0.9
