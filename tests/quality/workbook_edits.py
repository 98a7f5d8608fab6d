"""Edit a delivered workbook the way a clerk would: find the column by its label, change a
cell, save. Used to plant one mistake per county in otherwise consistent simulated files."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter


def _sheet(book: openpyxl.Workbook, prefix: str):
    return next(sheet for sheet in book.worksheets if sheet.title.startswith(prefix))


def _column(sheet, label: str) -> int:
    for row in sheet.iter_rows(min_row=1, max_row=6):
        for cell in row:
            if cell.value == label:
                return cell.column
    raise KeyError(f"no column labelled {label!r} in {sheet.title}")


def _first_data_row(sheet) -> int:
    """The first row whose first cell holds a number or a code: rows above are headings."""
    for row in range(3, sheet.max_row + 1):
        value = sheet.cell(row=row, column=1).value
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            return row
    raise KeyError(f"no data row in {sheet.title}")


def read(path: Path, sheet_prefix: str, label: str, row: int | None = None) -> object:
    book = openpyxl.load_workbook(path)
    sheet = _sheet(book, sheet_prefix)
    return sheet.cell(row=row or _first_data_row(sheet), column=_column(sheet, label)).value


def edit(path: Path, sheet_prefix: str, label: str, value: object, row: int | None = None) -> str:
    """Set the cell under `label` (on the first data row unless `row`); returns its ref.

    The file keeps its modification time: that is when it was delivered.
    """
    times = path.stat()
    book = openpyxl.load_workbook(path)
    sheet = _sheet(book, sheet_prefix)
    row = row or _first_data_row(sheet)
    column = _column(sheet, label)
    sheet.cell(row=row, column=column).value = value
    book.save(path)
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))
    return f"{get_column_letter(column)}{row}"


def row_of(path: Path, sheet_prefix: str, first_cell: str) -> int:
    """The row whose first cell is `first_cell` (a village code, a county name)."""
    sheet = _sheet(openpyxl.load_workbook(path), sheet_prefix)
    for row in range(1, sheet.max_row + 1):
        if str(sheet.cell(row=row, column=1).value) == first_cell:
            return row
    raise KeyError(f"no row starting {first_cell!r} in {path.name}")
