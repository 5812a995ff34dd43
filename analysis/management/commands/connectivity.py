"""manage.py connectivity: score a query signature against a library (stored or TSV files)."""

import sys

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from analysis.engine import formats

METRICS = ("extreme", "weighted", "updown", "pearson")


def _one_line_error(message: str) -> None:
    sys.stderr.write(f"connectivity: error: {message}\n")
    sys.exit(2)


def _read_matrix(path: str) -> pd.DataFrame:
    try:
        table = formats.read_matrix(path).data
    except formats.InputError as exc:
        raise CommandError(f"cannot read {path}: {exc}", returncode=2) from None
    try:
        table.index = table.index.astype(np.int64)
    except (TypeError, ValueError):
        raise CommandError(
            f"{path}: the first column must be Entrez gene ids", returncode=2
        ) from None
    return table.astype(np.float64)


class Command(BaseCommand):
    help = (
        "Connectivity of a query signature (gene logFC [pvalue] TSV or an iLINCS signature "
        "download) with a stored library or a logFC [+ p-value] matrix pair; writes "
        "signature similarity pValue nGenes FDR."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = _one_line_error
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--query", required=True)
        parser.add_argument("--library")
        parser.add_argument("--library-logfc")
        parser.add_argument("--library-p")
        parser.add_argument("--metric", required=True, choices=METRICS)
        parser.add_argument("--out", required=True)

    def handle(self, *args, **opts):
        from analysis.engine.connectivity import QueryError, parse_query, read_query_table
        from analysis.engine.connectivity.fast import arrays_library, fast_connectivity

        if bool(opts["library"]) == bool(opts["library_logfc"]):
            raise CommandError("give exactly one of --library or --library-logfc", returncode=2)
        try:
            payload = read_query_table(opts["query"])
            parsed = parse_query(payload, resolve=_resolver())
        except QueryError as exc:
            raise CommandError(str(exc), returncode=2) from None
        lib = self._library(opts, arrays_library)
        try:
            result = fast_connectivity(parsed.query, lib, metric=opts["metric"], top=None)
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        table = result.table[["signature", "similarity", "pValue", "nGenes", "FDR"]]
        table.to_csv(opts["out"], sep="\t", index=False, float_format="%.17g", na_rep="NA")
        if parsed.unknown:
            sys.stderr.write(f"{len(parsed.unknown)} query genes unknown (ignored)\n")

    def _library(self, opts, arrays_library):
        if opts["library"]:
            from signatures.io import LibraryCorrupt, library_open

            try:
                return library_open(slug=opts["library"])
            except (FileNotFoundError, LibraryCorrupt) as exc:
                raise CommandError(str(exc), returncode=2) from None
        logfc = _read_matrix(opts["library_logfc"])
        p = None
        if opts["library_p"]:
            p = _read_matrix(opts["library_p"]).reindex(index=logfc.index, columns=logfc.columns)
            if p.isna().all().all():
                raise CommandError(
                    "the p-value matrix does not match the logFC matrix", returncode=2
                )
        return arrays_library(
            logfc.index.to_numpy(),
            logfc.to_numpy(),
            None if p is None else p.to_numpy(),
            [str(c) for c in logfc.columns],
        )


def _resolver():
    """Entrez ids as given; symbols through the gene table when there is one."""

    def resolve(ids):
        out = {i: int(i) for i in ids if i.isdigit()}
        symbols = [i for i in ids if not i.isdigit()]
        if symbols:
            try:
                from signatures.selectors import resolve_genes

                out.update(resolve_genes(symbols))
            except Exception:  # no database: symbols stay unknown and are reported
                pass
        return out

    return resolve
