"""Interpretation pages (issue 7): launch buttons, pathway page, gene network, group analysis.

The signature, gene and perturbagen pages of the ``signatures`` app get their analysis
sections from ``analysis.templatetags.interpret`` (``signatures`` may not import ``analysis``);
the pages here have their own URLs.
"""

from __future__ import annotations

import pandas as pd
from bokeh.embed import components
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from analysis import plots
from analysis.interpret import selectors as interpret
from analysis.runs.registry import RunInputError
from analysis.runs.services import analysis_submit
from analysis.runs.session import remember_run, session_runs
from analysis.runs.sources import validate_source
from analysis.runs.views import _visible_run
from analysis.runs.visibility import submitting_as, viewer_of
from ilincs_site.redirects import redirect_back
from ilincs_site.throttling import throttle_posts
from signatures.models import GeneSet, GeneSetLibrary
from signatures.selectors import signature_list

LAUNCHABLE = ("enrichment", "gsea", "moa_genetic", "moa_targets")
NETWORK_GENES = 40


def bokeh_context(models: list) -> dict:
    """Script, divs and BokehJS URLs for a page's figures."""
    if not models:
        return {"script": "", "divs": [], "js": []}
    script, divs = components(models)
    return {
        "script": script,
        "divs": divs,
        "js": plots.bokeh_js_urls(static_url=settings.STATIC_URL),
    }


def _source(request) -> dict:
    """The signature to interpret, if the request's viewer may read it (404 otherwise)."""
    if request.POST.get("run"):
        return {"run": _visible_run(request, request.POST["run"]).pk}
    accession = request.POST.get("signature", "")
    if not signature_list(user=request.user).filter(accession=accession).exists():
        raise Http404("no such signature")
    return {"signature": accession}


@require_POST
@throttle_posts
def interpret_launch(request):
    """One click from a signature page or a run: submit one or both MoA workflows, etc."""
    kind = request.POST.get("kind", "")
    kinds = ["moa_genetic", "moa_targets"] if kind == "moa" else [kind]
    if not set(kinds) <= set(LAUNCHABLE):
        raise Http404("unknown analysis")
    source = _source(request)
    runs, errors = [], []
    for k in kinds:
        try:
            run = analysis_submit(
                user=request.user,
                session_runs=session_runs(request),
                kind=k,
                params={"source": source},
            )
        except RunInputError as exc:
            errors.append(f"{k}: {exc}")
            continue
        remember_run(request, run)
        runs.append(run)
    for error in errors:
        messages.error(request, error)
    if len(runs) == 1:
        return redirect("analysis:run-detail", run_id=runs[0].pk)
    if runs:
        messages.info(
            request, f"{len(runs)} analyses started: " + ", ".join(f"#{r.pk}" for r in runs)
        )
        return redirect("analysis:run-list")
    return redirect_back(request, "/")


def _signature_for_page(request) -> tuple[pd.DataFrame | None, str]:
    """The signature whose values colour a pathway or network page (?signature= or ?run=)."""
    from analysis.runs.sources import signature_table

    if request.GET.get("run"):
        run = _visible_run(request, request.GET["run"])
        source = run.params.get("source") if run.kind != "build_signature" else {"run": run.pk}
        if not source:
            return None, ""
        try:  # a public run's source may be a signature or run the viewer may not read
            with submitting_as(viewer_of(request)):
                source = validate_source(source)
        except RunInputError:
            raise Http404("no such signature") from None
        return signature_table(source), f"run #{run.pk}"
    accession = request.GET.get("signature")
    if accession:
        signature = get_object_or_404(signature_list(user=request.user), accession=accession)
        return interpret.signature_values(signature), signature.accession
    return None, ""


def _records(frame: pd.DataFrame) -> list[dict]:
    if "entrez" in frame:
        frame = frame.assign(entrez=frame["entrez"].astype("Int64"))
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def pathway_detail(request, slug: str):
    """A gene set's genes coloured by their value in a signature, with link-outs."""
    library = get_object_or_404(GeneSetLibrary, slug=slug)
    gene_set = get_object_or_404(GeneSet, library=library, name=request.GET.get("term", ""))
    values, label = _signature_for_page(request)
    members = pd.DataFrame({"symbol": list(gene_set.genes)})
    figures = []
    if values is not None:
        by_symbol = values.drop_duplicates("symbol").set_index("symbol")
        members = members.join(by_symbol[["entrez", "logFC", "pValue"]], on="symbol")
        measured = members.dropna(subset=["logFC"]).sort_values("logFC", kind="stable")
        if len(measured):
            figures.append(
                plots.connections_bar(
                    measured.assign(name=measured.symbol),
                    label="symbol",
                    value="logFC",
                    n=len(measured),
                    title=f"{gene_set.name}: genes measured in {label}",
                )
            )
    context = {
        "library": library,
        "gene_set": gene_set,
        "signature_label": label,
        "rows": _records(members),
        "has_values": values is not None,
        "link": interpret.pathway_link(library.slug, gene_set.name),
        "figures": bokeh_context(figures),
    }
    return render(request, "analysis/pathway_detail.html", context)


def signature_network(request, accession: str):
    """Gene network of a signature's top genes: edges = gene-set co-membership."""
    signature = get_object_or_404(signature_list(user=request.user), accession=accession)
    slugs = interpret.geneset_slugs()
    slug = request.GET.get("genesets") or (
        "hallmark" if "hallmark" in slugs else (slugs or [""])[0]
    )
    if slug not in slugs:
        raise Http404("no such gene-set library")
    raw = request.GET.get("n", "")
    n = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else NETWORK_GENES
    n = min(max(n, 5), 150)
    values = interpret.signature_values(signature).drop_duplicates("symbol")
    top = values.head(n)
    scores = pd.Series(top.logFC.to_numpy(), index=top.symbol.astype(str).to_numpy())
    figure = plots.gene_network(
        scores.index.tolist(),
        interpret.gene_sets(slug),
        scores=scores,
        title=f"{signature.accession}: top {n} genes, linked by shared {slug} gene sets",
    )
    n_edges = len(figure.renderers[0].edge_renderer.data_source.data["start"])
    context = {
        "signature": signature,
        "slugs": slugs,
        "slug": slug,
        "n": n,
        "n_edges": n_edges,
        "figures": bokeh_context([figure]),
    }
    return render(request, "analysis/enrich_network.html", context)


@throttle_posts
def group_analysis(request):
    """Pick signatures (from a result table, a collection or typed) and start the analysis."""
    if request.method == "POST":
        accessions = request.POST.get("signatures", "").replace(",", " ").split()
        try:
            run = analysis_submit(
                user=request.user,
                session_runs=session_runs(request),
                kind="signature_group",
                params={"signatures": accessions},
            )
        except RunInputError as exc:
            messages.error(request, str(exc))
            return render(
                request,
                "analysis/group_analysis.html",
                {"signatures": " ".join(accessions)},
                status=400,
            )
        remember_run(request, run)
        return redirect("analysis:run-detail", run_id=run.pk)
    picked = request.GET.getlist("signatures") or request.GET.get("signature_list", "").split()
    picked = [a for item in picked for a in item.replace(",", " ").split()]
    run_id = request.GET.get("from_run")
    if run_id:
        from analysis.runs.selectors import run_table

        run = _visible_run(request, run_id)
        for name in ("connections", "connected"):
            try:
                picked += run_table(run=run, name=name)["signature"].head(30).astype(str).tolist()
                break
            except KeyError:
                continue
    return render(
        request, "analysis/group_analysis.html", {"signatures": " ".join(dict.fromkeys(picked))}
    )


def perturbagen_connections(request, accession: str):
    """The perturbagen page's dose/time section for a query signature chosen by ?query=."""
    from signatures.selectors import perturbagen_list

    perturbagen = get_object_or_404(perturbagen_list(user=request.user), accession=accession)
    return render(request, "analysis/enrich_perturbagen_page.html", {"perturbagen": perturbagen})
