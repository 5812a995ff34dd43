"""The dependency rules of STYLE.md, checked on the source text."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = {"django", "rest_framework", "django_q", "bokeh", "django_filters", "drf_spectacular"}
APPS = {"catalog", "signatures", "analysis", "collections_app"}
ALLOWED = {
    "catalog": set(),
    "signatures": {"catalog"},
    "analysis": {"catalog", "signatures"},
    "collections_app": {"catalog", "signatures"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_engine_imports_no_framework():
    files = list((ROOT / "analysis" / "engine").rglob("*.py"))
    assert files
    for path in files:
        bad = imported_roots(path) & (FRAMEWORKS | APPS - {"analysis"})
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_lib_imports_no_framework_and_no_app():
    for path in (ROOT / "lib").rglob("*.py"):
        bad = imported_roots(path) & (FRAMEWORKS | APPS)
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_analysis_package_init_loads_no_django():
    assert not (ROOT / "analysis" / "__init__.py").read_text().strip()


@pytest.mark.parametrize("app", sorted(APPS))
def test_apps_depend_only_in_the_allowed_direction(app):
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        used = (imported_roots(path) & APPS) - {app}
        assert used <= ALLOWED[app], (
            f"{path.relative_to(ROOT)} imports {sorted(used - ALLOWED[app])}"
        )
