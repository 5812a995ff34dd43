"""The form of workflow 1: a query signature (file, pasted table or list, up/down lists) and
the library, metric and number of rows to search it with."""

from __future__ import annotations

from django import forms
from django.conf import settings

from analysis.connectivity.kinds import DEFAULT_TOP, MAX_TOP, METRICS
from analysis.connectivity.uploads import ParsedUpload, UploadError, parse_upload, updown_upload
from signatures.models import SignatureLibrary

METRIC_LABELS = {
    "pearson": "Pearson correlation (full signature)",
    "weighted": "Weighted correlation (full signature, p-values)",
    "extreme": "Extreme signature (needs p-values)",
    "updown": "Up/down gene lists",
    "randomset": "Random-set z-score (gene list)",
}


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
        """The run's ``source`` parameter (see ``analysis.runs.sources``)."""
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
