"""CSV exports for every table: streamed, and safe to open in a spreadsheet.

A cell that starts with =, +, -, @ (or a tab or carriage return) would be run as a formula by
Excel or LibreOffice; it is prefixed with a quote so it opens as text (OWASP CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: Sequence[str], rows: Iterable[Sequence]) -> Iterable[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM so Excel reads UTF-8 names correctly
    yield writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]):
    """A streamed CSV download; `filename` must be server-generated (ASCII, no quotes)."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def wants_csv(request) -> bool:
    """A table page was asked for as CSV (`?format=csv`): the same rows, the same access rule."""
    return request.GET.get("format") == "csv"
