"""Mechanism of action from connected signatures: the iLINCS paper's two workflows.

1. ``knockdown_pathways``: connected genetic knock-down / consensus gene (CGS) signatures ->
   the genes they knock down -> over-representation of those genes in gene-set libraries
   ("which pathway's loss mimics this drug?").
2. ``compound_annotation_enrichment``: connected chemical signatures -> their compounds' known
   targets and MoA classes -> hypergeometric enrichment of each target and each MoA class
   among the connected compounds, with all annotated compounds of the library as background.

Drug annotations are plain tables with one row per compound: ``compound_id`` (BRD id prefix,
e.g. BRD-K81418486), ``name``, ``aliases`` (tuple of names), ``targets`` and ``moa`` (tuples).
``lincs_annotations`` and ``repurposing_hub_annotations`` build it from the two tables of
``fixtures/drug_annotations``; compounds are matched by BRD prefix or by normalised name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.engine.enrichment import bh_adjust, hypergeometric_upper, odds_ratio, ora

ANNOTATION_COLUMNS = ["compound_id", "name", "aliases", "targets", "moa"]
TERM_COLUMNS = [
    "kind",
    "term",
    "overlap",
    "term_size",
    "connected_annotated",
    "background_annotated",
    "expected",
    "odds_ratio",
    "p_value",
    "fdr",
    "compounds",
]
_BRD = re.compile(r"^(BRD-[A-Z]\d{8})", re.IGNORECASE)


def normalise_name(name: str) -> str:
    """Lower-case, letters and digits only: 'Trichostatin A' and 'trichostatin-a' are equal."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def brd_prefix(identifier: str) -> str | None:
    """The 13-character BRD compound prefix of a LINCS/Broad id (BRD-K81418486-001-66-9)."""
    match = _BRD.match(str(identifier).strip())
    return match.group(1).upper() if match else None


def _split(value: Any, sep: str) -> tuple[str, ...]:
    if not isinstance(value, str) or not value.strip():
        return ()
    return tuple(dict.fromkeys(v.strip() for v in value.split(sep) if v.strip()))


def lincs_annotations(table: pd.DataFrame) -> pd.DataFrame:
    """Annotations from signatureSearch's LINCS compound table (lincs_pert_info2).

    Targets: ``mergeTargets`` (CLUE + ChEMBL + DrugBank); MoA: ``mergeMOA``. In that table
    ``pert_iname`` is sometimes the BRD id itself, with the name in ``compound_aliases``.
    """
    rows = pd.DataFrame(
        {
            "compound_id": table["pert_id"].map(brd_prefix),
            "name": table["pert_iname"].astype(str),
            "aliases": [
                _split(a, ";") + _split(b, ";")
                for a, b in zip(table["compound_aliases"], table["NameAliasMer"], strict=True)
            ],
            "targets": table["mergeTargets"].map(lambda v: _split(v, ";")),
            "moa": table["mergeMOA"].map(lambda v: _split(v, ";")),
        }
    )
    return rows[ANNOTATION_COLUMNS]


def repurposing_hub_annotations(table: pd.DataFrame) -> pd.DataFrame:
    """Annotations from a Broad Drug Repurposing Hub export (Name, MOA, Target, Id)."""
    ids = table["Id"].map(
        lambda v: tuple(dict.fromkeys(filter(None, map(brd_prefix, _split(v, ",")))))
    )
    rows = pd.DataFrame(
        {
            "compound_id": ids.map(lambda v: v[0] if v else None),
            "name": table["Name"].astype(str),
            "aliases": ids,
            "targets": table["Target"].map(lambda v: _split(v, ",")),
            "moa": table["MOA"].map(lambda v: _split(v, ",")),
        }
    )
    return rows[ANNOTATION_COLUMNS]


def match_compounds(compounds: Iterable[str], annotations: pd.DataFrame) -> pd.DataFrame:
    """One annotation row per given compound (name, alias or BRD id), indexed by the input.

    A BRD prefix is tried first, then the normalised name, then aliases. When several rows
    match (salts, duplicates), their targets and MoA classes are merged. Unmatched compounds
    are left out.
    """
    keys: dict[str, list[int]] = {}
    for pos, row in enumerate(annotations.itertuples(index=False)):
        for key in _keys(row):
            keys.setdefault(key, []).append(pos)
    matched = {}
    for compound in dict.fromkeys(compounds):
        prefix = brd_prefix(compound)
        hits = keys.get(prefix) if prefix else None
        hits = hits or keys.get(normalise_name(compound))
        if hits:
            rows = annotations.iloc[hits]
            matched[compound] = {
                "targets": tuple(dict.fromkeys(t for ts in rows.targets for t in ts)),
                "moa": tuple(dict.fromkeys(m for ms in rows.moa for m in ms)),
            }
    return pd.DataFrame.from_dict(matched, orient="index", columns=["targets", "moa"])


def _keys(row: Any) -> set[str]:
    keys = {normalise_name(row.name)} | {normalise_name(a) for a in row.aliases}
    keys |= {p for p in (brd_prefix(a) for a in row.aliases) if p}
    if row.compound_id:
        keys.add(row.compound_id)
    keys.discard("")
    return keys


def compound_annotation_enrichment(
    connected: Iterable[str],
    background: Iterable[str],
    annotations: pd.DataFrame,
    *,
    min_overlap: int = 1,
) -> pd.DataFrame:
    """Enrichment of targets and MoA classes among connected compounds.

    ``connected``: compounds (names or BRD ids) of the connected signatures; ``background``:
    all compounds of the library (connected ones included). Only compounds with at least one
    target (for targets) or MoA (for MoA classes) count, on both sides. For each term:
    N = annotated background compounds, K = those carrying the term, n = annotated connected
    compounds, k = those carrying it; p = P(X >= k), X ~ Hypergeom(N, K, n); BH within each
    kind over the terms seen among the connected compounds. Columns ``TERM_COLUMNS``.
    """
    universe = list(dict.fromkeys([*background, *connected]))
    table = match_compounds(universe, annotations)
    chosen = set(connected)
    parts = []
    for kind, column in (("target", "targets"), ("moa", "moa")):
        annotated = table[table[column].map(len) > 0]
        hits = annotated[annotated.index.isin(chosen)]
        if hits.empty:
            continue
        parts.append(_term_table(kind, annotated[column], hits[column], min_overlap))
    if not parts:
        return pd.DataFrame(columns=TERM_COLUMNS)
    result = pd.concat(parts, ignore_index=True)
    return result.sort_values(["kind", "p_value", "term"], kind="stable").reset_index(drop=True)


def _term_table(
    kind: str, background: pd.Series, connected: pd.Series, min_overlap: int
) -> pd.DataFrame:
    size = background.explode().value_counts()
    members = (
        connected.explode()
        .reset_index()
        .groupby(connected.name)["index"]
        .agg(lambda c: ";".join(sorted(c)))
    )
    overlap = connected.explode().value_counts()
    overlap = overlap[overlap >= min_overlap]
    n_bg, n_conn = len(background), len(connected)
    frame = pd.DataFrame({"term": overlap.index, "overlap": overlap.to_numpy()})
    frame["term_size"] = size.reindex(frame.term).to_numpy()
    frame["connected_annotated"] = n_conn
    frame["background_annotated"] = n_bg
    frame["expected"] = n_conn * frame.term_size / n_bg
    frame["odds_ratio"] = odds_ratio(frame.overlap, frame.term_size, n_conn, n_bg)
    frame["p_value"] = hypergeometric_upper(frame.overlap, frame.term_size, n_conn, n_bg)
    frame["fdr"] = bh_adjust(frame.p_value.to_numpy())
    frame["compounds"] = members.reindex(frame.term).to_numpy()
    frame["kind"] = kind
    return frame[TERM_COLUMNS]


def knockdown_pathways(
    target_genes: Iterable[str],
    gene_sets: Mapping[str, tuple[str, ...]],
    *,
    background: Iterable[str] | None = None,
    min_size: int = 5,
    max_size: int = 2000,
) -> pd.DataFrame:
    """ORA of the genes knocked down in connected KD/CGS signatures (``enrichment.ora``).

    ``background`` should be the genes knocked down anywhere in the library (what could have
    been connected); without it, the union of the library's gene sets plus the targets is used,
    an Enrichr-like genome background.
    """
    genes = [g for g in dict.fromkeys(str(t).strip() for t in target_genes) if g]
    if background is None:
        background = set().union(*gene_sets.values()) | set(genes)
    return ora(genes, gene_sets, background=background, min_size=min_size, max_size=max_size)


def top_connected(connections: pd.DataFrame, *, n: int, column: str = "similarity") -> pd.DataFrame:
    """The ``n`` most positively connected rows of a connectivity table (ties keep input order)."""
    order = np.argsort(-connections[column].to_numpy(dtype=float), kind="stable")
    return connections.iloc[order[:n]]
