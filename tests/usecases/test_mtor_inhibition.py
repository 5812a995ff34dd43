"""Use case 1 (mTOR): torin-2 on the LINCS A375 plate connects to the other PI3K/mTOR
inhibitors, and the connected compounds' targets point to the mTOR/PI3K-Akt pathways.

Which compound is a PI3K/AKT/mTOR inhibitor comes from the drug annotation tables in
fixtures/drug_annotations (Broad Repurposing Hub, signatureSearch/CLUE MoA), not from the code.
"""

import gzip

import pandas as pd
import pytest

from analysis.tutorials import usecases
from tests.conftest import FIXTURES
from tests.usecases.conftest import submit, table

pytestmark = pytest.mark.django_db


def moa_by_brd() -> dict[str, str]:
    """13-character BRD id -> MoA text (lower case) from both annotation tables."""
    moa = {}
    drug = FIXTURES / "drug_annotations"
    with gzip.open(drug / "lincs_pert_info2_moa_targets_signatureSearch.tsv.gz", "rt") as f:
        clue = pd.read_csv(f, sep="\t", usecols=["pert_id", "MOA"], dtype=str).fillna("")
    for pid, text in zip(clue.pert_id, clue.MOA, strict=True):
        moa[pid[:13]] = moa.get(pid[:13], "") + " " + text.lower()
    with gzip.open(drug / "repurposing_hub_export_drugs.txt.gz", "rt") as f:
        hub = pd.read_csv(f, sep="\t", usecols=["MOA", "Id"], dtype=str).fillna("")
    for ids, text in zip(hub.Id, hub.MOA, strict=True):
        for pid in ids.split(","):
            moa[pid.strip()[:13]] = moa.get(pid.strip()[:13], "") + " " + text.lower()
    return moa


def is_pi3k_mtor(text: str) -> bool:
    return any(k in text for k in ("mtor inhibitor", "pi3k inhibitor", "akt inhibitor"))


def is_mapk_egfr_hsp90(text: str) -> bool:
    keys = ("mek inhibitor", "raf inhibitor", "egfr inhibitor", "hsp inhibitor")
    return any(k in text for k in keys) and not is_pi3k_mtor(text)


@pytest.fixture
def torin2(usecase_data):
    build = submit("build_signature", usecases.MTOR_BUILD)
    step = usecases.step_of("mtor-inhibition", "connect")
    connect = submit("connectivity", usecases.step_params(step, build))
    return build, connect


def ranked_others(connect) -> pd.DataFrame:
    rows = table(connect, "connections").sort_values("similarity", ascending=False)
    rows = rows[rows.perturbagen != "torin-2"].reset_index(drop=True)
    rows["rank"] = rows.index + 1
    moa = moa_by_brd()
    rows["moa"] = [moa.get(str(p)[:13], "") for p in rows.perturbagen_id]
    return rows


def test_torin2_connects_first_to_the_dual_pi3k_mtor_inhibitors(torin2):
    _, connect = torin2
    rows = ranked_others(connect)
    top = table(connect, "connections").sort_values("similarity", ascending=False)
    assert top.perturbagen.iloc[0] == "torin-2"  # the query's own plate signature: a control
    assert rows.perturbagen.iloc[0] == "NVP-BEZ235"
    assert "BRD-A18328003" in rows.perturbagen_id.str[:13].head(3).tolist()  # GDC-0980
    assert all(is_pi3k_mtor(m) for m in rows.moa.head(2))


def test_mtor_inhibitors_rank_above_every_mek_braf_egfr_and_hsp90_inhibitor(torin2):
    rows = ranked_others(torin2[1])
    mtor = rows[rows.moa.str.contains("mtor inhibitor")]
    mapk = rows[rows.moa.map(is_mapk_egfr_hsp90)]
    assert len(mtor) >= 2 and len(mapk) >= 8
    assert mtor["rank"].max() < mapk["rank"].min()


def test_the_wider_pi3k_akt_mtor_class_is_reported_with_its_ranks(torin2):
    """Isoform-selective PI3K and allosteric AKT inhibitors resemble torin-2 far less than
    the ATP-competitive mTOR inhibitors do (in A375 at 24 h): the class as a whole only
    leans to the top. The figures go to the report; the assertion is the lean."""
    rows = ranked_others(torin2[1])
    pi3k = rows[rows.moa.map(is_pi3k_mtor)]
    mapk = rows[rows.moa.map(is_mapk_egfr_hsp90)]
    wins = sum((a < b) for a in pi3k["rank"] for b in mapk["rank"])
    auc = wins / (len(pi3k) * len(mapk))
    print(f"\nPI3K/AKT/mTOR ranks {pi3k['rank'].tolist()}; MEK/RAF/EGFR/HSP90 ranks")
    print(f"{mapk['rank'].tolist()}; P(PI3K/AKT/mTOR outranks MAPK class) = {auc:.2f}")
    in_top10 = int((pi3k["rank"] <= 10).sum())
    expected = 10 * len(pi3k) / len(rows)
    assert in_top10 > expected
    assert auc > 0.5


def test_the_genes_torin2_lowers_include_the_mtorc1_hallmark(torin2):
    build, _ = torin2
    step = usecases.step_of("mtor-inhibition", "enrich")
    result = table(submit("enrichment", usecases.step_params(step, build)), "enrichment")
    mtorc1 = result[(result.term == "HALLMARK_MTORC1_SIGNALING") & (result.direction == "down")]
    assert len(mtorc1) == 1 and mtorc1.fdr.iloc[0] < 0.01


def test_targets_of_the_connected_compounds_map_to_the_pi3k_akt_pathway(torin2):
    _, connect = torin2
    step = usecases.step_of("mtor-inhibition", "target-pathways")
    params = usecases.step_params(step, connect)
    assert {"MTOR", "PIK3CA"} <= set(params["genes"])
    result = table(submit("enrichment", params), "enrichment")
    top = result.sort_values("p_value").term.head(10).str.lower().tolist()
    print("\nKEGG terms of the targets:", top[:5])
    # iLINCS' Fig. 2e (reference useCase1b_t07) has PI3K-Akt signaling in its top 5
    reference = usecases.reference_table("useCase1b_t07").Term.str.lower().tolist()
    assert "pi3k-akt signaling pathway" in reference[:5]
    assert any(t.startswith("pi3k-akt signaling pathway") for t in top[:5])
    ordered = result.sort_values("p_value").term.str.lower().tolist()
    mtor = next(i + 1 for i, t in enumerate(ordered) if t.startswith("mtor signaling pathway"))
    print(f"mTOR signaling pathway: rank {mtor} of {len(ordered)} (not in the top 5: reported)")


def test_connected_compounds_are_enriched_for_mtor_and_pi3k_targets(torin2):
    build, _ = torin2
    step = usecases.step_of("mtor-inhibition", "targets")
    terms = table(submit("moa_targets", usecases.step_params(step, build)), "terms")
    best = terms.sort_values("p_value", kind="stable").head(4)
    assert {"PIK3CA", "MTOR"} & set(best.term)
    assert {"MTOR inhibitor", "PI3K inhibitor"} & set(best.term)


def test_the_p100_everolimus_signature_connects_to_pi3k_mtor_inhibitors(usecase_data):
    connect = submit(
        "connectivity",
        {
            "source": {"signature": usecases.P100_EVEROLIMUS},
            "library": usecases.P100_LIBRARY,
            "metric": "pearson",
            "top": 100,
        },
    )
    rows = table(connect, "connections").sort_values("similarity", ascending=False)
    rows = rows[rows.perturbagen.str.lower() != "everolimus"].reset_index(drop=True)
    names = rows.perturbagen.str.lower().tolist()
    print("\nP100 everolimus connections:", names[:8])
    # PI3K/AKT/mTOR inhibitors of the P100 plate (MANIFEST): dactolisib = NVP-BEZ235,
    # BYL719 = alpelisib, IPI145 = duvelisib, afuresertib
    wanted = {"nvp-bez235", "dactolisib", "byl719", "ipi145", "afuresertib"}
    ranks = [i + 1 for i, n in enumerate(names) if n in wanted]
    assert len(ranks) >= 3
    assert min(ranks) <= 3 and sorted(ranks)[2] <= 10  # 30 compounds: three in the top third
