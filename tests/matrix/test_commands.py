"""import_framework and export_framework: clear output, refusals with a non-zero exit code."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from matrix.models import Framework, LevelDescriptor
from matrix.selectors import framework_spec
from matrix.services import parse_file
from tests.matrix.factories import SMM, SPMM, SPMM_NAME, png_bytes, spmm_with

pytestmark = pytest.mark.django_db

DEV_RUN_ARGS = (
    "import_framework",
    "matrix/seeds/strategic_performance_maturity_matrix.tsv",
    "--name",
    "Strategic Performance Maturity Matrix",
    "--publish",
)


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def in_project_root(monkeypatch):
    monkeypatch.chdir(settings.BASE_DIR)


def test_dev_run_import_is_idempotent(in_project_root):
    first = _run(*DEV_RUN_ARGS)
    assert first.startswith(
        'Imported "Strategic Performance Maturity Matrix" as version 1 (published) from '
        "strategic_performance_maturity_matrix.tsv."
    )
    counts = (
        Framework.objects.count(),
        LevelDescriptor.objects.count(),
        AuditEvent.objects.count(),
    )
    second = _run(*DEV_RUN_ARGS)
    assert second.strip() == (
        '"Strategic Performance Maturity Matrix" version 1 (published) is already there with the '
        "same content as strategic_performance_maturity_matrix.tsv; nothing was imported."
    )
    assert (
        Framework.objects.count(),
        LevelDescriptor.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_import_output_lists_what_was_imported():
    output = _run("import_framework", str(SPMM), "--name", SPMM_NAME)
    assert "  levels: 6 (Level 0, Level 1, Level 2, Level 3, Level 4, Level 5)" in output
    assert "  categories: 3" in output
    assert "  focus areas: 9" in output
    assert "  level descriptors: 54 (18 blank, 9 checklists)" in output
    assert "  evidence types: 51" in output
    assert "  notes: 9 paragraphs" in output


def test_import_name_defaults_to_the_title():
    _run("import_framework", str(SMM))
    assert Framework.objects.get().name == "System Maturity Model"


def test_refusal_names_row_column_and_rule(tmp_path):
    broken = tmp_path / "broken.tsv"
    broken.write_bytes(spmm_with(12, lambda cells: [cells[0], "", *cells[2:]]))
    with pytest.raises(CommandError) as caught:
        _run("import_framework", str(broken))
    assert str(caught.value) == (
        "broken.tsv was not imported; nothing was saved.\n"
        "  Row 12, column B (Focus): The focus area has no name. Every row of the table needs one."
    )
    assert not Framework.objects.exists()


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _run("import_framework", str(tmp_path / "nothing.tsv"))


def test_refusal_exits_non_zero_from_the_command_line(tmp_path):
    image = tmp_path / "matrix.tsv"
    image.write_bytes(png_bytes())
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_framework", str(image)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Refused: matrix.tsv was not imported; nothing was saved.")
    assert "not a spreadsheet" in result.stderr and "PNG image" in result.stderr


def test_export_writes_xlsx_that_imports_back(tmp_path):
    _run("import_framework", str(SPMM), "--name", SPMM_NAME)
    target = tmp_path / "spmm.xlsx"
    output = _run("export_framework", SPMM_NAME, "--format", "xlsx", "--output", str(target))
    assert output.startswith(f'Wrote "{SPMM_NAME}" version 1 (draft) to {target} as XLSX')
    framework = Framework.objects.get()
    assert parse_file(content=target.read_bytes(), filename="spmm.xlsx") == framework_spec(
        framework
    )


def test_export_tsv_goes_to_standard_output_by_id():
    _run("import_framework", str(SMM))
    framework = Framework.objects.get()
    output = _run("export_framework", str(framework.pk), "--format", "tsv")
    assert output.startswith("System Maturity Model\n\n\t5\t4\t3\t2\t1\nVision\t")


def test_export_picks_a_version_by_name(tmp_path):
    _run("import_framework", str(SPMM), "--name", SPMM_NAME)
    changed = tmp_path / "changed.tsv"
    changed.write_bytes(spmm_with(8, lambda cells: [*cells[:2], "Described.", *cells[3:]]))
    _run("import_framework", str(changed), "--name", SPMM_NAME)
    latest = _run("export_framework", SPMM_NAME, "--format", "tsv")
    first = _run("export_framework", SPMM_NAME, "--version", "1", "--format", "tsv")
    assert "Described." in latest and "Described." not in first


def test_export_of_an_unknown_framework_is_refused():
    with pytest.raises(CommandError, match='There is no framework "Nope"'):
        _run("export_framework", "Nope", "--format", "tsv")


def test_export_does_not_overwrite_an_existing_file(tmp_path):
    _run("import_framework", str(SMM))
    target = tmp_path / "smm.tsv"
    target.write_text("keep me")
    with pytest.raises(CommandError, match="already exists"):
        _run(
            "export_framework", "System Maturity Model", "--format", "tsv", "--output", str(target)
        )
    assert target.read_text() == "keep me"
    _run(
        "export_framework",
        "System Maturity Model",
        "--format",
        "tsv",
        "--output",
        str(target),
        "--force",
    )
    assert Path(target).read_text().startswith("System Maturity Model")


def test_export_by_id_refuses_a_different_version():
    _run("import_framework", str(SMM))
    framework = Framework.objects.get()
    with pytest.raises(
        CommandError, match='is version 1 of "System Maturity Model", not version 2'
    ):
        _run("export_framework", str(framework.pk), "--version", "2", "--format", "tsv")
