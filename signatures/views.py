"""Server-rendered pages: libraries, signatures, perturbagens, genes and gene sets."""

from django.shortcuts import get_object_or_404, render

from ilincs_site.filters import render_filtered_list
from signatures import selectors
from signatures.choices import PerturbagenKind
from signatures.filtersets import (
    GeneFilterSet,
    GeneSetFilterSet,
    GeneSetLibraryFilterSet,
    PerturbagenFilterSet,
    SignatureFilterSet,
    SignatureLibraryFilterSet,
)


def library_list(request):
    return render_filtered_list(
        request,
        filterset_class=SignatureLibraryFilterSet,
        queryset=selectors.library_list(user=request.user),
        template="signatures/library_list.html",
    )


def library_detail(request, slug):
    library = get_object_or_404(selectors.library_list(user=request.user), slug=slug)
    return render_filtered_list(
        request,
        filterset_class=SignatureFilterSet,
        queryset=selectors.signature_list(user=request.user).filter(library=library),
        template="signatures/library_detail.html",
        context={"library": library},
    )


def signature_list(request):
    return render_filtered_list(
        request,
        filterset_class=SignatureFilterSet,
        queryset=selectors.signature_list(user=request.user),
        template="signatures/signature_list.html",
        context={
            "libraries": selectors.library_list(user=request.user),
            "kinds": PerturbagenKind.choices,
        },
    )


def signature_detail(request, accession):
    signature = get_object_or_404(selectors.signature_list(user=request.user), accession=accession)
    return render(request, "signatures/signature_detail.html", {"signature": signature})


def perturbagen_list(request):
    return render_filtered_list(
        request,
        filterset_class=PerturbagenFilterSet,
        queryset=selectors.perturbagen_list(user=request.user),
        template="signatures/perturbagen_list.html",
        context={"kinds": PerturbagenKind.choices},
    )


def perturbagen_detail(request, accession):
    perturbagen = get_object_or_404(
        selectors.perturbagen_list(user=request.user), accession=accession
    )
    return render_filtered_list(
        request,
        filterset_class=SignatureFilterSet,
        queryset=selectors.signature_list(user=request.user).filter(perturbagen=perturbagen),
        template="signatures/perturbagen_detail.html",
        context={
            "perturbagen": perturbagen,
            "links": selectors.perturbagen_links(perturbagen=perturbagen),
        },
    )


def gene_list(request):
    return render_filtered_list(
        request,
        filterset_class=GeneFilterSet,
        queryset=selectors.gene_list(),
        template="signatures/gene_list.html",
    )


def gene_detail(request, entrez_id):
    gene = get_object_or_404(selectors.gene_list(), entrez_id=entrez_id)
    context = {
        "gene": gene,
        "links": selectors.gene_links(gene=gene),
        "perturbagens": selectors.gene_perturbagens(gene=gene),
        "compounds": selectors.gene_targeting_compounds(gene=gene)[:100],
    }
    return render(request, "signatures/gene_detail.html", context)


def geneset_library_list(request):
    return render_filtered_list(
        request,
        filterset_class=GeneSetLibraryFilterSet,
        queryset=selectors.geneset_library_list(),
        template="signatures/geneset_library_list.html",
    )


def geneset_library_detail(request, slug):
    library = get_object_or_404(selectors.geneset_library_list(), slug=slug)
    return render_filtered_list(
        request,
        filterset_class=GeneSetFilterSet,
        queryset=selectors.geneset_list(library=library),
        template="signatures/geneset_library_detail.html",
        context={"library": library},
    )
