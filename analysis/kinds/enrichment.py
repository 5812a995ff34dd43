"""Run kind module: enrichment (see analysis/kinds/__init__.py)."""
