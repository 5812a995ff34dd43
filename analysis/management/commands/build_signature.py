"""Build a differential-expression signature from an expression file and a groups file."""

from pathlib import Path

from analysis.build.services import METHODS, signature_from_tables
from analysis.engine import formats
from ilincs_site.cli import ScriptCommand, UsageError


class Command(ScriptCommand):
    help = (
        "Differential expression of --treatment vs --baseline (limma, limma-trend, or edgeR "
        "QL/LRT/exact for counts); writes one row per gene to --out (tab-separated)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--expression", required=True, help="genes x samples TSV or GCT")
        parser.add_argument("--groups", required=True, help="sample<TAB>group file")
        parser.add_argument("--treatment", required=True)
        parser.add_argument("--baseline", required=True)
        parser.add_argument("--method", required=True, choices=sorted(METHODS))
        parser.add_argument("--filter-by-expr", action="store_true", help="edgeR filterByExpr")
        parser.add_argument("--robust", action="store_true", help="robust empirical Bayes")
        parser.add_argument(
            "--keep-all-groups", action="store_true", help="fit all groups (residual df)"
        )
        parser.add_argument("--out", required=True)

    def handle(self, *args, **opts):
        for option in ("expression", "groups"):
            if not Path(opts[option]).is_file():
                raise UsageError(f"--{option}: no such file {opts[option]}")
        expression = formats.read_matrix(opts["expression"]).data
        groups = formats.read_groups(opts["groups"])
        table = signature_from_tables(
            expression=expression,
            groups=groups,
            treatment=opts["treatment"],
            baseline=opts["baseline"],
            method=opts["method"],
            filter_by_expr=opts["filter_by_expr"],
            robust=opts["robust"],
            keep_all_groups=opts["keep_all_groups"],
        )
        table.to_csv(opts["out"], sep="\t", index=False, na_rep="NA", float_format="%.17g")
        self.stderr.write(f"{len(table)} genes written to {opts['out']}")
