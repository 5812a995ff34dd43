"""Gene-set files: GMT (MSigDB, Enrichr, CMap) and GRP gene lists."""

import pytest

from analysis.engine import formats
from tests.conftest import FIXTURES


def test_msigdb_hallmark_reads_fifty_sets():
    sets = formats.read_gmt(FIXTURES / "genesets" / "msigdb_h.all.v7.0.symbols.gmt")
    assert len(sets) == 50 and sets[0].name.startswith("HALLMARK_")
    assert all(s.genes and len(set(s.genes)) == len(s.genes) for s in sets)


def test_a_cmap_query_gmt_reads():
    sets = formats.read_gmt(FIXTURES / "cmap_validation" / "s2n_build" / "up50_lm_n5.gmt")
    assert len(sets) == 5 and all(len(s.genes) == 50 for s in sets)


def test_a_gmt_line_without_genes_names_its_line(tmp_path):
    path = tmp_path / "x.gmt"
    path.write_text("A\tdesc\tg1\n\nB\tdesc\n")
    with pytest.raises(formats.InputError, match="x.gmt: line 3 has 2 tab-separated field"):
        formats.read_gmt(path)


def test_a_gene_set_named_twice_is_refused(tmp_path):
    path = tmp_path / "x.gmt"
    path.write_text("A\td\tg1\nA\td\tg2\n")
    with pytest.raises(formats.InputError, match="line 2: duplicated gene-set name 'A'"):
        formats.read_gmt(path)


def test_a_cmap_grp_reads_its_genes():
    genes = formats.read_grp(FIXTURES / "cmap_validation" / "wtcs_trichostatin" / "HDAC_UP.grp")
    assert genes[:2] == ["202284_s_at", "202838_at"]


def test_grp_hash_lines_are_comments(tmp_path):
    path = tmp_path / "x.grp"
    path.write_text("# my genes\nTP53\n\n#MYC\nEGFR\nTP53\n")
    assert formats.read_grp(path) == ["TP53", "EGFR"]


def test_a_grp_without_genes_is_refused(tmp_path):
    path = tmp_path / "x.grp"
    path.write_text("# nothing\n")
    with pytest.raises(formats.InputError, match="lists no genes"):
        formats.read_grp(path)
