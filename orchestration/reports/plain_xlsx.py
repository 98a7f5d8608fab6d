"""A one-sheet workbook of text and numbers, written straight as Office Open XML.

The county feedback is some 75 workbooks a month, each a title, a few lines and a table,
re-written for every month a full load rebuilds. openpyxl takes about 4.4 ms for one (an
object per cell and style, a stylesheet built per workbook); this writer about 0.4 ms, so a
year's 825 workbooks no longer need a worker per core. It writes only what the feedback
uses: inline strings and numbers, a few fonts and fills, wrapped text, column widths and a
frozen header. The bytes depend only on the content (fixed zip times, no save date).

Every text is data, never a formula: cells are inline strings, which Excel does not
evaluate, and text that Excel would take for a formula when edited (=, +, -, @, and a
leading tab or carriage return) also gets Excel's quote prefix. Characters a worksheet
cannot hold (controls such as NUL, quoted from a broken file) are shown as U+FFFD.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from orchestration.lib.spreadsheet import FORMULA_PREFIXES

ZIP_TIME = (2020, 1, 1, 0, 0, 0)
# What XML 1.0 cannot carry (the same set openpyxl refuses); \t, \n and \r are kept.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

FONTS = {  # name -> <font> contents
    "normal": '<sz val="11"/><name val="Calibri"/>',
    "bold": '<b/><sz val="11"/><name val="Calibri"/>',
    "title": '<b/><sz val="14"/><color rgb="FF8B1A1A"/><name val="Calibri"/>',
}
_FONT_IDS = {name: number for number, name in enumerate(FONTS)}


@dataclass(frozen=True)
class Style:
    """A cell's look: a font of FONTS, a solid fill colour (RRGGBB) or none, wrapped text."""

    font: str = "normal"
    fill: str | None = None
    wrap: bool = False


@dataclass
class Sheet:
    """Cells by (row, column), 1-based; column widths; rows above `frozen_rows` stay put."""

    title: str
    cells: dict[tuple[int, int], tuple[object, Style]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    frozen_rows: int = 0

    def put(self, row: int, column: int, value: object, style: Style = Style()) -> None:
        self.cells[(row, column)] = (value, style)


def save(sheet: Sheet, path: Path) -> Path:
    """Write the workbook atomically: a reader never sees half a file."""
    fills = sorted({style.fill for _, style in sheet.cells.values() if style.fill})
    styles = _StyleTable(fills)
    sheet_xml = _sheet_xml(sheet, styles)
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK.format(title=escape(sheet.title, {'"': "&quot;"})),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/styles.xml": styles.xml(),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), text.encode("utf-8"),
                             compress_type=zipfile.ZIP_DEFLATED)
    os.replace(partial, path)
    return path


class _StyleTable:
    """The stylesheet: one cell format per (font, fill, wrap, quote prefix) in use."""

    def __init__(self, fills: Sequence[str]) -> None:
        # Fills 0 and 1 are the two Excel reserves (none, gray125).
        self._fill_ids = {colour: number for number, colour in enumerate(fills, start=2)}
        self._formats: dict[tuple[int, int, bool, bool], int] = {(0, 0, False, False): 0}

    def index(self, style: Style, quoted: bool) -> int:
        key = (_FONT_IDS[style.font], self._fill_ids.get(style.fill, 0), style.wrap, quoted)
        return self._formats.setdefault(key, len(self._formats))

    def xml(self) -> str:
        fonts = "".join(f"<font>{font}</font>" for font in FONTS.values())
        fills = '<fill><patternFill patternType="none"/></fill>' \
                '<fill><patternFill patternType="gray125"/></fill>' + "".join(
                    f'<fill><patternFill patternType="solid"><fgColor rgb="FF{colour}"/>'
                    "</patternFill></fill>" for colour in self._fill_ids)
        formats = "".join(self._format(*key) for key in self._formats)
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet xmlns="{_MAIN}">'
            f'<fonts count="{len(FONTS)}">{fonts}</fonts>'
            f'<fills count="{len(self._fill_ids) + 2}">{fills}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{len(self._formats)}">{formats}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        )

    @staticmethod
    def _format(font: int, fill: int, wrap: bool, quoted: bool) -> str:
        applied = (' applyFont="1"' if font else "") + (' applyFill="1"' if fill else "")
        if wrap:
            applied += ' applyAlignment="1"'
        quote = ' quotePrefix="1"' if quoted else ""
        alignment = '<alignment vertical="top" wrapText="1"/>' if wrap else ""
        return (f'<xf numFmtId="0" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
                f"{applied}{quote}>{alignment}</xf>")


def _sheet_xml(sheet: Sheet, styles: _StyleTable) -> str:
    rows: dict[int, list[str]] = {}
    for (row, column), (value, style) in sorted(sheet.cells.items()):
        if value is None:
            continue
        rows.setdefault(row, []).append(_cell(row, column, value, style, styles))
    data = "".join(f'<row r="{row}">{"".join(cells)}</row>' for row, cells in rows.items())
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_MAIN}" xmlns:r="{_RELS}">'
        f"{_views(sheet.frozen_rows)}{_columns(sheet.widths)}"
        f"<sheetData>{data}</sheetData></worksheet>"
    )


def _cell(row: int, column: int, value: object, style: Style, styles: _StyleTable) -> str:
    ref = f"{column_letter(column)}{row}"
    if isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        value = str(value)
    if isinstance(value, (int, float)):
        number = styles.index(style, quoted=False)
        return f'<c r="{ref}"{_s(number)}><v>{value!r}</v></c>'
    text = _ILLEGAL.sub("\ufffd", str(value))
    number = styles.index(style, quoted=text.startswith(FORMULA_PREFIXES))
    body = escape(text).replace("\r", "&#13;")
    return f'<c r="{ref}" t="inlineStr"{_s(number)}><is><t xml:space="preserve">{body}</t></is></c>'


def _s(number: int) -> str:
    return f' s="{number}"' if number else ""


def _views(frozen_rows: int) -> str:
    if not frozen_rows:
        return '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    top = f"A{frozen_rows + 1}"
    return (
        '<sheetViews><sheetView workbookViewId="0">'
        f'<pane ySplit="{frozen_rows}" topLeftCell="{top}" activePane="bottomLeft" '
        'state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
        "</sheetView></sheetViews>"
    )


def _columns(widths: dict[int, float]) -> str:
    if not widths:
        return ""
    columns = "".join(f'<col min="{number}" max="{number}" width="{width}" customWidth="1"/>'
                      for number, width in sorted(widths.items()))
    return f"<cols>{columns}</cols>"


def column_letter(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}">'
    '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
