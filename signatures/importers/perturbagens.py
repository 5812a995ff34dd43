"""Perturbagen tables: LINCS pert_info and drug annotations (MOA, targets) (no ORM)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.engine.formats import InputError, is_missing, read_table
from signatures.importers.common import require


def read_pertinfo(path: Path | str) -> pd.DataFrame:
    """LINCS pert_info (pert_id, pert_iname, pert_type, pubchem_cid, SMILES, InChIKey)."""
    name = Path(path).name
    table = read_table(path)
    require(table, ["pert_id", "pert_iname", "pert_type"], name=name)
    table["pert_id"] = table["pert_id"].str.strip()
    if (table["pert_id"] == "").any():
        raise InputError(f"{name}: a row has an empty pert_id")
    duplicated = table["pert_id"][table["pert_id"].duplicated()].unique()
    if len(duplicated):
        raise InputError(
            f"{name}: duplicated pert_id: {', '.join(duplicated[:5])} ({len(duplicated)} in all)"
        )
    return table


def _split(value: str, seps: str = r"[|;,]") -> list[str]:
    if not value or is_missing(value):
        return []
    return list(dict.fromkeys(p.strip() for p in re.split(seps, value) if p.strip()))


def read_drug_annotations(path: Path | str) -> pd.DataFrame:
    """A drug annotation table, normalised: key_brd (13-char BRD prefix), key_name, moa,
    targets, inchi_key, chembl_id, drugbank_id, phase.

    Understands the signatureSearch LINCS compound table (pert_id, MOA, t_gn_sym, ...) and the
    Drug Repurposing Hub export (Name, MOA, Target, Id, InChIKey, Phase).
    """
    name = Path(path).name
    table = read_table(path)
    rows = []
    if "pert_id" in table.columns:
        require(table, ["pert_id", "pert_iname"], name=name)
        for r in table.to_dict("records"):
            moa = _split(r.get("MOA", ""), r"[|;]") or _split(r.get("mergeMOA", ""), r"[|;]")
            targets = _split(r.get("target", ""), r"[|;]") or _split(r.get("t_gn_sym", ""), r";")
            phase = r.get("max_phase", "").strip()
            rows.append(
                {
                    "keys": [r["pert_id"].strip()[:13]],
                    "key_name": r["pert_iname"].strip().lower(),
                    "moa": moa,
                    "targets": targets,
                    "inchi_key": r.get("inchi_key", "").strip(),
                    "chembl_id": r.get("chembl_id", "").strip(),
                    "drugbank_id": r.get("DrugBank_ID", "").strip(),
                    "phase": f"Phase {phase.split('.')[0]}" if not is_missing(phase) else "",
                }
            )
    elif "Name" in table.columns:
        require(table, ["Name", "MOA", "Target"], name=name)
        for r in table.to_dict("records"):
            rows.append(
                {
                    "keys": sorted({i.strip()[:13] for i in _split(r.get("Id", ""), ",")}),
                    "key_name": r["Name"].strip().lower(),
                    "moa": _split(r["MOA"], r"[|,]"),
                    "targets": _split(r["Target"], ","),
                    "inchi_key": (_split(r.get("InChIKey", ""), ",") or [""])[0],
                    "chembl_id": "",
                    "drugbank_id": "",
                    "phase": r.get("Phase", "").strip(),
                }
            )
    else:
        raise InputError(f"{name}: not a drug annotation table (no pert_id or Name column)")
    return pd.DataFrame(rows)
