"""Forms of the two page workflows: query with a signature, build a signature from a dataset."""

from __future__ import annotations

from django import forms
from django.conf import settings

from analysis.kinds.connectivity import DEFAULT_TOP, MAX_TOP, METRICS
from analysis.signature_build import METHODS
from analysis.uploads import ParsedUpload, UploadError, parse_upload, updown_upload
from catalog.choices import Scale
from signatures.models import SignatureLibrary

METRIC_LABELS = {
    "pearson": "Pearson correlation (full signature)",
    "weighted": "Weighted correlation (full signature, p-values)",
    "extreme": "Extreme signature (needs p-values)",
    "updown": "Up/down gene lists",
    "randomset": "Random-set z-score (gene list)",
}
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


def upload_limits() -> dict[str, int]:
    """The upload limits of the settings, as ``parse_upload`` takes them."""
    return {
        "max_bytes": settings.PORTAL_MAX_UPLOAD_BYTES,
        "max_rows": settings.PORTAL_MAX_UPLOAD_ROWS,
    }


class QueryForm(forms.Form):
    """A query signature (file, pasted table or list, up/down lists) and where to search it."""

    file = forms.FileField(required=False, label="Upload a file")
    text = forms.CharField(
        required=False,
        label="or paste a signature table or a gene list",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    up = forms.CharField(required=False, label="or up genes", widget=forms.Textarea({"rows": 4}))
    down = forms.CharField(required=False, label="down genes", widget=forms.Textarea({"rows": 4}))
    library = forms.ModelChoiceField(
        queryset=SignatureLibrary.objects.filter(is_public=True).order_by("name"),
        to_field_name="slug",
        empty_label=None,
    )
    metric = forms.ChoiceField(choices=[(m, METRIC_LABELS[m]) for m in METRICS])
    top = forms.IntegerField(min_value=1, max_value=MAX_TOP, initial=DEFAULT_TOP, label="Rows kept")

    def __init__(self, *args, saved: dict | None = None, preset: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved = saved  # a payload checked earlier and kept in the session
        self.preset = preset  # {"run": id} or {"signature": accession} chosen elsewhere
        self.parsed: ParsedUpload | None = None

    def has_new_input(self) -> bool:
        data = self.data
        return bool(self.files.get("file")) or any(
            (data.get(k) or "").strip() for k in ("text", "up", "down")
        )

    def clean(self):
        cleaned = super().clean()
        if self.preset and not self.has_new_input():
            return cleaned
        try:
            self.parsed = self.read_input(cleaned)
        except UploadError as exc:
            self.add_error(None, str(exc))
        return cleaned

    def source(self) -> dict:
        """The run's ``source`` parameter (see ``analysis.signature_sources``)."""
        if self.parsed is None:
            return self.preset
        return {"query": self.parsed.payload}

    def read_input(self, cleaned: dict) -> ParsedUpload:
        upload = cleaned.get("file")
        if upload:
            return parse_upload(file=upload, filename=upload.name, **upload_limits())
        if (cleaned.get("text") or "").strip():
            return parse_upload(text=cleaned["text"], **upload_limits())
        if (cleaned.get("up") or "").strip() or (cleaned.get("down") or "").strip():
            return updown_upload(cleaned.get("up", ""), cleaned.get("down", ""))
        if self.saved:
            return ParsedUpload(**self.saved)
        raise UploadError("nothing to read: upload a file or paste a signature or gene list")


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
