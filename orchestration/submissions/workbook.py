"""An .xlsx file opened without trusting it, turned into a grid of cells.

``scan_package`` opens the zip and checks the total unpacked size and every worksheet's
declared and actual extent, streamed, so a sheet that claims a million rows is refused
before anything loads it. The same pass notes which cells hold a formula and whether a
computed value was stored with it: openpyxl's ``data_only`` mode cannot tell "no cached
value" from a blank cell. ``load_grids`` then lets openpyxl load values (cached values for
formulas), number formats and merged ranges.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree.ElementTree import Element

import openpyxl
from defusedxml import ElementTree as SafeET
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.worksheet import Worksheet

from .model import explain_damage
from .values import raw_text

MAX_ROWS = 5_000
MAX_COLUMNS = 200
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


class Refused(Exception):
    """The workbook is not read at all; carries the finding to report."""

    def __init__(self, code: str, zh: str, en: str, sheet: str = "", found: str = "") -> None:
        super().__init__(code)
        self.code, self.zh, self.en, self.sheet, self.found = code, zh, en, sheet, found


@dataclass(frozen=True)
class FormulaCell:
    text: str
    cached: bool


@dataclass(frozen=True)
class CellInfo:
    value: object
    percent_format: bool = False
    formula: FormulaCell | None = None


@dataclass
class Grid:
    """The non-empty cells of one sheet with its merged ranges (1-based rows/columns)."""

    name: str
    cells: dict[tuple[int, int], CellInfo]
    merges: list[tuple[int, int, int, int]]
    max_row: int
    max_col: int

    def value(self, row: int, col: int) -> object:
        info = self.cells.get((row, col))
        return info.value if info else None

    def filled(self, row: int, col: int) -> object:
        """The value shown at a cell, including one merged over it from the top-left."""
        for min_row, min_col, max_row, max_col in self.merges:
            if min_row <= row <= max_row and min_col <= col <= max_col:
                return self.value(min_row, min_col)
        return self.value(row, col)

    def row_cells(self, row: int) -> list[tuple[int, str]]:
        """(column, display text) of the non-empty cells of a row, left to right."""
        texts = ((c, display(self.value(row, c))) for c in range(1, self.max_col + 1))
        return [(c, t) for c, t in texts if t.strip()]


def cell_ref(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def display(value: object) -> str:
    """Text of a cell as a clerk would read it; dates in the form's Chinese style."""
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"

    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"

    return raw_text(value)


def scan_package(path: Path) -> dict[str, dict[tuple[int, int], FormulaCell]]:
    """Check the zip and every worksheet's extent; return formula cells per sheet name."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused(
            "corrupt_file",
            "文件已损坏或不是有效的Excel工作簿（.xlsx），请重新保存后再报送",
            "the file is damaged or not a valid Excel workbook (.xlsx); save it again and resend",
            found=explain_damage(exc),
        ) from exc

    with archive:
        _check_unpacked_size(archive)
        return {name: _scan_sheet(archive, name, part) for name, part in _sheet_parts(archive)}


def _check_unpacked_size(archive: zipfile.ZipFile) -> None:
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNPACKED_BYTES:
        raise Refused(
            "file_too_large",
            f"工作簿解压后超过{MAX_UNPACKED_BYTES // 1024 // 1024}MB，远大于月报所需",
            f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // 1024 // 1024} MB, "
            "far more than a monthly report needs",
            found=f"{total} bytes",
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) of every worksheet, via the package's relationships."""
    workbook_member = _workbook_member(archive)
    workbook = SafeET.fromstring(archive.read(workbook_member))
    base = PurePosixPath(workbook_member).parent
    rels_member = str(base / "_rels" / (PurePosixPath(workbook_member).name + ".rels"))
    targets = _relationship_targets(archive, rels_member, base)

    parts = []
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        parts.append((element.get("name", ""), targets.get(rel_id, "")))
    return parts


def _workbook_member(archive: zipfile.ZipFile) -> str:
    """The workbook part named by the package root; xl/workbook.xml is the usual place."""
    if "_rels/.rels" in archive.namelist():
        for target in _relationship_targets(archive, "_rels/.rels", PurePosixPath("")).values():
            if target.endswith("workbook.xml"):
                return target
    return "xl/workbook.xml"


def _relationship_targets(
    archive: zipfile.ZipFile, member: str, base: PurePosixPath
) -> dict[str, str]:
    """Relationship id → zip member, targets resolved against the part's folder."""
    targets = {}
    for rel in SafeET.fromstring(archive.read(member)):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else str(base / target)
        targets[rel.get("Id", "")] = path
    return targets


def _scan_sheet(
    archive: zipfile.ZipFile, name: str, member: str
) -> dict[tuple[int, int], FormulaCell]:
    if member not in archive.namelist():
        return {}  # a chart sheet or a dangling relationship: nothing to read there

    with archive.open(member) as stream:
        return _scan_stream(stream, name)


def _scan_stream(stream: IO[bytes], name: str) -> dict[tuple[int, int], FormulaCell]:
    """Stream one worksheet: refuse it when too large, note its formula cells."""
    formulas: dict[tuple[int, int], FormulaCell] = {}
    row = col = 0

    for event, element in SafeET.iterparse(stream, events=("start", "end")):
        tag = _local(element.tag)
        if event == "start" and tag in ("dimension", "mergeCell"):
            # openpyxl materialises every cell of a merged range, so a merge over the whole
            # sheet is as dangerous as a sheet that size.
            _check_extent(name, *_ref_extent(element.get("ref", "A1")), declared=True)
        elif event == "start" and tag == "row":
            row = int(element.get("r") or row + 1)
            col = 0
            _check_extent(name, row, 1, declared=False)
        elif event == "end" and tag == "c":
            col = _cell_column(element.get("r"), col)
            _check_extent(name, row, col, declared=False)
            _note_formula(element, (row, col), formulas)
        elif event == "end" and tag == "row":
            element.clear()  # keeps memory flat whatever the sheet holds
    return formulas


def _ref_extent(ref: str) -> tuple[int, int]:
    last = ref.split(":")[-1]
    try:
        letters, number = coordinate_from_string(last)
        return number, column_index_from_string(letters)
    except ValueError:
        return 1, 1


def _cell_column(ref: str | None, previous: int) -> int:
    if not ref:
        return previous + 1
    return column_index_from_string(coordinate_from_string(ref)[0])


def _check_extent(name: str, rows: int, cols: int, *, declared: bool) -> None:
    if rows <= MAX_ROWS and cols <= MAX_COLUMNS:
        return

    how_zh, how_en = ("声明", "declares") if declared else ("含有", "holds")
    raise Refused(
        "sheet_too_large",
        f"工作表{how_zh}{rows}行、{cols}列，超过上限（{MAX_ROWS}行、{MAX_COLUMNS}列），"
        "请删除多余的行列后重新报送",
        f"the sheet {how_en} {rows} rows and {cols} columns, more than the limit "
        f"({MAX_ROWS} rows, {MAX_COLUMNS} columns); delete the unused rows and columns",
        sheet=name,
        found=f"{rows}x{cols}",
    )


def _note_formula(
    element: Element, at: tuple[int, int], out: dict[tuple[int, int], FormulaCell]
) -> None:
    children = {_local(child.tag): child for child in element}
    if "f" not in children:
        return

    # Writers that do not calculate (openpyxl among them) leave an empty <v/>; only a
    # formula of string type can really have computed an empty text.
    cached = children.get("v")
    has_value = cached is not None and (bool(cached.text) or element.get("t") == "str")
    out[at] = FormulaCell(text=children["f"].text or "", cached=has_value)


def load_grids(
    path: Path, formulas: dict[str, dict[tuple[int, int], FormulaCell]]
) -> list[Grid]:
    """Every worksheet as a grid; call only after ``scan_package`` accepted the file."""
    workbook = openpyxl.load_workbook(path, data_only=True, keep_links=False, rich_text=False)
    try:
        return [_grid(ws, formulas.get(ws.title, {})) for ws in workbook.worksheets]
    finally:
        workbook.close()


def _grid(ws: Worksheet, formulas: dict[tuple[int, int], FormulaCell]) -> Grid:
    cells: dict[tuple[int, int], CellInfo] = {}
    # The cells openpyxl loaded; iter_rows would create a Cell for every empty position.
    for (row, col), cell in ws._cells.items():
        if cell.value is None and (row, col) not in formulas:
            continue
        percent = "%" in (cell.number_format or "")
        cells[(row, col)] = CellInfo(cell.value, percent, formulas.get((row, col)))

    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    max_row = max((r for r, _ in cells), default=0)
    max_col = max((c for _, c in cells), default=0)
    return Grid(ws.title, cells, merges, max_row, max_col)
