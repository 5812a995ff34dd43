from django.apps import AppConfig

# The modules that register run kinds (``analysis.runs.registry.register``), one per feature.
KIND_MODULES = (
    "analysis.build.kinds",
    "analysis.connectivity.kinds",
    "analysis.interpret.kinds.enrichment",
    "analysis.interpret.kinds.moa",
    "analysis.interpret.kinds.signature_group",
)
# The modules whose FIGURES draw a finished run's plots (``analysis.runs.pages``).
FIGURE_MODULES = (
    "analysis.build.figures",
    "analysis.connectivity.figures",
    "analysis.interpret.figures",
)


class AnalysisConfig(AppConfig):
    name = "analysis"
    verbose_name = "Analyses"

    def ready(self) -> None:
        from importlib import import_module

        for module in KIND_MODULES:  # the registry is complete in every process
            import_module(module)
