"""Tutorial pages: the iLINCS paper's use cases as guided clicks (see ``analysis.tutorials.usecases``)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from analysis import plots
from analysis.interpret.views import bokeh_context
from analysis.runs.registry import RunInputError
from analysis.runs.selectors import run_table
from analysis.runs.services import analysis_submit
from analysis.runs.session import remember_run, runs_visible_to, session_runs
from analysis.tutorials import usecases
from ilincs_site.throttling import throttle_posts


def _case(slug: str) -> usecases.UseCase:
    case = usecases.USE_CASES.get(slug)
    if case is None:
        raise Http404("no such tutorial")
    return case


def tutorial_list(request):
    return render(request, "tutorials/list.html", {"cases": usecases.USE_CASES.values()})


def tutorial_detail(request, slug: str):
    """The steps of a use case, each with its link or button and the user's latest run."""
    case = _case(slug)
    runs = runs_visible_to(request)
    steps = []
    for step in case.steps:
        done = usecases.latest_run(runs, case, step.key) if step.kind != "signature" else None
        needed = usecases.latest_run(runs, case, step.needs) if step.needs else None
        steps.append({"step": step, "done": done, "needed": needed})
    return render(request, "tutorials/detail.html", {"case": case, "steps": steps})


@require_POST
@throttle_posts
def tutorial_step(request, slug: str, key: str):
    """Submit a step that follows from an earlier run of the same tutorial."""
    case = _case(slug)
    try:
        step = usecases.step_of(case.slug, key)
    except KeyError:
        raise Http404("no such step") from None
    previous = runs_visible_to(request).filter(pk=request.POST.get("run") or 0).first()
    if previous is None:
        raise Http404("no such analysis run")
    try:
        params = usecases.step_params(step, previous)
        run = analysis_submit(
            user=request.user,
            session_runs=session_runs(request),
            kind=step.kind,
            params=params,
        )
    except RunInputError as exc:
        steps = [{"step": s, "done": None, "needed": None} for s in case.steps]
        context = {"case": case, "steps": steps, "error": f"{step.title}: {exc}"}
        return render(request, "tutorials/detail.html", context, status=400)
    remember_run(request, run)
    return redirect("analysis:run-detail", run_id=run.pk)


def tutorial_concordance(request, slug: str):
    """Use case 2: protein vs mRNA logFC per antibody, as Bokeh scatter plots."""
    case = _case(slug)
    runs = runs_visible_to(request)
    protein = runs.filter(pk=request.GET.get("protein") or 0, kind="build_signature").first()
    protein = protein or usecases.latest_run(runs, case, "build-protein")
    if protein is None:
        raise Http404("build the protein signature first")
    mrna = usecases.latest_run(runs, case, "build-mrna")
    table = run_table(run=protein, name="signature")
    panels = []
    if mrna is not None:
        own = usecases.concordance_table(table, run_table(run=mrna, name="signature"))
        panels.append(("the same tumours' mRNA panel", own))
    reference = usecases.concordance_table(table, usecases.reference_mrna_signature())
    panels.append(("iLINCS RNA-seq values (reference table useCase2_t08)", reference))
    figures, summaries = [], []
    for label, frame in panels:
        if len(frame) < 2:
            summaries.append({"label": label, "n": len(frame), "same": None, "rows": frame})
            continue
        x = frame.set_index("antibody")["protein_logFC"].rename("protein logFC (RPPA)")
        y = frame.set_index("antibody")["mrna_logFC"].rename(f"mRNA logFC ({label})")
        figures.append(plots.signature_scatter(x, y))
        same = int(((frame.protein_logFC > 0) == (frame.mrna_logFC > 0)).sum())
        summaries.append({"label": label, "n": len(frame), "same": same, "rows": frame})
    context = {
        "case": case,
        "protein": protein,
        "mrna": mrna,
        "summaries": summaries,
        "figures": bokeh_context(figures),
    }
    return render(request, "tutorials/concordance.html", context)
