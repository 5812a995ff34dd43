"""Sample groups from metadata predicates and the ~0+group design, on real sample annotations."""

import numpy as np
import pandas as pd
import pytest

from analysis.engine.de import design, limma
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def covid() -> pd.DataFrame:
    """GSE147507 annotation: 40 samples, cell_type x condition."""
    return pd.read_csv(
        FIXTURES / "rnaseq" / "GSE147507_sample_annotation_n40.tsv", sep="\t", index_col="sample"
    )


@pytest.fixture(scope="module")
def rat() -> pd.DataFrame:
    """Rat APAP annotation: 64 rats, 4 doses x 4 times."""
    return pd.read_csv(
        FIXTURES / "expression" / "liver_toxicity_rat_APAP_sample_annotation_n64.tsv",
        sep="\t",
        index_col="sample",
    )


def test_a_conjunction_selects_the_infected_a549_ace2_samples(covid):
    chosen = design.select_samples(covid, "cell_type=A549-ACE2 & condition=SARS-CoV-2")
    assert len(chosen) == 6
    assert set(covid.loc[chosen, "cell_type"]) == {"A549-ACE2"}
    assert set(covid.loc[chosen, "condition"]) == {"SARS-CoV-2"}


def test_not_equal_and_in_lists_select_as_written(covid, rat):
    not_mock = design.select_samples(covid, "cell_type=Calu3 & condition!=Mock")
    assert set(covid.loc[not_mock, "condition"]) == {"SARS-CoV-2"} and len(not_mock) == 3
    toxic = design.select_samples(rat, "Dose.Group in (1500, 2000) & Time.Group=24")
    assert len(toxic) == 8
    assert set(rat.loc[toxic, "Dose.Group"]) == {1500.0, 2000.0}


def test_numbers_match_whatever_their_spelling(rat):
    assert len(design.select_samples(rat, "Dose.Group=50")) == 16
    assert len(design.select_samples(rat, "Treatment.Group=50 MG/KG6 HR")) == 4


def test_it_names_an_unknown_field(covid):
    with pytest.raises(design.UnknownFieldError, match="'celltype'"):
        design.select_samples(covid, "celltype=A549")


def test_it_rejects_a_clause_it_cannot_read(covid):
    with pytest.raises(design.PredicateSyntaxError, match="cell_type A549"):
        design.select_samples(covid, "cell_type A549")


def test_a_predicate_matching_nothing_is_an_empty_group(covid):
    with pytest.raises(design.EmptyGroupError):
        design.select_samples(covid, "cell_type=HeLa")


def test_samples_in_both_groups_are_rejected(covid):
    with pytest.raises(design.OverlappingGroupsError, match="both"):
        design.groups_from_predicates(
            covid, treatment="cell_type=A549-ACE2", baseline="condition=Mock"
        )


def test_predicates_label_treatment_and_baseline_samples(covid):
    groups = design.groups_from_predicates(
        covid,
        treatment="cell_type=A549-ACE2 & condition=SARS-CoV-2",
        baseline="cell_type=A549-ACE2 & condition=Mock",
    )
    assert groups.value_counts().to_dict() == {"treatment": 6, "baseline": 6}


def test_the_design_is_cell_means_with_a_treatment_minus_baseline_contrast():
    groups = pd.Series(["b", "t", "t", "b", "x"], index=list("12345"))
    made = design.two_group_design(groups, "t", "b", keep_all_groups=True)
    assert made.columns == ("b", "t", "x")
    np.testing.assert_array_equal(made.contrast, [-1, 1, 0])
    np.testing.assert_array_equal(made.matrix[:, 1], [0, 1, 1, 0, 0])
    assert made.group_sizes == {"b": 2, "t": 2, "x": 1}
    assert design.two_group_design(groups, "t", "b").samples == ("1", "2", "3", "4")


def test_one_sample_per_group_leaves_no_variance_to_estimate():
    with pytest.raises(design.TooFewSamplesError, match="residual degree of freedom"):
        design.two_group_design(pd.Series(["t", "b"], index=["s1", "s2"]), "t", "b")


def test_a_missing_group_is_an_empty_group():
    with pytest.raises(design.EmptyGroupError, match="'AML'"):
        design.two_group_design(pd.Series(["ALL", "ALL"], index=["a", "b"]), "AML", "ALL")


def test_a_covariate_confounded_with_the_groups_is_rejected():
    groups = pd.Series(["t", "t", "b", "b", "b"], index=list("abcde"))
    batch = pd.DataFrame({"batch": ["1", "1", "2", "2", "2"]}, index=list("abcde"))
    with pytest.raises(design.RankDeficientDesignError, match="not full rank"):
        design.two_group_design(groups, "t", "b", covariates=batch)


def test_a_non_numeric_expression_value_is_named():
    expr = pd.DataFrame(
        {"s1": [1.0, 2.0], "s2": [1.5, "high"], "s3": [1.0, 2.0]}, index=["g1", "g2"]
    )
    groups = pd.Series(["t", "b", "b"], index=["s1", "s2", "s3"])
    with pytest.raises(design.NonNumericValueError, match="'high'.*'g2'.*'s2'"):
        limma.limma_two_group(expr, groups, "t", "b")


def test_every_design_error_is_a_value_error():
    for error in (
        design.UnknownFieldError,
        design.EmptyGroupError,
        design.OverlappingGroupsError,
        design.TooFewSamplesError,
        design.NonNumericValueError,
    ):
        assert issubclass(error, design.DesignError) and issubclass(error, ValueError)
