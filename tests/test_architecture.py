"""The dependency rules of STYLE.md, checked on the source text.

analysis.engine is a leaf every app may import; it imports no framework and no app.
catalog <- signatures <- analysis, collections_app -> {catalog, signatures}.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = {"django", "rest_framework", "django_q", "bokeh", "django_filters", "drf_spectacular"}
APPS = {"catalog", "signatures", "analysis", "collections_app"}
ENGINE = "analysis.engine"
# Which apps each app may import, besides the engine (which every app may import).
ALLOWED = {
    "catalog": set(),
    "signatures": {"catalog"},
    "analysis": {"catalog", "signatures"},
    "collections_app": {"catalog", "signatures"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def is_engine(module: str) -> bool:
    return module == ENGINE or module.startswith(ENGINE + ".")


def imported_apps(path: Path) -> set[str]:
    """The apps a file imports, the engine not counted (it is a leaf, not its app)."""
    return {m.split(".")[0] for m in imported_modules(path) if not is_engine(m)} & APPS


def test_the_engine_imports_no_framework_and_no_app():
    files = list((ROOT / "analysis" / "engine").rglob("*.py"))
    assert files
    for path in files:
        bad = imported_apps(path) | ({m.split(".")[0] for m in imported_modules(path)} & FRAMEWORKS)
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_engine_imports_nothing_of_analysis_but_itself():
    for path in (ROOT / "analysis" / "engine").rglob("*.py"):
        outside = {
            m for m in imported_modules(path) if m.startswith("analysis") and not is_engine(m)
        }
        assert not outside, f"{path.relative_to(ROOT)} imports {sorted(outside)}"


def test_analysis_package_init_loads_no_django():
    assert not (ROOT / "analysis" / "__init__.py").read_text().strip()


@pytest.mark.parametrize("app", sorted(APPS))
def test_apps_depend_only_in_the_allowed_direction(app):
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts or (app == "analysis" and "engine" in path.parts):
            continue
        used = imported_apps(path) - {app}
        assert used <= ALLOWED[app], (
            f"{path.relative_to(ROOT)} imports {sorted(used - ALLOWED[app])}"
        )


def test_an_import_of_the_engine_counts_as_no_app_and_one_of_analysis_does(tmp_path):
    engine_only = tmp_path / "engine_only.py"
    engine_only.write_text("import analysis.engine\nfrom analysis.engine.stats import bh_fdr\n")
    sibling = tmp_path / "sibling.py"
    sibling.write_text("from analysis.models import AnalysisRun\n")
    assert imported_apps(engine_only) == set()
    assert imported_apps(sibling) == {"analysis"}


FEATURES = {"runs", "connectivity", "build", "interpret", "tutorials"}
# Top-level modules of the analysis app: the app's own files, nothing of a feature.
APP_MODULES = {"__init__", "apps", "admin", "choices", "models", "plots", "tasks", "urls"}
# Django finds these by name in the app; the engine is the shared numeric core.
APP_PACKAGES = FEATURES | {"engine", "management", "migrations", "templatetags"}


def test_the_analysis_app_is_organised_by_feature():
    root = ROOT / "analysis"
    modules = {p.stem for p in root.glob("*.py")}
    packages = {p.name for p in root.iterdir() if p.is_dir() and any(p.rglob("*.py"))}
    assert modules <= APP_MODULES, f"put {sorted(modules - APP_MODULES)} into a feature folder"
    assert packages <= APP_PACKAGES, f"unknown folders {sorted(packages - APP_PACKAGES)}"
    assert not list(root.rglob("views_*.py")), "a view lives in its feature's views.py"


def test_the_run_framework_imports_no_feature():
    """runs/ is what every feature builds on; it finds their kinds and figures by the module
    names listed in analysis/apps.py, never by importing them."""
    for path in (ROOT / "analysis" / "runs").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                parts = node.module.split(".")
                if parts[0] == "analysis" and len(parts) > 1:
                    assert parts[1] not in FEATURES - {"runs"}, (
                        f"{path.relative_to(ROOT)} imports {node.module}"
                    )
