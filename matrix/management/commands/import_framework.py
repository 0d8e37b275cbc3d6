"""python manage.py import_framework PATH [--name NAME] [--publish]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from matrix.importer import FrameworkImportError, check_size
from matrix.services import import_framework


class Refused(CommandError):
    """Printed as "Refused: …" with a non-zero exit code."""


class Command(BaseCommand):
    help = (
        "Imports a maturity framework from a TSV, CSV or XLSX spreadsheet. The same content is "
        "recognised and not imported twice; a changed file becomes the next version."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="The spreadsheet: .tsv, .txt, .csv or .xlsx.")
        parser.add_argument(
            "--name", help="The framework's name (default: the title above the table)."
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish the imported version (or the existing draft with the same content).",
        )

    def handle(self, *args, path: str, name: str | None, publish: bool, **options) -> None:
        source = Path(path)
        if not source.is_file():
            raise Refused(f"{path}: no such file.")
        try:
            check_size(source.stat().st_size)
            with source.open("rb") as stream:
                content = stream.read()
            result = import_framework(
                content=content, filename=source.name, name=name, publish=publish, actor=None
            )
        except FrameworkImportError as exc:
            lines = "\n".join(f"  {problem}" for problem in exc.problems)
            raise Refused(f"{source.name} was not imported; nothing was saved.\n{lines}") from exc
        self.stdout.write(result.headline)
        if result.created:
            for line in result.details:
                self.stdout.write(f"  {line}")
