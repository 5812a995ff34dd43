"""LINCS metadata parsing: perturbagen types, doses and times, signature columns.

Pure functions of the metadata rows; nothing here reads or writes the database (the
field lengths come from the models' declarations).
"""

from __future__ import annotations

import re

from analysis.engine.formats import is_missing
from catalog.fields import fit
from signatures.choices import PerturbagenKind
from signatures.models import Signature

PERT_TYPES = {
    "trt_cp": PerturbagenKind.COMPOUND,
    "ctl_vehicle": PerturbagenKind.COMPOUND,
    "ctrl_vehicle": PerturbagenKind.COMPOUND,
    "trt_poscon": PerturbagenKind.COMPOUND,
    "trt_sh": PerturbagenKind.KNOCKDOWN,
    "trt_sh.css": PerturbagenKind.KNOCKDOWN,
    "ctl_vector": PerturbagenKind.KNOCKDOWN,
    "trt_sh.cgs": PerturbagenKind.CONSENSUS_KNOCKDOWN,
    "trt_oe": PerturbagenKind.OVEREXPRESSION,
    "trt_oe.mut": PerturbagenKind.OVEREXPRESSION,
    "ctl_vector.cns": PerturbagenKind.OVEREXPRESSION,
    "trt_xpr": PerturbagenKind.CRISPR,
    "trt_xpr.cgs": PerturbagenKind.CRISPR,
    "trt_lig": PerturbagenKind.LIGAND,
}
GENETIC = {
    PerturbagenKind.KNOCKDOWN,
    PerturbagenKind.CONSENSUS_KNOCKDOWN,
    PerturbagenKind.OVEREXPRESSION,
    PerturbagenKind.CRISPR,
}
DOSE_RE = re.compile(r"^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*([^\d\s].*)?$")
UNITS = {"um": "µM", "µm": "µM", "μm": "µM", "nm": "nM", "mm": "mM", "h": "h", "hr": "h"}
UNITS |= {"hours": "h", "hour": "h", "d": "d", "days": "d", "m": "min", "min": "min"}


# A Broad id is BRD-<letter><8 digits>-<salt>-<batch>: its first 13 characters name the
# compound whatever the salt or batch, so annotation tables and libraries join on them.
BRD_PREFIX_LENGTH = 13


def brd_prefix(pert_id: str) -> str:
    """'BRD-K51313569-003-04-0' -> 'BRD-K51313569' (any other id unchanged but cut the same)."""
    return pert_id[:BRD_PREFIX_LENGTH]


def perturbagen_kind(pert_type: str) -> str:
    return PERT_TYPES.get(str(pert_type).strip(), PerturbagenKind.DISEASE)


def _first(meta: dict, *names: str) -> str:
    for n in names:
        value = str(meta.get(n, "")).strip()
        if value and not is_missing(value):
            return value
    return ""


def parse_amount(text: str, unit: str = "") -> tuple[float | None, str]:
    """'10 µM' / '10uM' / ('10', 'um') / '6 h' -> (10.0, 'µM') ... (None, '') if absent."""
    match = DOSE_RE.match(text or "")
    if not match:
        return None, ""
    raw_unit = (match.group(2) or unit or "").strip().replace("<b5>", "µ")
    return float(match.group(1)), UNITS.get(raw_unit.lower(), raw_unit)


def signature_fields(signature_id: str, meta: dict) -> dict:
    """The Signature columns a metadata row names (LINCS, iLINCS and plain spellings)."""
    parts = signature_id.split("__")
    guess = dict(zip(["pert_iname", "cell_id", "pert_type"], parts, strict=False))
    guess = guess if len(parts) == 3 else {}
    dose, dose_unit = parse_amount(
        _first(meta, "pert_idose", "concentration", "pert_dose", "dose"),
        _first(meta, "pert_dose_unit", "dose_unit"),
    )
    time, time_unit = parse_amount(
        _first(meta, "pert_itime", "pert_time", "time"), _first(meta, "pert_time_unit", "time_unit")
    )
    return {
        "pert_id": _first(meta, "pert_id"),
        "pert_iname": _first(meta, "pert_iname", "compound", "perturbagen", "treatment")
        or guess.get("pert_iname", ""),
        "pert_type": _first(meta, "pert_type") or guess.get("pert_type", ""),
        "cell": _first(meta, "cell_id", "cellLine", "cell_line", "cell")
        or guess.get("cell_id", ""),
        "dose": dose,
        "dose_unit": fit(Signature, "dose_unit", dose_unit),
        "time": time,
        "time_unit": fit(Signature, "time_unit", time_unit),
        "description": _first(meta, "description"),
        "treatment_description": fit(
            Signature, "treatment_description", _first(meta, "treatment_description")
        ),
        "baseline_description": fit(
            Signature, "baseline_description", _first(meta, "baseline_description")
        ),
    }
