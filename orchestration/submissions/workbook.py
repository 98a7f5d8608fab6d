"""An .xlsx file opened without trusting it, turned into a grid of cells.

``scan_package`` opens the zip and checks the total unpacked size, then streams every
worksheet once with expat (entities and external references refused), so a sheet that
claims or holds a million rows is refused before anything loads it. The same pass
collects what the value reader cannot give: merged ranges, which cells are formatted as a
percentage, which cells hold a formula (and whether a computed value was stored with it)
and the text of error cells. It also refuses a shared-string table that declares more
strings than a workbook of this size can hold, because the value reader reserves memory
for the declared count up front and a process that cannot get it is aborted, not raised.

``load_grids`` then takes the values from python-calamine (cached values for formulas,
dates as dates), some forty times faster than openpyxl, and puts both together.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml import ElementTree as SafeET
from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden
from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from .model import explain_damage
from .values import raw_text

MAX_ROWS = 5_000
MAX_COLUMNS = 200
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# Far more distinct texts than any form holds, far less memory than would hurt.
MAX_SHARED_STRINGS = 1_000_000
# Excel's built-in number formats that show a percentage (0% and 0.00%).
_PERCENT_BUILTINS = frozenset({9, 10})
_SHEET_ROOTS = frozenset({"worksheet", "dialogsheet", "macrosheet"})
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


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
class SheetScan:
    """What the streaming pass learnt about one worksheet besides its values."""

    formulas: dict[tuple[int, int], FormulaCell] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    percent: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


PackageScan = dict[str, SheetScan]


@dataclass
class Grid:
    """The non-empty cells of one sheet with its merged ranges (1-based rows/columns)."""

    name: str
    cells: dict[tuple[int, int], CellInfo]
    merges: list[tuple[int, int, int, int]]
    max_row: int
    max_col: int
    # Built on first use: the reader asks for whole rows and merged cells many times over.
    _columns_by_row: dict[int, list[int]] | None = field(default=None, repr=False)
    _merges_by_row: dict[int, list[tuple[int, int, int, int]]] = field(
        default_factory=dict, repr=False
    )
    _row_texts: dict[int, list[tuple[int, str]]] = field(default_factory=dict, repr=False)

    def value(self, row: int, col: int) -> object:
        info = self.cells.get((row, col))
        return info.value if info else None

    def filled(self, row: int, col: int) -> object:
        """The value shown at a cell, including one merged over it from the top-left."""
        merges = self._merges_by_row.get(row)
        if merges is None:
            merges = [m for m in self.merges if m[0] <= row <= m[2]]
            self._merges_by_row[row] = merges
        for min_row, min_col, _, max_col in merges:
            if min_col <= col <= max_col:
                return self.value(min_row, min_col)
        return self.value(row, col)

    def row_cells(self, row: int) -> list[tuple[int, str]]:
        """(column, display text) of the non-empty cells of a row, left to right."""
        if self._columns_by_row is None:
            by_row: dict[int, list[int]] = {}
            for r, c in sorted(self.cells):
                by_row.setdefault(r, []).append(c)
            self._columns_by_row = by_row
        found = self._row_texts.get(row)
        if found is None:
            texts = ((c, display(self.cells[(row, c)].value))
                     for c in self._columns_by_row.get(row, ()))
            found = self._row_texts[row] = [(c, t) for c, t in texts if t.strip()]
        return list(found)


def cell_ref(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def display(value: object) -> str:
    """Text of a cell as a clerk would read it; dates in the form's Chinese style."""
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"

    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"

    return raw_text(value)


# --- the scan ----------------------------------------------------------------------------


def scan_package(path: Path) -> PackageScan:
    """Check the zip and every worksheet's extent; return what each sheet holds besides
    values, by sheet name."""
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
        members = set(archive.namelist())
        workbook_member = _workbook_member(archive)
        relationships = _relationship_targets(archive, workbook_member)
        percent_styles = _percent_styles(archive, relationships, members)
        sheets = _sheet_parts(archive, workbook_member, relationships)
        scans = {}
        for name, part in sheets:
            if part in members:  # else a chart sheet or a dangling relationship
                scans[name] = _scan_sheet(archive, name, part, percent_styles)
        # The parts read above are known for what they are; every other is sniffed.
        read = {part for _, part in sheets} | {workbook_member, "_rels/.rels"}
        read |= {path for path, _ in relationships.values() if path.endswith(".rels")}
        _check_other_parts(archive, members - read, percent_styles)
        return scans


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
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _sheet_parts(
    archive: zipfile.ZipFile, workbook_member: str, targets: dict[str, tuple[str, str]]
) -> list[tuple[str, str]]:
    """(sheet name, zip member) of every worksheet, via the package's relationships."""
    workbook = SafeET.fromstring(archive.read(workbook_member))

    parts = []
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        parts.append((element.get("name", ""), targets.get(rel_id, ("", ""))[0]))
    return parts


def _workbook_member(archive: zipfile.ZipFile) -> str:
    """The workbook part named by the package root; xl/workbook.xml is the usual place."""
    if "_rels/.rels" in archive.namelist():
        for target, _ in _read_relationships(archive, "_rels/.rels", PurePosixPath("")).values():
            if target.endswith("workbook.xml"):
                return target
    return "xl/workbook.xml"


def _relationship_targets(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (zip member, type) of one part's relationships."""
    base = PurePosixPath(part).parent
    member = str(base / "_rels" / (PurePosixPath(part).name + ".rels"))
    if member not in archive.namelist():
        return {}
    return _read_relationships(archive, member, base)


def _read_relationships(
    archive: zipfile.ZipFile, member: str, base: PurePosixPath
) -> dict[str, tuple[str, str]]:
    targets = {}
    for rel in SafeET.fromstring(archive.read(member)):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else str(base / target)
        targets[rel.get("Id", "")] = (path, rel.get("Type", ""))
    return targets


def _percent_styles(
    archive: zipfile.ZipFile, relationships: dict[str, tuple[str, str]], members: set[str]
) -> frozenset[str]:
    """Style indexes (the ``s`` of a cell, as text) whose number format shows a percentage."""
    styles = next(
        (path for path, kind in relationships.values() if kind.endswith("/styles")),
        "xl/styles.xml",
    )
    if styles not in members:
        return frozenset()

    formats: dict[str, str] = {}
    cell_formats: list[str] = []  # numFmtId of each cellXfs entry, in order
    within: list[str] = []  # the open cellXfs element, if any

    def start(tag: str, attributes: dict[str, str]) -> None:
        local = _local(tag)
        if local == "numFmt":
            formats[attributes.get("numFmtId", "0")] = attributes.get("formatCode", "")
        elif local == "cellXfs":
            within.append(local)
        elif local == "xf" and within:
            cell_formats.append(attributes.get("numFmtId", "0"))

    def end(tag: str) -> None:
        if within and _local(tag) == "cellXfs":
            within.clear()

    parser = _safe_parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    with archive.open(styles) as stream:
        parser.ParseFile(stream)
    return frozenset(
        str(index) for index, number in enumerate(cell_formats)
        if "%" in formats.get(number, "")
        or (number not in formats and number.isdigit() and int(number) in _PERCENT_BUILTINS)
    )


def _scan_sheet(
    archive: zipfile.ZipFile, name: str, member: str, percent_styles: frozenset[str]
) -> SheetScan:
    with archive.open(member) as stream:
        return _scan_stream(stream, name, percent_styles)


def _check_other_parts(
    archive: zipfile.ZipFile, members: set[str], percent_styles: frozenset[str]
) -> None:
    """Check every part the workbook does not name as a sheet by what it really is.

    The value reader finds sheets and the shared strings by its own reading of the
    relationships; whatever it finds, a part that is a worksheet has had its extent
    checked and a shared-string table its declared size.
    """
    for member in sorted(members):
        root, attributes = _root_element(archive, member)
        if root in _SHEET_ROOTS:
            _scan_sheet(archive, member, member, percent_styles)
        elif root == "sst":
            _check_shared_strings(attributes)


class _RootFound(Exception):
    pass


def _root_element(archive: zipfile.ZipFile, member: str) -> tuple[str, dict[str, str]]:
    """Local name and attributes of a part's first element; ('', {}) when it is not XML."""
    found: list[tuple[str, dict[str, str]]] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        found.append((_local(tag), attributes))
        raise _RootFound

    parser = _safe_parser()
    parser.StartElementHandler = start
    try:
        with archive.open(member) as stream:
            parser.ParseFile(stream)
    except _RootFound:
        return found[0]
    except (expat.ExpatError, ValueError):
        return "", {}
    return "", {}


def _check_shared_strings(attributes: dict[str, str]) -> None:
    for key in ("count", "uniqueCount"):
        text = attributes.get(key, "0").strip()
        declared = int(text) if text.isdigit() else 0
        if declared > MAX_SHARED_STRINGS:
            raise Refused(
                "file_too_large",
                f"工作簿声明含有{declared}条文字，超过上限（{MAX_SHARED_STRINGS}条），远大于月报所需",
                f"the workbook declares {declared} texts, more than the limit "
                f"({MAX_SHARED_STRINGS}), far more than a monthly report needs",
                found=f"{declared} strings",
            )


def _safe_parser() -> expat.XMLParserType:
    """An expat parser that refuses entity declarations and external references, as
    defusedxml does: a workbook part has no use for either."""
    parser = expat.ParserCreate()

    def entity(name, is_parameter, value, base, system_id, public_id, notation) -> None:
        raise EntitiesForbidden(name, value, base, system_id, public_id, notation)

    def unparsed(name, base, system_id, public_id, notation) -> None:
        raise EntitiesForbidden(name, None, base, system_id, public_id, notation)

    def external(context, base, system_id, public_id) -> None:
        raise ExternalReferenceForbidden(context, base, system_id, public_id)

    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = unparsed
    parser.ExternalEntityRefHandler = external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _scan_stream(stream: IO[bytes], name: str, percent_styles: frozenset[str]) -> SheetScan:
    """One streaming pass over a worksheet's XML.

    Only start tags call back into Python, through one closure (attribute look-ups cost
    as much as the work here); text is collected only inside a formula or an error cell,
    where the handlers are switched on for the element and off after it.
    """
    scan = SheetScan()
    parser = _safe_parser()
    tags: dict[str, str] = {}
    # row, column, cell type, has <v>, formula text (None: no formula in this cell)
    cell: list = [0, 0, "n", False, None]
    text: list[str] = []

    def end_cell() -> None:
        if cell[4] is not None:
            # Writers that do not calculate (openpyxl among them) leave an empty <v/>, for
            # which the value reader gives nothing; only a formula of string type can
            # really have computed an empty text, so that is all that is decided here.
            scan.formulas[(cell[0], cell[1])] = FormulaCell(cell[4], cell[3] and cell[2] == "str")
            cell[4] = None

    def collect(on_end) -> None:
        text.clear()
        parser.CharacterDataHandler = text.append
        parser.EndElementHandler = on_end

    def collected() -> str:
        parser.CharacterDataHandler = None
        parser.EndElementHandler = None
        return "".join(text)

    def end_formula(_: str) -> None:
        cell[4] = collected()

    def end_error(_: str) -> None:
        scan.errors[(cell[0], cell[1])] = collected()

    def start(tag: str, attributes: dict[str, str]) -> None:
        local = tags.get(tag)
        if local is None:
            local = tags[tag] = _local(tag)
        if local == "v":
            cell[3] = True
            if cell[2] == "e":
                collect(end_error)
        elif local == "c":
            if cell[4] is not None:
                end_cell()
            ref = attributes.get("r")
            if ref:
                match = _REF.fullmatch(ref)
                if match is None:
                    raise ValueError(f"bad cell reference {ref!r} on {name}")
                row, col = int(match.group(2)), _column(match.group(1))
                cell[0] = row
            else:
                row, col = cell[0], cell[1] + 1
            cell[1] = col
            if row > MAX_ROWS or col > MAX_COLUMNS:
                _check_extent(name, row, col, declared=False)
            cell[2] = attributes.get("t", "n")
            cell[3] = False
            if attributes.get("s", "0") in percent_styles:
                scan.percent.add((row, col))
        elif local == "row":
            end_cell()
            cell[0] = int(attributes.get("r") or cell[0] + 1)
            cell[1] = 0
            _check_extent(name, cell[0], 1, declared=False)
        elif local == "f":
            cell[4] = ""
            collect(end_formula)
        elif local in ("dimension", "mergeCell"):
            _declared(name, scan, local, attributes.get("ref", "A1"))

    parser.StartElementHandler = start
    try:
        parser.ParseFile(stream)
    except expat.ExpatError as exc:
        # Reported like any other malformed part (see reader._DAMAGED).
        raise ParseError(str(exc)) from exc
    end_cell()
    return scan


def _declared(name: str, scan: SheetScan, tag: str, ref: str) -> None:
    # calamine allocates a sheet's whole extent, and a merge over the whole sheet would be
    # as dangerous as a sheet that size, so both are checked as declared.
    first, _, last = ref.partition(":")
    top = _ref_position(first)
    bottom = _ref_position(last) if last else top
    _check_extent(name, *bottom, declared=True)
    if tag == "mergeCell":
        scan.merges.append((*top, *bottom))


def _ref_position(ref: str) -> tuple[int, int]:
    match = _REF.fullmatch(ref.strip())
    if match is None:
        return 1, 1
    return int(match.group(2)), _column(match.group(1))


_COLUMNS: dict[str, int] = {}


def _column(letters: str) -> int:
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for letter in letters.upper():
            number = number * 26 + ord(letter) - 64
        _COLUMNS[letters] = number
    return number


def _check_extent(name: str, rows: int, cols: int, *, declared: bool) -> None:
    if rows <= MAX_ROWS and cols <= MAX_COLUMNS:
        return

    how_zh, how_en = ("声明", "declares") if declared else ("含有", "holds")
    raise Refused(
        "sheet_too_large",
        f"工作表{how_zh}{rows}行、{cols}列，超过上限（{MAX_ROWS}行、{MAX_COLUMNS}列），"
        "请删除多余的行列后重新报送",
        f"the sheet {how_en} {_count(rows, 'row')} and {_count(cols, 'column')}, more than "
        "the limit "
        f"({MAX_ROWS} rows, {MAX_COLUMNS} columns); delete the unused rows and columns",
        sheet=name,
        found=f"{rows}x{cols}",
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# --- the values --------------------------------------------------------------------------


def load_grids(path: Path, scans: PackageScan) -> list[Grid]:
    """Every worksheet as a grid; call only after ``scan_package`` accepted the file."""
    try:
        with CalamineWorkbook.from_path(str(path)) as workbook:
            return [
                _grid(meta.name, workbook.get_sheet_by_name(meta.name).to_python(
                    skip_empty_area=False), scans.get(meta.name, SheetScan()))
                for meta in workbook.sheets_metadata
                if meta.typ == SheetTypeEnum.WorkSheet
            ]
    except CalamineError as exc:
        raise Refused(
            "corrupt_file",
            "文件已损坏或不完整，无法读取，请重新保存后再报送",
            "the file is damaged or incomplete and cannot be read; save it again and resend",
            found=explain_damage(exc),
        ) from exc


def _grid(name: str, rows: list[list[object]], scan: SheetScan) -> Grid:
    cells: dict[tuple[int, int], CellInfo] = {}
    for row, values in enumerate(rows, start=1):
        for col, value in enumerate(values, start=1):
            if value != "":
                cells[(row, col)] = CellInfo(_as_openpyxl(value), (row, col) in scan.percent)

    for at, text in scan.errors.items():  # calamine gives an error cell as blank
        cells[at] = CellInfo(text, at in scan.percent)
    for at, formula in scan.formulas.items():
        value = cells[at].value if at in cells else None
        cached = formula.cached or value is not None
        cells[at] = CellInfo(value, at in scan.percent, FormulaCell(formula.text, cached))

    max_row = max((r for r, _ in cells), default=0)
    max_col = max((c for _, c in cells), default=0)
    return Grid(name, cells, scan.merges, max_row, max_col)


def _as_openpyxl(value: object) -> object:
    """A value typed as the rest of the reader expects: whole numbers as int (Excel stores
    12 as "12"), dates as datetime."""
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if type(value) is date:
        return datetime(value.year, value.month, value.day)
    return value
