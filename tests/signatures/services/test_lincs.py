"""LINCS metadata parsing: pure functions of the rows, no database."""

import pytest

from signatures.choices import PerturbagenKind
from signatures.models import Signature
from signatures.services.lincs import (
    brd_prefix,
    parse_amount,
    perturbagen_kind,
    signature_fields,
)


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("10 µM", "", (10.0, "µM")),
        ("10uM", "", (10.0, "µM")),
        ("10", "um", (10.0, "µM")),
        ("0.04 <b5>M", "", (0.04, "µM")),  # cmapR's latin-1 micro sign, as some readers show it
        ("6 h", "", (6.0, "h")),
        ("24", "hours", (24.0, "h")),
        ("1e-3 mM", "", (0.001, "mM")),
        ("", "", (None, "")),
    ],
)
def test_doses_and_times_are_read_with_their_unit(text, unit, expected):
    assert parse_amount(text, unit) == expected


def test_lincs_pert_types_name_the_kind_and_anything_else_is_a_disease():
    assert perturbagen_kind("trt_cp") == PerturbagenKind.COMPOUND
    assert perturbagen_kind(" trt_sh.cgs ") == PerturbagenKind.CONSENSUS_KNOCKDOWN
    assert perturbagen_kind("GSE147507") == PerturbagenKind.DISEASE


def test_an_ilincs_id_of_three_parts_names_drug_cell_and_type_when_the_row_does_not():
    fields = signature_fields("sirolimus__MCF7__trt_cp", {"pert_idose": "-666"})
    assert (fields["pert_iname"], fields["cell"], fields["pert_type"]) == (
        "sirolimus",
        "MCF7",
        "trt_cp",
    )
    assert fields["dose"] is None


def test_long_texts_are_cut_to_the_signature_columns():
    limit = Signature._meta.get_field("treatment_description").max_length
    fields = signature_fields(
        "S1", {"treatment_description": "x" * (limit + 5), "dose": "1 " + "u" * 40}
    )
    assert len(fields["treatment_description"]) == limit
    assert len(fields["dose_unit"]) == Signature._meta.get_field("dose_unit").max_length


def test_a_broad_id_names_its_compound_by_its_first_13_characters():
    # MANIFEST: palbociclib is BRD-K51313569 in the Repurposing Hub, with salt/batch suffixes
    assert brd_prefix("BRD-K51313569-003-04-0") == "BRD-K51313569"
    assert brd_prefix("CGS001-2475") == "CGS001-2475"
