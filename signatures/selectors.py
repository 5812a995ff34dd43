"""Read-side queries of libraries, signatures, perturbagens, genes and gene sets."""

from collections.abc import Iterable
from functools import cache
from urllib.parse import quote

from django.db import connections, router
from django.db.models import CharField, Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce

from signatures.choices import PerturbagenKind
from signatures.models import (
    Gene,
    GeneSet,
    GeneSetLibrary,
    Perturbagen,
    Signature,
    SignatureLibrary,
)

PUBCHEM_URL = "https://pubchem.ncbi.nlm.nih.gov/compound/{}"
CHEMBL_URL = "https://www.ebi.ac.uk/chembl/compound_report_card/{}/"
DRUGBANK_URL = "https://go.drugbank.com/drugs/{}"
LINCS_URL = "https://lincsportal.ccs.miami.edu/dcic-portal/#/search?query={}"
NCBI_GENE_URL = "https://www.ncbi.nlm.nih.gov/gene/{}"
ENSEMBL_URL = "https://www.ensembl.org/id/{}"


def _is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff)


def library_list(*, user) -> QuerySet[SignatureLibrary]:
    """Libraries ``user`` may see (published ones; all of them for staff)."""
    libraries = SignatureLibrary.objects.select_related("organism", "collection")
    return libraries if _is_staff(user) else libraries.filter(is_public=True)


def signature_list(*, user) -> QuerySet[Signature]:
    """Signatures of the libraries ``user`` may see, with what their rows display."""
    signatures = Signature.objects.select_related(
        "library", "perturbagen", "cell_line", "source_dataset"
    )
    return signatures if _is_staff(user) else signatures.filter(library__is_public=True)


def perturbagen_list(*, user) -> QuerySet[Perturbagen]:
    """Perturbagens, each with the number of its signatures ``user`` may see."""
    visible = signature_list(user=user).filter(perturbagen=OuterRef("pk")).order_by()
    counts = visible.values("perturbagen").annotate(n=Count("pk")).values("n")
    return Perturbagen.objects.select_related("target_gene").annotate(
        n_signatures=Coalesce(Subquery(counts, output_field=IntegerField()), 0)
    )


def gene_list() -> QuerySet[Gene]:
    return Gene.objects.select_related("organism")


def geneset_library_list() -> QuerySet[GeneSetLibrary]:
    return GeneSetLibrary.objects.all()


def geneset_list(*, library: GeneSetLibrary) -> QuerySet[GeneSet]:
    return GeneSet.objects.filter(library=library).order_by("name")


def perturbagen_links(*, perturbagen: Perturbagen) -> list[tuple[str, str]]:
    """Plain link-outs to the public resources that know this perturbagen."""
    links = []
    if perturbagen.pubchem_cid:
        links.append(("PubChem", PUBCHEM_URL.format(quote(perturbagen.pubchem_cid))))
    if perturbagen.chembl_id:
        links.append(("ChEMBL", CHEMBL_URL.format(quote(perturbagen.chembl_id))))
    if perturbagen.drugbank_id:
        links.append(("DrugBank", DRUGBANK_URL.format(quote(perturbagen.drugbank_id))))
    links.append(("LINCS Data Portal", LINCS_URL.format(quote(perturbagen.accession))))
    if perturbagen.target_gene_id:
        links.append(("NCBI Gene", NCBI_GENE_URL.format(perturbagen.target_gene.entrez_id)))
    return links


def gene_links(*, gene: Gene) -> list[tuple[str, str]]:
    links = [("NCBI Gene", NCBI_GENE_URL.format(gene.entrez_id))]
    links += [("Ensembl", ENSEMBL_URL.format(quote(e))) for e in gene.ensembl_ids or []]
    return links


def gene_perturbagens(*, gene: Gene) -> QuerySet[Perturbagen]:
    """Genetic perturbagens of the gene and compounds that list it among their targets."""
    return Perturbagen.objects.filter(target_gene=gene).order_by("kind", "name")


def gene_targeting_compounds(*, gene: Gene) -> QuerySet[Perturbagen]:
    """Compounds whose annotated targets include the gene's symbol."""
    return (
        Perturbagen.objects.filter(kind=PerturbagenKind.COMPOUND)
        .alias(_targets_text=Cast("targets", CharField()))
        .filter(_targets_text__icontains=f'"{gene.symbol}"')
        .order_by("name")
    )


def signature_annotation_rows(*, library_id: int, columns: list[int]) -> list[tuple]:
    """(column, accession, perturbagen name, cell line name, dose, dose unit, time, time unit)
    of a library's signatures at these matrix columns (columns without a signature are left
    out; names are None where a signature has no perturbagen or cell line).

    One hand-written statement on the (library, column) unique index: compiling the equivalent
    ORM query costs several times the look-up, and the connectivity API asks it per request.
    """
    if not columns:
        return []
    alias = router.db_for_read(Signature)
    sql = _annotation_sql(alias) + ", ".join(["%s"] * len(columns)) + ")"
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [library_id, *columns])
        return cursor.fetchall()


@cache
def _annotation_sql(alias: str) -> str:
    qn = connections[alias].ops.quote_name
    meta = Signature._meta
    drug, cell = meta.get_field("perturbagen"), meta.get_field("cell_line")

    def col(table: str, model, name: str) -> str:
        return f"{table}.{qn(model._meta.get_field(name).column)}"

    def join(table: str, field) -> str:
        model = field.related_model
        return (
            f" LEFT OUTER JOIN {qn(model._meta.db_table)} {table}"
            f" ON {table}.{qn(model._meta.pk.column)} = s.{qn(field.column)}"
        )

    names = ("column", "accession", "dose", "dose_unit", "time", "time_unit", "library")
    s = [col("s", Signature, name) for name in names]
    select = [*s[:2], col("p", drug.related_model, "name"), col("c", cell.related_model, "name")]
    return (
        f"SELECT {', '.join(select + s[2:6])} FROM {qn(meta.db_table)} s"
        + join("p", drug)
        + join("c", cell)
        + f" WHERE {s[6]} = %s AND {s[0]} IN ("
    )


LOOKUP_BATCH = 10_000  # ids per query: SQLite and PostgreSQL cap the parameters of one


def entrez_like(ident: str) -> bool:
    """ASCII digits that fit a 64-bit column ("²".isdigit() is true, int("²") fails)."""
    return ident.isdigit() and ident.isascii() and len(ident) <= 18


def resolve_genes(identifiers: Iterable[str]) -> dict[str, int]:
    """Map Entrez ids (digit strings) and symbols to Entrez ids. A symbol matches as spelled
    (official symbols such as ``C10orf10`` have lower-case letters) or upper-cased (``mtor``);
    the exact spelling wins when two genes differ only in case."""
    ids = list(identifiers)
    numbers = list({int(i) for i in ids if entrez_like(i)})
    symbols = list({s for i in ids if not entrez_like(i) for s in (i, i.upper())})
    # indexed look-ups by id and by symbol (an OR of both would make SQLite scan the table)
    by_id: dict[str, int] = {}
    exact: dict[str, int] = {}
    by_upper: dict[str, int] = {}
    for start in range(0, len(numbers), LOOKUP_BATCH):
        batch = numbers[start : start + LOOKUP_BATCH]
        found = Gene.objects.filter(entrez_id__in=batch).values_list("entrez_id", flat=True)
        by_id.update((str(e), e) for e in found)
    for start in range(0, len(symbols), LOOKUP_BATCH):
        batch = symbols[start : start + LOOKUP_BATCH]
        for entrez, symbol in Gene.objects.filter(symbol__in=batch).values_list(
            "entrez_id", "symbol"
        ):
            exact[symbol] = entrez
            by_upper.setdefault(symbol.upper(), entrez)
    out = {}
    for ident in ids:
        if entrez_like(ident):
            entrez = by_id.get(ident)
        else:
            entrez = exact.get(ident, by_upper.get(ident.upper()))
        if entrez is not None:
            out[ident] = entrez
    return out
