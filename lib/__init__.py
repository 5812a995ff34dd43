"""Helpers that need no Django and belong to no app (importable from every layer)."""
