"""manage.py export_framework <id or "name"> [--version N] --format xlsx|tsv [--output PATH]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from matrix.exporter import FORMATS, export
from matrix.models import Framework
from matrix.selectors import find_framework, framework_spec


class Refused(CommandError):
    """Printed as "Refused: …" with a non-zero exit code."""


class Command(BaseCommand):
    help = (
        "Exports a framework version as XLSX or TSV in the layout it was imported from, so it "
        "can be edited in a spreadsheet and imported again."
    )

    def add_base_argument(self, parser, *args, **kwargs) -> None:
        # Here --version picks the framework's version, not Django's.
        if "--version" not in args:
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument("framework", help="The framework's id, or its name in quotes.")
        parser.add_argument(
            "--version", type=int, help="Which version of the named framework (default: latest)."
        )
        parser.add_argument("--format", choices=FORMATS, required=True, dest="fmt")
        parser.add_argument(
            "--output",
            help="File to write (default: TSV to standard output; XLSX to <name>-v<N>.xlsx).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Overwrite the output file if it exists."
        )

    def handle(self, *args, framework: str, version, fmt: str, output, force, **options) -> None:
        try:
            found = find_framework(framework, version=version)
        except Framework.DoesNotExist as exc:
            raise Refused(str(exc)) from exc
        if version is not None and found.version != version:
            raise Refused(
                f'Framework {framework} is version {found.version} of "{found.name}", not '
                f"version {version}; give the name to choose a version."
            )
        data = export(framework_spec(found), fmt)
        if output is None and fmt == "tsv":
            self.stdout.write(data.decode("utf-8"), ending="")
            return
        target = Path(output or f"{slugify(found.name) or 'framework'}-v{found.version}.{fmt}")
        if target.exists() and not force:
            raise Refused(f"{target} already exists; choose another --output or add --force.")
        target.write_bytes(data)
        self.stdout.write(
            f'Wrote "{found.name}" version {found.version} ({found.get_status_display().lower()})'
            f" to {target} as {fmt.upper()} ({len(data):,} bytes)."
        )
