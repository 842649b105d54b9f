"""Spreadsheet exports that open safely and readably: one place for every CSV the site serves.

- Formula injection: a cell that starts with = + - @ (or a tab / carriage return before one) is
  run as a formula by Excel and LibreOffice. Such text cells get a leading apostrophe, which the
  spreadsheet shows as plain text. Numbers are written as numbers (a negative count stays -3).
- Thai: Excel reads a CSV without a byte-order mark as the local code page and shows Thai as
  mojibake; every file starts with the UTF-8 BOM.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> object:
    """A value ready for csv.writer: None → "", numbers unchanged, risky text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_response(rows: Iterable[Iterable], *, filename: str) -> HttpResponse:
    response = HttpResponse(csv_text(rows).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
