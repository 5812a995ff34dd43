"""Pages of workflows 1 (query with a signature) and 2 (build a signature from a dataset),
their small JSON helpers, and result-table downloads in every format."""

from __future__ import annotations

from dataclasses import asdict

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from analysis.downloads import FORMATS, table_download
from analysis.engine.de import DesignError, select_samples
from analysis.forms import BuildSignatureForm, QueryForm, upload_limits
from analysis.kinds.build_signature import dataset_metadata
from analysis.runners import RunInputError
from analysis.selectors import run_table
from analysis.services import analysis_submit
from analysis.session import remember_run, runs_visible_to, session_runs
from analysis.uploads import UploadError, parse_upload, updown_upload, upload_summary
from analysis.visibility import parse_run_id
from catalog import selectors as catalog_selectors
from ilincs_site.throttling import throttle_posts
from signatures.selectors import signature_list

SAVED_QUERY = "query_upload"


def _preset(request) -> dict | None:
    """A query source chosen on another page: ?run=<build run id> or ?signature=<accession>."""
    params = request.POST if request.method == "POST" else request.GET
    if params.get("run"):
        try:
            pk = parse_run_id(params["run"])
        except RunInputError:
            return None
        run = runs_visible_to(request).filter(pk=pk, kind="build_signature").first()
        return {"run": run.pk} if run else None
    if params.get("signature"):
        sig = signature_list(user=request.user).filter(accession=params["signature"]).first()
        return {"signature": sig.accession} if sig else None
    return None


@throttle_posts
def query_page(request):
    """Workflow 1: upload or paste a signature, check its genes, pick library and metric."""
    preset = _preset(request)
    saved = request.session.get(SAVED_QUERY)
    if request.method != "POST":
        form = QueryForm(preset=preset, initial={"metric": "pearson"})
        return _query_render(request, form, preset=preset, saved=saved)
    form = QueryForm(request.POST, request.FILES, saved=saved, preset=preset)
    summary = None
    if form.is_valid() and form.parsed is not None:
        try:
            summary = upload_summary(form.parsed)
        except UploadError as exc:
            form.add_error(None, str(exc))
        else:
            request.session[SAVED_QUERY] = asdict(form.parsed)
            saved = request.session[SAVED_QUERY]
    if form.errors or request.POST.get("action") == "check":
        return _query_render(request, form, preset=preset, saved=saved, summary=summary)
    params = {
        "source": form.source(),
        "library": form.cleaned_data["library"].slug,
        "metric": form.cleaned_data["metric"],
        "top": form.cleaned_data["top"],
    }
    try:
        run = analysis_submit(
            user=request.user,
            session_runs=session_runs(request),
            kind="connectivity",
            params=params,
        )
    except RunInputError as exc:
        form.add_error(None, str(exc))
        return _query_render(request, form, preset=preset, saved=saved, summary=summary)
    remember_run(request, run)
    return redirect("analysis:run-detail", run_id=run.pk)


def _query_render(request, form, *, preset, saved, summary=None):
    if summary is None and saved and not form.is_bound:
        summary = None  # a saved upload is offered, not re-checked, on a fresh page
    context = {
        "form": form,
        "preset": preset,
        "saved": saved,
        "summary": summary,
        "library_has_p": {lib.slug: lib.has_pvalues for lib in form.fields["library"].queryset},
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "analysis/query.html", context, status=status)


@require_POST
@throttle_posts
def query_recognise(request):
    """JSON: how many genes of the file or pasted text the portal recognises."""
    try:
        upload = request.FILES.get("file")
        if upload:
            parsed = parse_upload(file=upload, filename=upload.name, **upload_limits())
        elif (request.POST.get("text") or "").strip():
            parsed = parse_upload(text=request.POST["text"], **upload_limits())
        else:
            parsed = updown_upload(request.POST.get("up", ""), request.POST.get("down", ""))
        return JsonResponse(upload_summary(parsed))
    except UploadError as exc:
        return JsonResponse({"error": str(exc)})  # 200: the page shows it, no console noise


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


def run_table_file(request, run_id: int, name: str, fmt: str):
    """A result table as TSV, CSV, Excel or (signatures) GCT."""
    run = runs_visible_to(request).filter(pk=run_id).first()
    if run is None or fmt not in FORMATS:
        raise Http404("no such analysis run or format")
    try:
        frame = run_table(run=run, name=name)
    except KeyError:
        raise Http404(f"no table {name!r}") from None
    try:
        file = table_download(frame, fmt=fmt, stem=f"run{run.pk}_{name}")
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response
