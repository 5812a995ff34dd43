"""Run kind module: signature_group (see analysis/kinds/__init__.py)."""
