"""Spreadsheets for the framework tests: the committed seeds, variations of them, and matrices
of any size."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.conf import settings

SEEDS = Path(settings.BASE_DIR) / "matrix" / "seeds"
SPMM = SEEDS / "strategic_performance_maturity_matrix.tsv"
SMM = SEEDS / "system_maturity_model.tsv"
SPMM_NAME = "Strategic Performance Maturity Matrix"
SMM_NAME = "System Maturity Model"


def seed_bytes(path: Path = SPMM) -> bytes:
    return path.read_bytes()


def seed_lines(path: Path = SPMM) -> list[str]:
    """The seed's lines (without line endings); index i is spreadsheet row i + 1."""
    return path.read_text(encoding="utf-8").split("\n")


def join_lines(lines: list[str]) -> bytes:
    return "\n".join(lines).encode("utf-8")


def spmm_with(row: int, change) -> bytes:
    """The SPMM with spreadsheet row `row` (1-based) passed through `change(cells)`."""
    lines = seed_lines()
    cells = lines[row - 1].split("\t")
    lines[row - 1] = "\t".join(change(cells))
    return join_lines(lines)


def as_csv(tsv: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(tsv.decode("utf-8"), newline=""), delimiter="\t"))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def matrix_tsv(
    *,
    focus_areas: int,
    levels: int = 6,
    categories: int = 3,
    evidence_types: int = 3,
    title: str = "Generated matrix",
    notes: str = "Generated for tests.",
) -> bytes:
    """A matrix in the SPMM's layout with as many rows and levels as asked for."""
    header = ["Category", "Focus", *[f"Level {r}" for r in range(levels)], "Evidence base"]
    lines = [title, "", "\t".join(header)]
    for i in range(focus_areas):
        group = i * categories // focus_areas
        first_of_group = i == 0 or (i - 1) * categories // focus_areas != group
        category = f"{group + 1}. Category" if first_of_group else ""
        descriptors = [
            "" if r == 0 else f"Area {i + 1} at level {r}. It is described in prose."
            for r in range(levels)
        ]
        evidence = ", ".join(f"evidence {j + 1} for area {i + 1}" for j in range(evidence_types))
        lines.append("\t".join([category, f"Focus area {i + 1}", *descriptors, evidence]))
    lines += ["", "Notes", "", notes]
    return join_lines(lines)


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
