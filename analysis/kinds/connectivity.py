"""Run kind module: connectivity (see analysis/kinds/__init__.py)."""
