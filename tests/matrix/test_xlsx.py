"""XLSX files: read like the TSV, and refused before parsing when the zip or its XML is hostile."""

import io
import zipfile

import pytest

from matrix.exporter import to_xlsx
from matrix.importer import FrameworkImportError
from matrix.services import parse_file
from tests.matrix.factories import SPMM, seed_bytes


@pytest.fixture(scope="module")
def spmm_xlsx() -> bytes:
    return to_xlsx(parse_file(content=seed_bytes(SPMM), filename=SPMM.name))


def _rewrite(xlsx: bytes, change) -> bytes:
    """A copy of the workbook with each part passed through `change(name, data)`; returning
    extra (name, data) pairs adds parts."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            result = change(info.filename, source.read(info.filename))
            for name, data in result if isinstance(result, list) else [(info.filename, result)]:
                target.writestr(name, data)
    return buffer.getvalue()


def test_xlsx_reads_to_the_same_framework_as_the_tsv(spmm_xlsx):
    assert parse_file(content=spmm_xlsx, filename="spmm.xlsx") == parse_file(
        content=seed_bytes(SPMM), filename=SPMM.name
    )


def test_xml_entity_declarations_are_refused_before_parsing(spmm_xlsx):
    def add_entities(name, data):
        if name == "xl/worksheets/sheet1.xml":
            bomb = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            return bomb + data
        return data

    with pytest.raises(FrameworkImportError, match="declares XML entities"):
        parse_file(content=_rewrite(spmm_xlsx, add_entities), filename="spmm.xlsx")


def test_a_part_named_with_dot_dot_is_refused(spmm_xlsx):
    def add_traversal(name, data):
        if name == "[Content_Types].xml":
            return [(name, data), ("../../evil.xml", b"<x/>")]
        return data

    with pytest.raises(FrameworkImportError, match="unsafe name"):
        parse_file(content=_rewrite(spmm_xlsx, add_traversal), filename="spmm.xlsx")


def test_a_compression_bomb_is_refused(spmm_xlsx):
    def add_bomb(name, data):
        if name == "[Content_Types].xml":
            return [(name, data), ("xl/media/padding.bin", b"\0" * (8 * 1024 * 1024))]
        return data

    with pytest.raises(FrameworkImportError, match="compression bomb"):
        parse_file(content=_rewrite(spmm_xlsx, add_bomb), filename="spmm.xlsx")


def test_a_damaged_workbook_is_refused_with_a_clear_message(spmm_xlsx):
    def break_workbook(name, data):
        return b"<not xml" if name == "xl/workbook.xml" else data

    with pytest.raises(FrameworkImportError, match="could not be read as an XLSX workbook"):
        parse_file(content=_rewrite(spmm_xlsx, break_workbook), filename="spmm.xlsx")


def test_text_that_looks_like_a_formula_is_stored_as_text():
    from openpyxl import load_workbook

    spec = parse_file(
        content=b"Focus\tLevel 1\tLevel 2\nVision\t'=1+1 is shown as typed.\tShared.\n",
        filename="m.tsv",
    )
    assert spec.focus_areas[0].descriptors[0].text == "=1+1 is shown as typed."
    sheet = load_workbook(io.BytesIO(to_xlsx(spec))).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == "=1+1 is shown as typed.")
    assert cell.data_type == "s"
