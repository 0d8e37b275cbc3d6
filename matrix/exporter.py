"""Writing a framework back out as TSV or XLSX, in the layout it was imported from.

Title and preamble above the table, the header (repeated before each block where the source had
blocks), the category written once and carried down, level columns in the source's order, the
evidence base joined into one cell, and the notes after the table. Every cell is written so the
importer reads it back unchanged: import → export → import gives the same framework.
"""

from __future__ import annotations

import csv
import io

from . import cells
from .spec import CATEGORY, EVIDENCE, FOCUS, LEVEL, FrameworkSpec

FORMATS = ("xlsx", "tsv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@")


def table_rows(spec: FrameworkSpec) -> list[list[str]]:
    """The sheet as rows of cell text, shared by both formats."""
    layout = spec.layout
    labels = {level.rank: level.label for level in spec.levels}
    ranks = [level.rank for level in spec.levels]
    header = []
    for column in layout.columns:
        header.append(labels[column.rank] if column.role == LEVEL else column.header)

    rows: list[list[str]] = []
    if spec.title:
        rows += [[spec.title], []]
    for paragraph in _paragraphs(spec.preamble):
        rows += [[paragraph], []]

    blocks = list(layout.blocks) or [len(spec.focus_areas)]
    areas = iter(spec.focus_areas)
    previous_category = None
    for block_number, size in enumerate(blocks):
        if block_number:
            rows.append([])
        rows.append(header)
        for _ in range(size):
            area = next(areas)
            descriptors = dict(zip(ranks, area.descriptors, strict=True))
            row = []
            for column in layout.columns:
                if column.role == CATEGORY:
                    row.append(area.category if area.category != previous_category else "")
                elif column.role == FOCUS:
                    row.append(area.name)
                elif column.role == LEVEL:
                    descriptor = descriptors[column.rank]
                    row.append(cells.write_descriptor(descriptor.text, descriptor.criteria))
                elif column.role == EVIDENCE:
                    row.append(cells.write_evidence([e.name for e in area.evidence]))
            previous_category = area.category
            rows.append(row)

    notes = _paragraphs(spec.notes)
    if notes or layout.notes_heading:
        rows.append([])
        if layout.notes_heading:
            rows += [[layout.notes_heading], []]
        for index, paragraph in enumerate(notes):
            rows.append([paragraph])
            if index < len(notes) - 1:
                rows.append([])
    return rows


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def _escape_formula(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_tsv(spec: FrameworkSpec) -> bytes:
    """UTF-8 tab-separated text; cells with line breaks are quoted, as spreadsheets write them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    for row in table_rows(spec):
        writer.writerow([_escape_formula(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(spec: FrameworkSpec) -> bytes:
    """An Excel workbook with one sheet; text is stored as text, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (spec.title or "Framework")[:31].translate(str.maketrans("", "", "[]:*?/\\"))
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    header = None
    for row_number, row in enumerate(table_rows(spec), start=1):
        for column_number, value in enumerate(row, start=1):
            if value == "":
                continue
            cell = sheet.cell(row=row_number, column=column_number)
            cell.value = value
            cell.data_type = "s"  # never a formula, whatever the text starts with
            if len(row) > 1:
                cell.alignment = wrap
        if header is None and len(row) > 1:
            header = row
        if header is not None and row == header:
            for column_number in range(1, len(row) + 1):
                sheet.cell(row=row_number, column=column_number).font = bold
    if header is not None:
        for index, column in enumerate(spec.layout.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = 40 if column.role in (LEVEL, EVIDENCE) else 24
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(spec: FrameworkSpec, fmt: str) -> bytes:
    if fmt == "xlsx":
        return to_xlsx(spec)
    if fmt == "tsv":
        return to_tsv(spec)
    raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
