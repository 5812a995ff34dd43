"""The form of workflow 2: build a signature from a dataset (groups by metadata, method)."""

from __future__ import annotations

from django import forms

from analysis.build.services import METHODS
from catalog.choices import Scale

METHOD_LABELS = {
    "limma": "limma (log-scale data)",
    "limma-trend": "limma-trend (log-scale data, mean-variance trend)",
    "edger-ql": "edgeR quasi-likelihood F-test (raw counts)",
    "edger-lrt": "edgeR likelihood-ratio test (raw counts)",
    "edger-exact": "edgeR exact test (raw counts)",
}
# design.py splits clauses on "&" and fields on "=" / "!=": such names cannot be chosen here
KEY_SPECIALS = ("&", "=", "!")
VALUE_SPECIALS = ("&",)


def predicate_from_choices(pairs: list[tuple[str, str]]) -> str:
    """``field=value & ...`` from the chosen (field, value) pairs, skipping "any"."""
    return " & ".join(f"{field}={value}" for field, value in pairs if value != "")


class BuildSignatureForm(forms.Form):
    """Treatment and baseline predicates (typed, or built from metadata selects) and a method."""

    treatment = forms.CharField(required=False, max_length=2000)
    baseline = forms.CharField(required=False, max_length=2000)
    method = forms.ChoiceField(choices=[(m, METHOD_LABELS[m]) for m in METHODS])
    filter_by_expr = forms.BooleanField(required=False, label="filterByExpr (edgeR)")

    def __init__(self, *args, dataset, fields, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        self.metadata_fields = [
            f
            for f in fields
            if f.values and len(f.values) > 1 and not any(s in f.key for s in KEY_SPECIALS)
        ]
        for i, field in enumerate(self.metadata_fields):
            choices = [("", "any")] + [
                (v, v or "(empty)")
                for v in field.values
                if v and not any(s in v for s in VALUE_SPECIALS)
            ]
            for role in ("treatment", "baseline"):
                self.fields[f"{role}_{i}"] = forms.ChoiceField(
                    choices=choices,
                    required=False,
                    label=field.key,
                    widget=forms.Select(attrs={"data-field": field.key, "data-role": role}),
                )
        if not self.is_bound:
            counts = dataset.scale == Scale.COUNTS
            self.initial.setdefault("method", "edger-ql" if counts else "limma")

    def selects(self):
        """(field key, treatment select, baseline select) for the template."""
        return [
            (f.key, self[f"treatment_{i}"], self[f"baseline_{i}"])
            for i, f in enumerate(self.metadata_fields)
        ]

    def clean(self):
        cleaned = super().clean()
        for role in ("treatment", "baseline"):
            if not (cleaned.get(role) or "").strip():
                pairs = [
                    (f.key, cleaned.get(f"{role}_{i}") or "")
                    for i, f in enumerate(self.metadata_fields)
                ]
                cleaned[role] = predicate_from_choices(pairs)
            if not cleaned[role]:
                self.add_error(None, f"choose the {role} samples (at least one field value)")
        return cleaned

    def params(self) -> dict:
        data = self.cleaned_data
        return {
            "dataset": self.dataset.accession,
            "treatment": data["treatment"],
            "baseline": data["baseline"],
            "method": data["method"],
            "filter_by_expr": bool(data.get("filter_by_expr")),
        }
