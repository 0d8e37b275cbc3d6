"""Malformed files are refused with the row, column and rule, and nothing is written."""

import pytest
from django.apps import apps

from audit.models import AuditEvent
from matrix.importer import FrameworkImportError
from matrix.services import import_framework
from tests.matrix.factories import (
    SPMM_NAME,
    join_lines,
    pdf_bytes,
    png_bytes,
    seed_lines,
    spmm_with,
)

pytestmark = pytest.mark.django_db

MATRIX_MODELS = list(apps.get_app_config("matrix").get_models())


def _counts() -> dict:
    counts = {model.__name__: model.objects.count() for model in MATRIX_MODELS}
    counts["audit"] = AuditEvent.objects.count()
    return counts


def _refusal(content: bytes, filename: str = "matrix.tsv") -> FrameworkImportError:
    before = _counts()
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(content=content, filename=filename, name=SPMM_NAME)
    assert _counts() == before, "a refused import wrote to the database"
    return caught.value


def test_missing_header_is_refused_at_the_first_table_row():
    lines = seed_lines()
    del lines[6]  # row 7 is the header
    error = _refusal(join_lines(lines))
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert problem.row == 7
    assert "header row is missing" in str(problem)
    assert str(problem).startswith("Row 7:")


def test_unknown_level_column_is_refused_naming_row_and_column():
    content = spmm_with(7, lambda cells: [c.replace("Level 2", "Level two") for c in cells])
    problem = _refusal(content).problems[0]
    assert (problem.row, problem.column) == (7, 4)
    assert str(problem).startswith("Row 7, column E (Level two): Unknown level column 'Level two'")


def test_a_named_column_among_numbered_levels_is_an_unknown_level_column():
    content = spmm_with(7, lambda cells: [*cells[:8], "Comments", cells[8]])
    problem = _refusal(content).problems[0]
    assert (problem.row, problem.column) == (7, 8)
    assert "Unknown level column 'Comments'" in str(problem)


def test_ragged_row_is_refused_naming_the_row():
    # Row 9 (Social Value) loses a tab: two of its cells run together.
    content = spmm_with(9, lambda cells: [cells[0], cells[1] + cells[2], *cells[3:]])
    problem = _refusal(content).problems[0]
    assert problem.row == 9
    assert "has 8 cells but the header (row 7) has 9" in str(problem)


def test_a_value_beyond_the_last_column_is_refused():
    content = spmm_with(10, lambda cells: [*cells, "stray"])
    problem = _refusal(content).problems[0]
    assert (problem.row, problem.column) == (10, 9)
    assert str(problem).startswith("Row 10, column J: A value outside the table")


def test_empty_focus_name_is_refused_naming_row_and_column():
    content = spmm_with(12, lambda cells: [cells[0], "", *cells[2:]])
    problem = _refusal(content).problems[0]
    assert (problem.row, problem.column) == (12, 1)
    assert str(problem) == (
        "Row 12, column B (Focus): The focus area has no name. Every row of the table needs one."
    )


def test_every_problem_in_a_file_is_reported_at_once():
    lines = seed_lines()
    for row in (9, 12):
        cells = lines[row - 1].split("\t")
        cells[1] = ""
        lines[row - 1] = "\t".join(cells)
    error = _refusal(join_lines(lines))
    assert [p.row for p in error.problems] == [9, 12]


def test_png_image_is_refused_as_not_a_spreadsheet():
    error = _refusal(png_bytes(), "matrix.tsv")
    assert "not a spreadsheet" in str(error.problems[0])
    assert "PNG image" in str(error.problems[0])


def test_pdf_document_is_refused_as_not_a_spreadsheet():
    error = _refusal(pdf_bytes(), "matrix.xlsx")
    assert "not a spreadsheet" in str(error.problems[0])
    assert "PDF document" in str(error.problems[0])


def test_a_word_document_named_xlsx_is_refused():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    error = _refusal(buffer.getvalue(), "matrix.xlsx")
    assert "Word document" in str(error.problems[0])


def test_a_50_mb_file_is_refused_naming_the_limit(settings):
    assert settings.FRAMEWORK_IMPORT_MAX_BYTES < 50 * 1024 * 1024
    content = seed_lines()[6].encode() + b"\n" + b"x" * (50 * 1024 * 1024)
    error = _refusal(content)
    message = str(error.problems[0])
    assert "50.0 MB" in message and "FRAMEWORK_IMPORT_MAX_BYTES" in message


def test_binary_data_in_a_text_file_is_refused():
    error = _refusal(b"Focus\tLevel 1\tLevel 2\nVision\x00\x01\tA.\tB.\n")
    assert "binary data" in str(error.problems[0])


def test_a_header_with_a_single_level_is_refused():
    error = _refusal(join_lines(["Focus\tLevel 1", "Vision\tShared."]))
    assert "fewer than two level columns" in str(error.problems[0])


def test_a_duplicate_focus_area_is_refused():
    content = spmm_with(9, lambda cells: [cells[0], "Customer service", *cells[2:]])
    problem = _refusal(content).problems[0]
    assert (problem.row, problem.column) == (9, 1)
    assert "appears twice (also row 8)" in str(problem)


def test_a_first_row_without_a_category_is_refused():
    content = spmm_with(8, lambda cells: ["", *cells[1:]])
    problem = _refusal(content).problems[0]
    assert (problem.row, problem.column) == (8, 0)
    assert "no category" in str(problem)
