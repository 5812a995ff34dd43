"""What scriptable commands share: bad arguments give exit code 2 and one line on stderr."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError


class UsageError(CommandError):
    """Bad arguments or input: exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()), returncode=2)


class ScriptCommand(BaseCommand):
    """A command users script: argparse and input errors are one line on stderr, exit 2."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        name = f"{prog_name} {subcommand}"

        def one_line_error(message: str) -> None:
            if not parser.called_from_command_line:
                raise UsageError(message)
            sys.stderr.write(f"{name}: error: {message}\n")
            sys.exit(2)

        parser.error = one_line_error
        return parser

    def run_from_argv(self, argv):
        try:
            super().run_from_argv(argv)
        except (ValueError, FileNotFoundError) as exc:  # input problems found while running
            sys.stderr.write(f"{argv[1]}: error: {' '.join(str(exc).split())}\n")
            sys.exit(2)
