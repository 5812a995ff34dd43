"""Pages of workflow 1: query with a signature (upload, paste or up/down lists), and the
JSON helper that says how many of its genes are recognised."""

from __future__ import annotations

from dataclasses import asdict

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from analysis.connectivity.forms import QueryForm, upload_limits
from analysis.connectivity.uploads import UploadError, parse_upload, updown_upload, upload_summary
from analysis.runs.registry import RunInputError
from analysis.runs.services import analysis_submit
from analysis.runs.session import remember_run, runs_visible_to, session_runs
from analysis.runs.visibility import parse_run_id
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
