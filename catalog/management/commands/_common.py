"""What every import command shares: one-line errors and a terminal progress bar."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from analysis.engine.formats import InputError


class ImportCommand(BaseCommand):
    """An import command: ``InputError`` (and ValueError) become one-line command errors."""

    def execute(self, *args, **options):
        try:
            with transaction.atomic():
                return super().execute(*args, **options)
        except (InputError, ValueError, FileNotFoundError) as exc:
            message = " ".join(str(exc).split()) or exc.__class__.__name__
            raise CommandError(message) from exc

    def progress(self, done: int, total: int, label: str = "") -> None:
        """A simple `\\r` bar, drawn only on a terminal."""
        if not self.stdout.isatty() or total <= 0:
            return
        width = 30
        filled = int(width * done / total)
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        self.stdout.write(f"\r{label} [{bar}] {done}/{total}", ending=end)
        self.stdout.flush()

    def report(self, line: str) -> None:
        self.stdout.write(self.style.SUCCESS(line) if line.startswith("created") else line)
