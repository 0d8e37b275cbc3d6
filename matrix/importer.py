"""Reading a maturity matrix from a spreadsheet (TSV, CSV or XLSX) into a `FrameworkSpec`.

The layouts are the ones councils actually send: a title and preamble above the table, a header
row (``Category | Focus | Level 0 … Level 5 | Evidence base``, or a blank first cell followed by
the level names, in any order – the System Maturity Model runs 5 → 1 – possibly repeated before
each block of rows), a blank category meaning "same as above", and free-text notes after the
table. Nothing here touches the database: a file is read completely and every problem found is
reported (row, column, rule) before anything is saved.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError

from . import cells
from .spec import (
    CATEGORY,
    EVIDENCE,
    FOCUS,
    LEVEL,
    Column,
    DescriptorSpec,
    EvidenceSpec,
    FocusAreaSpec,
    FrameworkSpec,
    Layout,
    LevelSpec,
)

CATEGORY_HEADERS = frozenset({"category", "categories", "theme", "themes", "domain", "domains"})
FOCUS_HEADERS = frozenset(
    {
        "focus",
        "focus area",
        "focus areas",
        "area",
        "areas",
        "dimension",
        "dimensions",
        "strand",
        "strands",
        "transformation strand",
    }
)
EVIDENCE_HEADERS = frozenset(
    {"evidence base", "evidence", "evidence types", "evidence sources", "evidence required"}
)
_NUMBERED_LEVEL = re.compile(r"^(?:(?:level|stage|lvl)\s*)?(\d{1,3})(?![\d.])", re.I)
_LOOKS_NUMBERED = re.compile(r"^(?:level|stage|lvl)\b", re.I)
_NOTES_HEADING = re.compile(r"^\W*notes?\W*$", re.I)

#: The most problems reported for one file; past that, the first ones are enough to act on.
MAX_PROBLEMS = 25
MAX_ROWS = 5000
MAX_COLUMNS = 256
# Limits for XLSX (zip) files, checked before any XML is parsed.
MAX_ZIP_ENTRIES = 500
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200
TEXT_ENCODINGS = ("utf-8", "cp1252")

# Field limits of the models, checked here so a refusal names the cell.
MAX_NAME, MAX_TITLE, MAX_CATEGORY, MAX_FOCUS, MAX_EVIDENCE = 200, 300, 200, 300, 300
MAX_LEVEL_CODE, MAX_LEVEL_LABEL = 50, 100


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names the column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True)
class Problem:
    """One reason a file was refused, located as a spreadsheet user would find it."""

    message: str
    row: int | None = None  # 1-based, as the spreadsheet numbers rows
    column: int | None = None  # 0-based
    header: str = ""

    @property
    def location(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"Row {self.row}")
        if self.column is not None:
            name = f"column {column_letter(self.column)}"
            if self.header:
                name += f" ({self.header})"
            parts.append(name if parts else name.capitalize())
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class FrameworkImportError(ValidationError):
    """The file was refused; `problems` says where and why. Nothing was saved."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__([str(problem) for problem in self.problems])


def _refuse(message: str, **where) -> FrameworkImportError:
    return FrameworkImportError([Problem(message, **where)])


def human_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def size_limit() -> int:
    return settings.FRAMEWORK_IMPORT_MAX_BYTES


def check_size(size: int) -> None:
    limit = size_limit()
    if size > limit:
        raise _refuse(
            f"The file is {human_size(size)}; the largest framework file accepted is "
            f"{human_size(limit)} (FRAMEWORK_IMPORT_MAX_BYTES). A maturity matrix is a few "
            "hundred kilobytes: check that this is the right file."
        )


def read_limited(stream, *, size: int | None = None) -> bytes:
    """Reads an upload or open file, refusing it before reading when it is over the limit."""
    if size is not None:
        check_size(size)
    data = stream.read(size_limit() + 1)
    check_size(len(data))
    return data


# --- From bytes to rows of cells ----------------------------------------------------------


def read_rows(data: bytes, filename: str = "") -> tuple[list[list[str]], bool]:
    """The file's rows as lists of strings, and whether short rows are padded (XLSX).

    Refuses anything that is not a TSV, CSV or XLSX spreadsheet, naming what it looks like.
    """
    check_size(len(data))
    if not data.strip():
        raise _refuse("The file is empty.")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _xlsx_rows(data), True
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _refuse(
            "This is an older Excel (.xls) workbook, which is not read here: save it as .xlsx "
            "(Excel workbook) or as tab-separated text and import that."
        )
    kind = filetype.guess(data)
    if kind is not None:
        raise _refuse(
            f"This is not a spreadsheet: the file's content is {_describe(kind)}. Import the "
            "matrix as a TSV, CSV or XLSX file."
        )
    text = _decode(data)
    delimiter = _delimiter(text, filename)
    csv.field_size_limit(max(size_limit(), 131072))
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _refuse(f"The file could not be read as {_format_name(delimiter)}: {exc}.") from exc
    if len(rows) > MAX_ROWS:
        raise _refuse(f"The file has {len(rows)} rows; a framework table has at most {MAX_ROWS}.")
    return rows, False


def _describe(kind) -> str:
    names = {
        "png": "a PNG image",
        "jpg": "a JPEG image",
        "gif": "a GIF image",
        "pdf": "a PDF document",
        "doc": "a Word document",
        "zip": "a zip archive",
        "gz": "a gzip archive",
    }
    return names.get(kind.extension, f"{kind.mime} (.{kind.extension})")


def _format_name(delimiter: str) -> str:
    return "tab-separated text (TSV)" if delimiter == "\t" else "comma-separated text (CSV)"


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _refuse("The file starts like UTF-16 text but is not valid UTF-16.") from exc
    else:
        data = data.removeprefix(b"\xef\xbb\xbf")
        for encoding in TEXT_ENCODINGS:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise _refuse(
                "This is not a text spreadsheet: it is neither UTF-8 nor Windows-1252 text. "
                "Import the matrix as a TSV, CSV or XLSX file."
            )
    binary = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    if binary:
        line = text.count("\n", 0, binary.start()) + 1
        raise _refuse(
            f"This is not a text spreadsheet: line {line} holds binary data (character "
            f"{ord(binary.group()):#04x}). Import the matrix as a TSV, CSV or XLSX file."
        )
    return text


def _delimiter(text: str, filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return ","
    if suffix in (".tsv", ".tab") or "\t" in text:
        return "\t"
    return ","


def _xlsx_rows(data: bytes) -> list[list[str]]:
    _check_zip(data)
    import openpyxl

    if not openpyxl.DEFUSEDXML:
        raise _refuse("XLSX files can't be read safely here: install defusedxml.")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise _refuse(
            f"The file could not be read as an XLSX workbook ({type(exc).__name__}: {exc}). "
            "Open it in a spreadsheet program and save it again as .xlsx."
        ) from exc
    try:
        sheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
        if not sheets:
            raise _refuse("The workbook has no visible worksheet.")
        rows: list[list[str]] = []
        for values in sheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS):
            if len(rows) >= MAX_ROWS:
                raise _refuse(f"The worksheet has more than {MAX_ROWS} rows.")
            row = [_xlsx_text(value) for value in values]
            while row and row[-1] == "":
                row.pop()
            rows.append(row)
    finally:
        workbook.close()
    return rows


def _check_zip(data: bytes) -> None:
    """Refuses zip bombs, path tricks, XML entity declarations and zips that aren't workbooks,
    before any XML is parsed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _refuse(f"The file looks like a zip (XLSX) file but is damaged: {exc}.") from exc
    with archive:
        if len(entries) > MAX_ZIP_ENTRIES:
            raise _refuse(
                f"The XLSX file holds {len(entries)} parts; a workbook has far fewer "
                f"(at most {MAX_ZIP_ENTRIES} accepted)."
            )
        names = {entry.filename for entry in entries}
        if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
            kind = "a Word document" if "word/document.xml" in names else "a zip archive"
            raise _refuse(
                f"This is not a spreadsheet: the file is {kind}, not an XLSX workbook. Import "
                "the matrix as a TSV, CSV or XLSX file."
            )
        total = 0
        for entry in entries:
            name = entry.filename
            if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name) or ":" in name:
                raise _refuse(f"The XLSX file holds a part with an unsafe name ({name!r}).")
            total += entry.file_size
            ratio = entry.file_size / max(entry.compress_size, 1)
            if total > MAX_ZIP_UNCOMPRESSED or (
                entry.file_size > 1_000_000 and ratio > MAX_ZIP_RATIO
            ):
                raise _refuse(
                    "The XLSX file expands to far more than a spreadsheet of its size should "
                    "(a compression bomb?); it was not opened."
                )
        for entry in entries:
            if entry.filename.endswith((".xml", ".rels", ".vml")):
                with archive.open(entry) as part:
                    head = part.read(entry.file_size)
                if re.search(rb"<!\s*(?:DOCTYPE|ENTITY)", head, re.I):
                    raise _refuse(
                        f"The XLSX file declares XML entities or a DTD in {entry.filename}; "
                        "workbooks saved by spreadsheet programs never do, so it was not opened."
                    )


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text.removesuffix("T00:00:00")
    return str(value)


# --- From rows to a framework -------------------------------------------------------------


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _is_blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def _only_first_cell(row: list[str]) -> bool:
    return bool(row) and bool(row[0].strip()) and not any(cell.strip() for cell in row[1:])


def _single_cell(row: list[str]) -> str | None:
    """The text of a row with exactly one filled cell (a title may sit in any column)."""
    filled = [cell for cell in row if cell.strip()]
    return filled[0] if len(filled) == 1 else None


class _Problems(list):
    def add(self, message: str, **where) -> None:
        self.append(Problem(message, **where))
        if len(self) >= MAX_PROBLEMS:
            raise FrameworkImportError(
                [*self, Problem("More problems may follow; fix these first.")]
            )


@dataclass
class _Header:
    row: int  # index into rows
    width: int
    columns: list[Column]
    texts: list[str]
    levels: list[LevelSpec]
    level_columns: dict[int, int]  # column index → rank

    def index_of(self, role: str) -> int | None:
        for i, column in enumerate(self.columns):
            if column.role == role:
                return i
        return None


def parse_rows(rows: list[list[str]], *, padded: bool = False) -> FrameworkSpec:
    """Reads the matrix from the rows of one sheet; raises `FrameworkImportError`."""
    problems = _Problems()
    header_at = _find_header_row(rows)
    header = _read_header(rows, header_at, problems)
    if problems:
        raise FrameworkImportError(problems)

    notes_from = _notes_start(rows, header_at + 1)
    title, preamble = _read_preamble(rows[:header_at], problems)
    focus_areas, categories, blocks = _read_table(
        rows, header, range(header_at + 1, notes_from), padded, problems
    )
    notes_heading, notes = _read_notes(rows[notes_from:])
    if problems:
        raise FrameworkImportError(problems)
    return FrameworkSpec(
        title=title,
        preamble=preamble,
        notes=notes,
        levels=tuple(header.levels),
        categories=tuple(categories),
        focus_areas=tuple(focus_areas),
        layout=Layout(
            columns=tuple(header.columns), blocks=tuple(blocks), notes_heading=notes_heading
        ),
    )


def _find_header_row(rows: list[list[str]]) -> int:
    for index, row in enumerate(rows):
        if _is_blank(row) or _single_cell(row) is not None:
            continue
        if _looks_like_header(row):
            return index
        shown = " | ".join(cells.clean(cell)[:30] for cell in row[:5] if cell.strip())
        raise _refuse(
            "The header row is missing: the first row of the table must name its columns – a "
            "'Focus' column (or a blank first cell), one column per level (e.g. 'Level 0' … "
            "'Level 5', '5' … '1', or 'Early', 'Developing', …) and optionally 'Category' and "
            f"'Evidence base'. This row reads: {shown}",
            row=index + 1,
        )
    raise _refuse(
        "No table found: the file has no row with more than one cell. A maturity matrix needs a "
        "header row naming the focus and level columns, then one row per focus area."
    )


def _looks_like_header(row: list[str]) -> bool:
    texts = [cells.clean(cell) for cell in row]
    if any(len(text) > 100 for text in texts):
        return False
    lowered = {text.lower().strip(" :*") for text in texts}
    return bool(lowered & FOCUS_HEADERS) or texts[0] == ""


def _read_header(rows: list[list[str]], at: int, problems: _Problems) -> _Header:
    raw = list(rows[at])
    while raw and not raw[-1].strip():
        raw.pop()
    texts = [cells.clean(cell) for cell in raw]
    columns: list[Column | None] = []
    numbered: dict[int, tuple[int, str]] = {}  # column → (rank, label)
    named: dict[int, str] = {}
    seen_roles: dict[str, int] = {}
    for index, text in enumerate(texts):
        lowered = text.lower().strip(" :*")
        role = None
        if index == 0 and text == "":
            role = FOCUS
        elif lowered in CATEGORY_HEADERS:
            role = CATEGORY
        elif lowered in FOCUS_HEADERS:
            role = FOCUS
        elif lowered in EVIDENCE_HEADERS:
            role = EVIDENCE
        if role is not None:
            if role in seen_roles:
                problems.add(
                    f"A second {role} column; the first is column "
                    f"{column_letter(seen_roles[role])}. Keep one.",
                    row=at + 1,
                    column=index,
                    header=text,
                )
            seen_roles[role] = index
            columns.append(Column(role, text))
            continue
        columns.append(None)
        if not text:
            problems.add(
                "This column has no heading. Name the level it holds (e.g. 'Level 2') or "
                "delete the column.",
                row=at + 1,
                column=index,
            )
            continue
        match = _NUMBERED_LEVEL.match(text)
        if match:
            numbered[index] = (int(match.group(1)), text)
        else:
            named[index] = text

    if FOCUS not in seen_roles:
        problems.add(
            "The header has no focus column: name it 'Focus' (or leave the first cell blank).",
            row=at + 1,
        )
    levels: list[LevelSpec] = []
    level_columns: dict[int, int] = {}
    if numbered and named:
        for index, text in named.items():
            hint = (
                "give it a number, e.g. 'Level 2'"
                if _LOOKS_NUMBERED.match(text)
                else "the other level columns are numbered, so name it like them or delete it"
            )
            problems.add(
                f"Unknown level column '{text}': {hint}.", row=at + 1, column=index, header=text
            )
    elif numbered:
        by_rank: dict[int, int] = {}
        for index, (rank, label) in numbered.items():
            if rank in by_rank:
                problems.add(
                    f"Level {rank} appears twice (also column {column_letter(by_rank[rank])}).",
                    row=at + 1,
                    column=index,
                    header=label,
                )
                continue
            by_rank[rank] = index
            level_columns[index] = rank
            levels.append(LevelSpec(rank=rank, code=str(rank), label=label))
    else:
        # Named stages (Early, Developing, Maturing, Mature) rise from left to right.
        seen_names: dict[str, int] = {}
        for position, (index, label) in enumerate(named.items(), start=1):
            if label.lower() in seen_names:
                problems.add(
                    f"The level '{label}' appears twice (also column "
                    f"{column_letter(seen_names[label.lower()])}).",
                    row=at + 1,
                    column=index,
                    header=label,
                )
                continue
            seen_names[label.lower()] = index
            level_columns[index] = position
            levels.append(LevelSpec(rank=position, code=label, label=label))
    for level, index in zip(levels, level_columns, strict=True):
        if len(level.code) > MAX_LEVEL_CODE or len(level.label) > MAX_LEVEL_LABEL:
            problems.add(
                f"The level heading is longer than {MAX_LEVEL_LABEL} characters.",
                row=at + 1,
                column=index,
            )
    if len(levels) < 2 and not problems:
        problems.add(
            "The header names fewer than two level columns; a maturity scale needs at least two "
            "(e.g. 'Level 0' … 'Level 5').",
            row=at + 1,
        )
    for index, rank in level_columns.items():
        columns[index] = Column(LEVEL, "", rank)
    levels.sort(key=lambda level: level.rank)
    return _Header(
        row=at,
        width=len(texts),
        columns=[c for c in columns if c is not None] if not problems else [],
        texts=texts,
        levels=levels,
        level_columns=level_columns,
    )


def _notes_start(rows: list[list[str]], start: int) -> int:
    """Index of the first row after which only single-cell text (the notes) follows."""
    index = len(rows)
    while index > start and (_is_blank(rows[index - 1]) or _only_first_cell(rows[index - 1])):
        index -= 1
    return index


def _read_preamble(rows: list[list[str]], problems: _Problems) -> tuple[str, str]:
    lines = [(i, cells.clean(_single_cell(row) or "")) for i, row in enumerate(rows)]
    lines = [(i, line) for i, line in lines if line]
    if not lines:
        return "", ""
    row, title = lines[0]
    if len(title) > MAX_TITLE:
        problems.add(f"The title is longer than {MAX_TITLE} characters.", row=row + 1)
    return title, "\n\n".join(line for _, line in lines[1:])


def _read_notes(rows: list[list[str]]) -> tuple[str, str]:
    paragraphs = [cells.clean(row[0]) for row in rows if not _is_blank(row)]
    paragraphs = [p for p in paragraphs if p]
    heading = ""
    if paragraphs and _NOTES_HEADING.match(paragraphs[0]):
        heading = paragraphs.pop(0)
    return heading, "\n\n".join(paragraphs)


def _read_table(
    rows: list[list[str]],
    header: _Header,
    indexes: range,
    padded: bool,
    problems: _Problems,
) -> tuple[list[FocusAreaSpec], list[str], list[int]]:
    category_at = header.index_of(CATEGORY)
    focus_at = header.index_of(FOCUS)
    evidence_at = header.index_of(EVIDENCE)
    level_at = sorted(header.level_columns.items(), key=lambda item: item[1])  # by rank
    focus_areas: list[FocusAreaSpec] = []
    categories: list[str] = []
    blocks: list[int] = [0]
    seen_focus: dict[str, int] = {}
    category: str | None = None if category_at is not None else ""
    last = column_letter(header.width - 1)

    for index in indexes:
        row = rows[index]
        number = index + 1
        if _is_blank(row):
            continue  # stray blank lines inside the table
        texts = [cells.clean(cell) for cell in row]
        if texts[: header.width] == header.texts and not any(texts[header.width :]):
            if blocks[-1]:
                blocks.append(0)  # the header repeated before another block of rows
            continue
        if len(row) < header.width and not padded:
            problems.add(
                f"This row has {len(row)} cells but the header (row {header.row + 1}) has "
                f"{header.width} (columns A–{last}): a cell is missing or merged – check the "
                "tabs/commas in this row.",
                row=number,
            )
            continue
        extra = [i for i in range(header.width, len(row)) if row[i].strip()]
        if extra:
            problems.add(
                f"A value outside the table: the header (row {header.row + 1}) ends at column "
                f"{last}. Delete it or give the column a heading.",
                row=number,
                column=extra[0],
            )
            continue
        if category_at is not None:
            text = texts[category_at]
            if text:
                if len(text) > MAX_CATEGORY:
                    problems.add(
                        f"The category name is longer than {MAX_CATEGORY} characters.",
                        row=number,
                        column=category_at,
                        header=header.texts[category_at],
                    )
                category = text
            elif category is None:
                problems.add(
                    "The first row of the table has no category. A blank category means "
                    "'same as the row above', so the first row needs one.",
                    row=number,
                    column=category_at,
                    header=header.texts[category_at],
                )
                category = ""
        name = texts[focus_at]
        focus_header = header.texts[focus_at] or "focus"
        if not name:
            problems.add(
                "The focus area has no name. Every row of the table needs one.",
                row=number,
                column=focus_at,
                header=focus_header,
            )
            continue
        if len(name) > MAX_FOCUS:
            problems.add(
                f"The focus area name is longer than {MAX_FOCUS} characters.",
                row=number,
                column=focus_at,
                header=focus_header,
            )
        if name.lower() in seen_focus:
            problems.add(
                f"The focus area '{name}' appears twice (also row {seen_focus[name.lower()]}).",
                row=number,
                column=focus_at,
                header=focus_header,
            )
            continue
        seen_focus[name.lower()] = number
        descriptors = []
        for column, _rank in level_at:
            text, criteria = cells.read_descriptor(_cell(row, column))
            descriptors.append(DescriptorSpec(text=text, criteria=tuple(criteria)))
        evidence = []
        if evidence_at is not None:
            for item in cells.read_evidence(_cell(row, evidence_at)):
                if len(item) > MAX_EVIDENCE:
                    problems.add(
                        f"An evidence type is longer than {MAX_EVIDENCE} characters: "
                        f"'{item[:40]}…'. Separate evidence types with commas.",
                        row=number,
                        column=evidence_at,
                        header=header.texts[evidence_at],
                    )
                evidence.append(EvidenceSpec(name=item))
        if category not in categories:
            categories.append(category)
        focus_areas.append(
            FocusAreaSpec(
                name=name,
                category=category or "",
                descriptors=tuple(descriptors),
                evidence=tuple(evidence),
            )
        )
        blocks[-1] += 1

    if not focus_areas and not problems:
        problems.add("The table has a header but no focus areas below it.", row=header.row + 1)
    return focus_areas, categories, [b for b in blocks if b]
