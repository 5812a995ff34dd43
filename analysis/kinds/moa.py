"""Run kind module: moa (see analysis/kinds/__init__.py)."""
