"""The curator's dataset-ingestion form (admin): upload, preview, confirm."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from django import forms
from django.conf import settings

from analysis.engine.formats import InputError, Matrix, read_matrix
from catalog import services
from catalog.choices import DataType, Scale
from catalog.importers import align_samples, read_sample_table
from catalog.models import Collection

ORGANISMS = [("", "—")] + [(str(t), n) for t, (n, _) in services.KNOWN_ORGANISMS.items()]


def _upload_dir(token: str) -> Path:
    return Path(settings.DATA_DIR) / "uploads" / f"ingest-{token}"


class DatasetIngestForm(forms.Form):
    """Step 1 uploads the files (kept under a token); step 2 confirms with the same fields."""

    accession = forms.CharField(max_length=60, help_text="e.g. GSE147507")
    title = forms.CharField(max_length=500)
    collection = forms.ModelChoiceField(Collection.objects.all(), required=False)
    new_collection_slug = forms.SlugField(max_length=60, required=False)
    new_collection_name = forms.CharField(max_length=120, required=False)
    organism = forms.ChoiceField(choices=ORGANISMS, required=False)
    platform = forms.CharField(max_length=50, required=False, help_text="e.g. GPL8300")
    data_type = forms.ChoiceField(choices=DataType.choices, initial=DataType.MICROARRAY)
    scale = forms.ChoiceField(choices=Scale.choices, initial=Scale.LOG)
    feature_kind = forms.CharField(max_length=30, initial="gene")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    matrix = forms.FileField(
        required=False, help_text="GCT 1.2/1.3, TSV/CSV genes × samples or GEO series matrix"
    )
    samples = forms.FileField(required=False, help_text="sample annotation table (TSV/CSV)")
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("collection") and not data.get("new_collection_slug"):
            raise forms.ValidationError("Pick a collection or give a new collection's slug.")
        if data.get("new_collection_slug") and not data.get("new_collection_name"):
            raise forms.ValidationError("A new collection needs a name.")
        token = data.get("token") or ""
        if not data.get("matrix") and not (token.isalnum() and _upload_dir(token).is_dir()):
            raise forms.ValidationError("Upload an expression matrix.")
        for field in ("matrix", "samples"):
            upload = data.get(field)
            if upload and upload.size > settings.PORTAL_MAX_UPLOAD_BYTES:
                raise forms.ValidationError(f"The {field} file is larger than the upload limit.")
        return data

    def store_uploads(self) -> str:
        """Keep the uploaded files under a fresh token (or reuse the confirmed token)."""
        token = self.cleaned_data.get("token") or ""
        if self.cleaned_data.get("matrix"):
            token = uuid.uuid4().hex
            folder = _upload_dir(token)
            folder.mkdir(parents=True)
            for field in ("matrix", "samples"):
                upload = self.cleaned_data.get(field)
                if upload:
                    with (folder / f"{field}-{Path(upload.name).name}").open("wb") as fh:
                        for chunk in upload.chunks():
                            fh.write(chunk)
        return token

    @staticmethod
    def parse(token: str) -> tuple[Matrix, object]:
        folder = _upload_dir(token)
        matrix_path = next(folder.glob("matrix-*"))
        samples_path = next(folder.glob("samples-*"), None)
        matrix = read_matrix(matrix_path)
        samples = read_sample_table(samples_path) if samples_path else None
        align_samples(matrix, samples)
        return matrix, samples

    @staticmethod
    def discard(token: str) -> None:
        if token.isalnum():
            shutil.rmtree(_upload_dir(token), ignore_errors=True)

    def collection_obj(self) -> Collection:
        data = self.cleaned_data
        if data.get("new_collection_slug"):
            return services.collection_ensure(
                slug=data["new_collection_slug"], name=data["new_collection_name"]
            )
        return data["collection"]

    def import_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "accession": data["accession"].strip(),
            "title": data["title"].strip(),
            "organism": services.organism_ensure(name_or_taxon=data["organism"])
            if data["organism"]
            else None,
            "platform": services.platform_ensure(accession=data["platform"])
            if data["platform"]
            else None,
            "data_type": data["data_type"],
            "scale": data["scale"],
            "feature_kind": data["feature_kind"],
            "description": data["description"],
        }


__all__ = ["DatasetIngestForm", "InputError"]
