"""An .xlsx file opened without trusting it, turned into a grid of cells.

``scan_package`` opens the zip and checks the total unpacked size, then scans every
worksheet once (entities and external references refused, as ``forbidden_xml``), so a
sheet that claims or holds a million rows is refused before anything loads it. The same
scan collects what the value reader cannot give: merged ranges, which cells are
formatted as a percentage, which cells hold a formula (and whether a computed value was
stored with it) and the text of error cells. A sheet of plain cells is scanned by
patterns over its bytes and one callback-free expat pass (``_scan_plain``); any other
goes through expat with a callback per element (``_scan_stream``), which handles every
form. It also refuses a shared-string table that declares more strings than a workbook
of this size can hold, because the value reader reserves memory for the declared count
up front and a process that cannot get it is aborted, not raised.

``load_grids`` then takes the values from python-calamine (cached values for formulas,
dates as dates), some forty times faster than openpyxl, and puts both together.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml import ElementTree as SafeET
from defusedxml.common import (
    DefusedXmlException,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from .model import corrupt_file_message, damage_token
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


def _damaged(exc: BaseException) -> Refused:
    return Refused("corrupt_file", *corrupt_file_message(exc), found=damage_token(exc))


# What each of defusedxml's refusals is, in a clerk's words (see _forbidden_xml).
_FORBIDDEN_KINDS = {
    "EntitiesForbidden": ("XML实体定义", "XML entity definitions"),
    "DTDForbidden": ("DTD（文档类型定义）", "a DTD (document type definition)"),
    "ExternalReferenceForbidden": ("对外部资源的引用", "a reference to an external resource"),
}


def _forbidden_xml(exc: DefusedXmlException, sheet: str) -> Refused:
    """A part declaring entities or a DTD: no spreadsheet program writes one, and the tricks
    they allow (entity expansion, reading local files) are why they are refused, so the
    clerk is told that rather than that the file is damaged."""
    kind_zh, kind_en = _FORBIDDEN_KINDS.get(
        type(exc).__name__, ("DTD或实体定义", "a DTD or entities")
    )
    where_zh, where_en = ("工作表", "the sheet") if sheet else ("工作簿", "the workbook")
    return Refused(
        "forbidden_xml",
        f"{where_zh}中含有出于安全原因不允许的XML声明（{kind_zh}），无法读取，"
        "请在Excel中另存为新的.xlsx文件后再报送",
        f"{where_en} contains XML declarations that are not allowed, for security ({kind_en}), "
        "and cannot be read; save it as a new .xlsx file in Excel and resend",
        sheet=sheet,
    )


class MemberMismatch(zipfile.BadZipFile):
    """A zip member whose content is not what the zip's directory declares: it inflates past
    its declared size (a zip bomb's trick, see ``read_member``) or fails its checksum."""


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
    """One sheet's values by row as the value reader gives them (``None`` for an empty
    cell), with what the scan found besides values; rows and columns are 1-based.

    Kept as rows rather than a cell per object: a national-density sheet holds thousands
    of cells and the reader walks it row by row.
    """

    name: str
    rows: list[list[object]]
    merges: list[tuple[int, int, int, int]]
    max_row: int
    max_col: int
    percent: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset()
    formulas: dict[tuple[int, int], FormulaCell] = field(default_factory=dict)
    # Built on first use: the reader asks for whole rows and merged cells many times over.
    _merges_by_row: dict[int, list[tuple[int, int, int, int]]] = field(
        default_factory=dict, repr=False
    )
    _row_texts: dict[int, list[tuple[int, str]]] = field(default_factory=dict, repr=False)

    def value(self, row: int, col: int) -> object:
        values = self.row_values(row)
        return values[col - 1] if 0 < col <= len(values) else None

    def row_values(self, row: int) -> list[object]:
        """The values of one row from column A (None for empty cells; may be short)."""
        return self.rows[row - 1] if 0 < row <= len(self.rows) else []

    def has(self, row: int, col: int) -> bool:
        """Whether the cell holds a value or a formula."""
        return self.value(row, col) is not None or (row, col) in self.formulas

    def info(self, row: int, col: int) -> CellInfo | None:
        """The cell with its format and formula; None for an empty cell."""
        value = self.value(row, col)
        formula = self.formulas.get((row, col))
        if value is None and formula is None:
            return None
        if formula is not None:
            formula = FormulaCell(formula.text, formula.cached or value is not None)
        return CellInfo(value, (row, col) in self.percent, formula)

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
        found = self._row_texts.get(row)
        if found is None:
            values = self.row_values(row)
            texts = ((c, display(v)) for c, v in enumerate(values, start=1) if v is not None)
            found = self._row_texts[row] = [(c, t) for c, t in texts if t.strip()]
        return list(found)


def cell_ref(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


@functools.lru_cache(maxsize=1024)
def column_letter(col: int) -> str:
    """A 1-based column number as its letters (1 -> A, 27 -> AA), as openpyxl's
    get_column_letter, without importing openpyxl into every process that reads."""
    if not 1 <= col <= 18278:
        raise ValueError(f"no column {col} (columns run from 1 to 18278, A to ZZZ)")
    letters = ""
    while col:
        col, remainder = divmod(col - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@functools.lru_cache(maxsize=1 << 16, typed=True)
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
        raise _damaged(exc) from exc

    with archive:
        try:
            return _scan_archive(archive)
        except DefusedXmlException as exc:  # in a part that is no sheet (a sheet's is named)
            raise _forbidden_xml(exc, "") from exc


def _scan_archive(archive: zipfile.ZipFile) -> PackageScan:
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


def read_member(archive: zipfile.ZipFile, member: str | zipfile.ZipInfo) -> bytes:
    """A member's bytes, inflating no more than the size the zip's directory declares.

    ``ZipFile.read`` inflates as much as one compressed chunk gives before it cuts the
    data to the declared size (and then fails the CRC), so a 1 MB member declaring 5 kB
    took 2 GB and 5 s to refuse. Read a bounded amount at a time, it is refused after the
    declared size: the limits on declared sizes (MAX_UNPACKED_BYTES) are limits on what
    is inflated."""
    info = member if isinstance(member, zipfile.ZipInfo) else archive.getinfo(member)
    with _open_member(archive, info) as stream:
        return stream.read(info.file_size)


@contextlib.contextmanager
def _open_member(
    archive: zipfile.ZipFile, member: str | zipfile.ZipInfo
) -> Iterator[IO[bytes]]:
    """A member opened for reading; a checksum that fails while it is read (after its
    declared size, for one that inflates past it) is a ``MemberMismatch``, so the clerk is
    told the content does not match what the file declares, not that it is no .xlsx."""
    with archive.open(member) as stream:
        try:
            yield stream
        except zipfile.BadZipFile as exc:
            name = member.filename if isinstance(member, zipfile.ZipInfo) else member
            raise MemberMismatch(f"{name}: {exc}") from exc


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
    workbook = SafeET.fromstring(read_member(archive, workbook_member))

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
    for rel in SafeET.fromstring(read_member(archive, member)):
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
    with _open_member(archive, styles) as stream:
        parser.ParseFile(stream)
    return frozenset(
        str(index) for index, number in enumerate(cell_formats)
        if "%" in formats.get(number, "")
        or (number not in formats and number.isdigit() and int(number) in _PERCENT_BUILTINS)
    )


def _scan_sheet(
    archive: zipfile.ZipFile, name: str, member: str, percent_styles: frozenset[str]
) -> SheetScan:
    # The size was checked from the zip's directory, and a member longer than it says
    # fails its read once past that size, so reading it whole is bounded.
    data = read_member(archive, member)
    try:
        scan = _scan_plain(data, name, percent_styles)
        return scan if scan is not None else _scan_stream(io.BytesIO(data), name, percent_styles)
    except DefusedXmlException as exc:
        raise _forbidden_xml(exc, name) from exc


# A plain sheet, for ``_scan_plain``: no markup declarations (DOCTYPE, entities,
# comments, CDATA), processing instructions past the XML declaration, character
# references, NUL bytes (an encoding other than UTF-8) or error cells; no prefixed element
# at all (``xml:`` needs no declaration, and the value reader matches elements by local
# name); every cell, row, dimension and merge with its reference first, in plain form and
# within the limits; every formula in plain form (``_plain_formulas``). Anything else goes
# through the streaming pass. Each pattern starts with a literal, so the search skips
# ahead in C.
_NOT_PLAIN = (
    re.compile(rb'<c(?=[\s/>])(?! r="(?:[A-F]?[A-Z]|G[A-R])(?:[1-9]\d{0,2}|[1-4]\d{3})")'),
    re.compile(
        rb'<(?:row(?=[\s/>])(?! r="(?:[1-9]\d{0,2}|[1-4]\d{3})")'
        rb'|dimension(?=[\s/>])(?! ref=")|mergeCell(?=[\s/>])(?! ref="))'
    ),
)
_PREFIXED = re.compile(rb"<[^\s>:]*:")
_XML_DECLARATION = re.compile(rb"<\?xml\s")
_DIMENSION = re.compile(rb'<dimension ref="([^"]*)"')
_MERGE = re.compile(rb'<mergeCell ref="([^"]*)"')
# Attributes before ``s``, each stepped over whole (a quoted value may hold ">").
_ATTRIBUTES = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*?"""
# Past this many occurrences of a rare byte, the plain search is the quicker one.
_RARE_LIMIT = 64


def _is_plain(data: bytes) -> bool:
    if b"\x00" in data or b'"e"' in data:
        return False
    # Only an XML declaration may open with "<?": a processing instruction first in the
    # sheet would hide whatever it holds from expat, but not from the patterns.
    declared = 6 if _XML_DECLARATION.match(data) else 0
    # (text, index of its rare byte, where to look from)
    for text, rare, start in ((b"<!", 1, 0), (b"<?", 1, declared), (b"&#", 0, 0),
                              (b"'e'", 0, 0)):
        if _holds(data, text, rare, start):
            return False
    if _has_prefixed_element(data):
        return False
    return not any(pattern.search(data) for pattern in _NOT_PLAIN)


def _holds(data: bytes, text: bytes, rare: int, start: int) -> bool:
    """Whether ``text`` occurs in ``data`` from ``start``, found from the occurrences of its
    rare byte ``text[rare]``.

    A search for one byte runs at memory speed; one for two or three bytes starting with
    ``<`` stops at each of a sheet's 10,000 tags, some ten times slower. A sheet rarely
    holds ``!``, ``&``, ``'`` or ``?`` at all.
    """
    found = _rare_positions(data, text[rare : rare + 1], start + rare)
    if found is None:
        return data.find(text, start) != -1
    return any(data.startswith(text, at - rare) for at in found)


def _has_prefixed_element(data: bytes) -> bool:
    """Whether a tag name holds a colon (``_PREFIXED``), found from the colons.

    A sheet has few colons (in the root's namespace names, and in text such as times), and
    ``_PREFIXED`` stops at every ``<``. A colon ends a match exactly when the nearest ``<``
    before it opens a run with no whitespace or ``>`` up to it; a farther ``<`` could only
    open a longer such run, which contains the nearest one.
    """
    found = _rare_positions(data, b":", 0)
    if found is None:
        return _PREFIXED.search(data) is not None
    return any(
        (opening := data.rfind(b"<", 0, at)) != -1 and _NAME_RUN.fullmatch(data, opening + 1, at)
        for at in found
    )


def _rare_positions(data: bytes, byte: bytes, start: int) -> list[int] | None:
    """Where ``byte`` occurs from ``start``; None past ``_RARE_LIMIT`` occurrences, when
    the plain search is the quicker one."""
    found: list[int] = []
    at = data.find(byte, start)
    while at != -1:
        if len(found) == _RARE_LIMIT:
            return None
        found.append(at)
        at = data.find(byte, at + 1)
    return found


_NAME_RUN = re.compile(rb"[^\s>:]*")

# A formula element, and a cell whose first child is one: column, row, the cell's other
# attributes and the formula's text (empty for an empty element, ``<f .../>``).
_FORMULA_TAG = re.compile(rb"<f[\s/>]")
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})(\d+)"(' + _ATTRIBUTES + rb')\s*>\s*<f' + _ATTRIBUTES
    + rb'\s*(?:/>|>([^<]*)</f\s*>)'
)
_ATTRIBUTE = re.compile(rb'\s+([^\s=/>]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_ENCODING = re.compile(rb'<\?xml[^>]*?\sencoding\s*=\s*["\']([^"\']+)')
# The only entities a plain sheet can hold (expat refuses any other, and character
# references are not plain); "&amp;" last, so "&amp;lt;" stays "&lt;".
_ENTITIES = ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&apos;", b"'"),
             (b"&amp;", b"&"))


def _plain_formulas(data: bytes) -> dict[tuple[int, int], FormulaCell] | None:
    """The formula cells of a plain sheet, as the streaming pass finds them; None when a
    formula is in any other form (not first in its cell, a line break in its text, text
    not in UTF-8) or of text type, for the streaming pass to read.

    Whether a formula stored its result matters only for a formula of text type (for a
    number the value reader says), and is decided by any value element up to the next
    cell, wherever it stands: so a text formula is left to the streaming pass, and every
    formula here has ``cached`` false, as the streaming pass gives it.

    Most county forms are written from a template with totals as formulas, so a sheet
    with formulas is the common case, not the rare one.
    """
    tags = len(_FORMULA_TAG.findall(data))
    if not tags:
        return {}
    cells = _FORMULA_CELL.findall(data)
    if len(cells) != tags:
        return None
    encoding = _ENCODING.match(data)
    utf8 = encoding is None or encoding.group(1).lower() in (b"utf-8", b"utf8")
    formulas: dict[tuple[int, int], FormulaCell] = {}
    for col, row, attributes, text in cells:
        # expat turns a line break in text into "\n"; the streaming pass has that form.
        if b"\r" in text or not (utf8 or text.isascii()):
            return None
        types = [a or b for name, a, b in _ATTRIBUTE.findall(attributes) if name == b"t"]
        if types != [] and types != [b"n"] and types != [b"b"]:
            return None  # text, or an attribute named twice (not well-formed)
        for entity, character in _ENTITIES:
            text = text.replace(entity, character)
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            return None  # not well-formed: the streaming pass names the error
        formulas[(int(row), _column(col.decode()))] = FormulaCell(decoded, False)
    return formulas


def _scan_plain(data: bytes, name: str, percent_styles: frozenset[str]) -> SheetScan | None:
    """The scan of a sheet of plain cells, by counting and patterns over its bytes; None
    when the sheet holds anything else (then the streaming pass reads it).

    Most forms are plain, and a per-element Python callback over a sheet of 150 village
    rows costs several times what the value reader itself does. Well-formedness is still
    checked by expat, with no callbacks (the value reader accepts mismatched tags), with
    namespaces on.
    """
    # Style 0 is every cell's that names none: a percent style 0 cannot be found by its name.
    if not _is_plain(data) or "0" in percent_styles:
        return None

    formulas = _plain_formulas(data)
    if formulas is None:
        return None

    parser = _safe_parser(namespaces=True)
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return None  # the streaming pass decides, and names the error

    scan = SheetScan(formulas=formulas)
    for ref in _DIMENSION.findall(data):
        _declared(name, scan, "dimension", ref.decode("ascii", "replace"))
    for ref in _MERGE.findall(data):
        _declared(name, scan, "mergeCell", ref.decode("ascii", "replace"))
    if percent_styles:
        styles = b"|".join(re.escape(style.encode()) for style in sorted(percent_styles))
        pattern = re.compile(
            rb'<c r="([A-Z]{1,3})(\d+)"(?=' + _ATTRIBUTES + rb'\s+s\s*=\s*(?:"(?:' + styles
            + rb')"|\'(?:' + styles + rb')\'))'
        )
        scan.percent = {(int(row), _column(col.decode())) for col, row in pattern.findall(data)}
    return scan


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
        with _open_member(archive, member) as stream:
            parser.ParseFile(stream)
    except _RootFound:
        return found[0]
    except DefusedXmlException:
        raise  # declared before the root: refused as such, not passed over as "not XML"
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


def _safe_parser(*, namespaces: bool = False) -> expat.XMLParserType:
    """An expat parser that refuses entity declarations and external references, as
    defusedxml does: a workbook part has no use for either."""
    parser = expat.ParserCreate(namespace_separator="}" if namespaces else None)

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
        # Reported like any other malformed part (see model.DAMAGED).
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
        raise _damaged(exc) from exc


def _grid(name: str, rows: list[list[object]], scan: SheetScan) -> Grid:
    typed = [_typed_row(values) for values in rows]
    for (row, col), text in scan.errors.items():  # calamine gives an error cell as blank
        _put(typed, row, col, text)

    # A formula cell counts as used even without a stored value.
    used = [(r, _last_filled(values)) for r, values in enumerate(typed, start=1)]
    used = [(r, c) for r, c in used if c] + list(scan.formulas)
    max_row = max((r for r, _ in used), default=0)
    max_col = max((c for _, c in used), default=0)
    return Grid(name, typed, scan.merges, max_row, max_col, scan.percent, scan.formulas)


def _typed_row(values: list[object]) -> list[object]:
    """A row typed as the rest of the reader expects: empty cells as None, whole numbers as
    int (Excel stores 12 as "12"), dates as datetime."""
    # One comprehension with the two common cases inline (a number, a text): every cell of
    # every workbook passes here.
    return [
        (int(v) if v.is_integer() and -_EXACT < v < _EXACT else v) if type(v) is float
        else v if type(v) is str and v else _typed_cell(v)
        for v in values
    ]


_EXACT = 2**53  # past it a float no longer holds every whole number exactly


def _typed_cell(value: object) -> object:
    if type(value) is date:
        return datetime(value.year, value.month, value.day)
    return None if value == "" else value


def _put(rows: list[list[object]], row: int, col: int, value: object) -> None:
    while len(rows) < row:
        rows.append([])
    values = rows[row - 1]
    if len(values) < col:
        values.extend([None] * (col - len(values)))
    values[col - 1] = value


def _last_filled(values: list[object]) -> int:
    for index in range(len(values) - 1, -1, -1):
        if values[index] is not None:
            return index + 1
    return 0
