"""Run kind module: build_signature (see analysis/kinds/__init__.py)."""
