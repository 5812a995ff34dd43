"""Pages of workflow 2: build a signature from a dataset, choosing treatment and baseline
samples by their metadata, and the JSON helper that counts the samples each choice selects."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from analysis.build.forms import BuildSignatureForm
from analysis.build.kinds import dataset_metadata
from analysis.engine.de import DesignError, select_samples
from analysis.runs.registry import RunInputError
from analysis.runs.services import analysis_submit
from analysis.runs.session import remember_run, session_runs
from catalog import selectors as catalog_selectors
from ilincs_site.throttling import throttle_posts


def _dataset(request, accession):
    visible = catalog_selectors.dataset_list(user=request.user)
    return get_object_or_404(visible, accession=accession)


@throttle_posts
def build_page(request, accession):
    """Workflow 2: choose treatment and baseline samples by metadata and a method."""
    dataset = _dataset(request, accession)
    fields = catalog_selectors.sample_metadata_fields(dataset=dataset)
    data = request.POST if request.method == "POST" else None
    form = BuildSignatureForm(data, dataset=dataset, fields=fields)
    if request.method == "POST" and form.is_valid():
        try:
            run = analysis_submit(
                user=request.user,
                session_runs=session_runs(request),
                kind="build_signature",
                params=form.params(),
            )
        except RunInputError as exc:
            form.add_error(None, str(exc))
        else:
            remember_run(request, run)
            return redirect("analysis:run-detail", run_id=run.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = {"dataset": dataset, "form": form, "n_samples": dataset.samples.count()}
    return render(request, "analysis/build.html", context, status=status)


@require_GET
def build_groups(request, accession):
    """JSON: the samples each predicate selects, and how many both select."""
    dataset = _dataset(request, accession)
    metadata = dataset_metadata(dataset)
    chosen, body = {}, {}
    for role in ("treatment", "baseline"):
        predicate = request.GET.get(role, "").strip()
        if not predicate:
            body[role] = {"count": 0, "error": "no sample chosen yet"}
            continue
        try:
            chosen[role] = select_samples(metadata, predicate)
            body[role] = {"count": len(chosen[role])}
        except DesignError as exc:
            body[role] = {"count": 0, "error": str(exc)}
    both = chosen.get("treatment")
    overlap = (
        both.intersection(chosen["baseline"]) if both is not None and "baseline" in chosen else []
    )
    body["overlap"] = len(overlap)
    return JsonResponse(body)
