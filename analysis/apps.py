from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "analysis"
    verbose_name = "Analyses"

    def ready(self) -> None:
        import analysis.kinds  # noqa: F401  (registers every run kind)
