"""Reading a county workbook (.xlsx) laid out like the form.

After ``workbook.scan_package`` and ``workbook.load_grids`` (see there), each of 表1…表4 is
found by the number in its sheet name. In it:

1. the header is found by the labels of the table: the first row holding two of them,
   together with the row above or below when that row also holds a label (two-row headers;
   group cells merged over their columns are decoration). Columns are matched by normalised
   label, so order, line breaks and bracket widths do not matter;
2. the lines above the header give 填报单位 / 行政区划代码 / 报告期, the rows from the first
   footer label on give 填报人 / 联系电话 / 审核人 / 填报日期; in one cell or several;
3. data rows are parsed by indicator kind; ``合计`` rows are compared with the sum of the
   rows instead of being read as data; empty rows and notes (注：…) are skipped.

Every problem becomes a finding naming sheet and cell. Cells whose value has an error
finding produce no ``Value``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import repeat
from operator import attrgetter, is_
from pathlib import Path


from . import form
from .checks import VillageCells, check_village_prefix
from .form import Indicator, Kind, Table
from .model import FindingLog, ParsedSubmission, PersonalHashes, Value
from .values import (
    ColumnCache,
    Parsed,
    Problem,
    clean_text,
    column_cache,
    parse_cached,
    parse_remembered,
    parse_value,
)
from .workbook import Grid, cell_ref, column_letter, display, load_grids, scan_package

HEADER_SEARCH_ROWS = 40
TOTAL_WORDS = frozenset({"合计", "总计"})
NOTE_PREFIXES = ("注", "说明", "备注")
_new_tuple = tuple.__new__

_SHEET_NUMBER = re.compile(r"表\s*(\d+)")
_PERIOD = re.compile(r"(\d{4})\s*[年\-./]\s*(\d{1,2})(?!\d)")
_DATE = re.compile(r"(\d{4})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})(?!\d)")
_COUNTY_CODE = re.compile(r"\d{6}")


@dataclass
class Header:
    """The workbook-wide facts from the lines above the header and the footers."""

    county_code: str | None = None
    county_name: str | None = None
    period: str | None = None
    period_at: tuple[str, str] = ("", "")
    county_at: tuple[str, str] = ("", "")
    filled_date: date | None = None
    personal: dict[str, str] = field(default_factory=dict)
    footer_seen: bool = False


@dataclass
class Columns:
    by_indicator: dict[str, int]
    header_row: int
    last_header_row: int
    _values: list[tuple[Indicator, int, str, ColumnCache]] | None = field(
        default=None, repr=False
    )

    def value_columns(self, tbl: Table) -> list[tuple[Indicator, int, str, ColumnCache]]:
        """(indicator, column, column letters, parse cache) of the sheet's value columns, in
        form order."""
        if self._values is None:
            self._values = [
                (i, self.by_indicator[i.id], column_letter(self.by_indicator[i.id]),
                 column_cache(i.kind, i.scale))
                for i in tbl.value_indicators if i.id in self.by_indicator
            ]
        return self._values


def read_xlsx(
    path: Path,
    *,
    declared_period: str | None,
    hash_personal: Callable[[str], str],
    log: FindingLog,
) -> ParsedSubmission:
    formulas = scan_package(path)
    grids = load_grids(path, formulas)
    sheets = _find_sheets(grids, log)

    header = Header()
    values: list[Value] = []
    villages: VillageCells = {}
    for tbl in form.TABLES:
        grid = sheets.get(tbl.number)
        if grid is None:
            _missing_sheet(tbl, log)
            continue
        state = _read_sheet(grid, tbl, header, log)
        values.extend(state.values)
        if tbl.key == "village_code":
            villages = {code: (grid.name, cell, None) for code, cell in state.keys.items()}

    _check_header(header, declared_period, log)
    check_village_prefix(villages, header.county_code, log)
    return ParsedSubmission(
        file_name=log.file_name,
        format="xlsx",
        county_code=header.county_code,
        county_name=header.county_name,
        period=header.period,
        filled_date=header.filled_date,
        declared_period=declared_period,
        personal=_hashes(header.personal, hash_personal),
        values=tuple(values),
        findings=tuple(log.items),
    )


def _find_sheets(grids: list[Grid], log: FindingLog) -> dict[int, Grid]:
    found: dict[int, Grid] = {}
    for grid in grids:
        match = _SHEET_NUMBER.search(clean_text(grid.name))
        number = int(match.group(1)) if match else None
        if number not in form.TABLES_BY_NUMBER:
            continue
        if number in found:
            log.add(
                "warning", "duplicate_sheet", sheet=grid.name,
                zh=f"有两个“表{number}”工作表，只读取了“{found[number].name}”",
                en=f"there are two sheets for 表{number}; only “{found[number].name}” was read",
                expected=f"one sheet 表{number}", found=grid.name,
            )
            continue
        found[number] = grid
    return found


def _missing_sheet(tbl: Table, log: FindingLog) -> None:
    log.add(
        "error", "missing_sheet", table=tbl.id,
        zh=f"缺少工作表“{tbl.sheet_name}”（工作表名称中应含“表{tbl.number}”）",
        en=f"the sheet {tbl.sheet_name} is missing (its name should contain 表{tbl.number})",
        expected=tbl.sheet_name,
    )


def _read_sheet(grid: Grid, tbl: Table, header: Header, log: FindingLog) -> RowState:
    columns = _find_columns(grid, tbl, log)
    if columns is None:
        return RowState()

    kinds = _row_kinds(grid, columns)
    footer_row = columns.last_header_row + 1 + len(kinds)
    _read_info_lines(grid, range(1, columns.header_row), header, log)
    _read_footer(grid, range(footer_row, grid.max_row + 1), header, log)

    if not _required_columns_present(grid, tbl, columns, log):
        return RowState()

    return _read_rows(grid, tbl, columns, kinds, log)


def _label_map(tbl: Table) -> dict[str, Indicator]:
    return form.labels_by_key(tbl)


def _label_at(grid: Grid, row: int, col: int) -> str:
    return form.normalise_label(display(grid.filled(row, col)))


def _matches(grid: Grid, row: int, labels: dict[str, Indicator]) -> int:
    return sum(_label_at(grid, row, c) in labels for c in range(1, grid.max_col + 1))


def _find_columns(grid: Grid, tbl: Table, log: FindingLog) -> Columns | None:
    labels = _label_map(tbl)
    last = min(grid.max_row, HEADER_SEARCH_ROWS)
    header_row = next((r for r in range(1, last + 1) if _matches(grid, r, labels) >= 2), None)
    if header_row is None:
        log.add(
            "error", "missing_header", sheet=grid.name, table=tbl.id,
            zh="找不到表头（应含“" + "”“".join(i.label for i in tbl.indicators[:3]) + "”等列名）",
            en="no header row found (it should have column labels such as "
            + ", ".join(i.label for i in tbl.indicators[:3]) + ")",
            expected=" | ".join(i.label for i in tbl.indicators),
        )
        return None

    # The first row with labels may be either row of a two-row header: the group row
    # above the sub-labels may hold only one label, or none.
    if header_row > 1 and _matches(grid, header_row - 1, labels) >= 1:
        top, bottom = header_row - 1, header_row
    elif _matches(grid, header_row + 1, labels) >= 1:
        top, bottom = header_row, header_row + 1
    else:
        top = bottom = header_row

    by_indicator = _map_columns(grid, tbl, top, bottom, log)
    return Columns(by_indicator, top, bottom)


def _map_columns(
    grid: Grid, tbl: Table, top: int, bottom: int, log: FindingLog
) -> dict[str, int]:
    labels = _label_map(tbl)
    mapped: dict[str, int] = {}
    for col in range(1, grid.max_col + 1):
        upper, lower = _label_at(grid, top, col), _label_at(grid, bottom, col)
        candidates = [lower, upper, upper + lower] if bottom != top else [upper]
        indicator = next((labels[c] for c in candidates if c in labels), None)
        where = cell_ref(bottom, col)

        if indicator is None:
            _extra_column(grid, tbl, where, upper, lower, bottom != top, log)
        elif indicator.id in mapped:
            log.add(
                "warning", "duplicate_column", sheet=grid.name, cell=where, table=tbl.id,
                indicator=indicator.id,
                zh=f"“{indicator.label}”列出现两次，只读取了第一列",
                en=f"the column “{indicator.label}” appears twice; only the first was read",
                expected="one column", found=indicator.label,
            )
        else:
            mapped[indicator.id] = col
    return mapped


def _extra_column(
    grid: Grid, tbl: Table, where: str, upper: str, lower: str, two_rows: bool, log: FindingLog
) -> None:
    if two_rows and lower and upper and lower != upper:
        label = f"{upper}/{lower}"
    else:
        label = lower or upper
    if not label:
        return

    log.add(
        "info", "extra_column", sheet=grid.name, cell=where, table=tbl.id,
        zh=f"“{label}”不是本表的列，已忽略",
        en=f"the column “{label}” is not part of this table and was ignored",
        found=label,
    )


def _required_columns_present(
    grid: Grid, tbl: Table, columns: Columns, log: FindingLog
) -> bool:
    missing = [i for i in tbl.indicators if i.id not in columns.by_indicator]
    for indicator in missing:
        severity = "error" if indicator.required else "info"
        log.add(
            severity,  # type: ignore[arg-type]
            "missing_column" if indicator.required else "missing_optional_column",
            sheet=grid.name, cell=cell_ref(columns.header_row, 1), table=tbl.id,
            indicator=indicator.id,
            zh=f"缺少“{indicator.label}”列"
            + ("，本表未读取" if indicator.required else "（可不填）"),
            en=f"the column “{indicator.label}” is missing"
            + ("; this sheet was not read" if indicator.required else " (optional)"),
            expected=indicator.label,
        )
    return not any(i.required for i in missing)


# --- header line and footer -------------------------------------------------------------


def _footer_row(grid: Grid, after: int) -> int:
    """First row below the header with a cell starting with a footer label (past the end if
    there is none); a label inside a longer text is not a footer."""
    # Only a text cell can start with a label (numbers and dates display as digits).
    labels = form.FOOTER_LABELS
    for row in range(after + 1, grid.max_row + 1):
        for value in grid.row_values(row):
            if type(value) is str and form.normalise_label(value).startswith(labels):
                return row
    return grid.max_row + 1


def split_fields(
    cells: list[tuple[str, str]], labels: tuple[str, ...]
) -> dict[str, tuple[str, str]]:
    """label → (value, cell of the label) from a line written in one cell or several.

    The cells are joined in order, so "填报人：" in one cell and the name in the next reads
    the same as both in one cell; a value runs up to the next label.
    """
    pieces: list[tuple[int, str]] = []
    joined = ""
    for ref, text in cells:
        pieces.append((len(joined), ref))
        joined += clean_text(text) + " "

    pattern = re.compile("|".join(re.escape(label) for label in labels))
    matches = list(pattern.finditer(joined))
    fields: dict[str, tuple[str, str]] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(joined)
        value = joined[match.end() : end].strip().lstrip(":").strip().rstrip(",;，；")
        ref = next(r for start, r in reversed(pieces) if start <= match.start())
        fields.setdefault(match.group(0), (value.strip(), ref))
    return fields


def _fields(grid: Grid, rows: range, labels: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Fields of several lines; each line is split on its own so a value never runs on
    into the next line, and the first occurrence of a label wins."""
    fields: dict[str, tuple[str, str]] = {}
    for row in rows:
        cells = [(cell_ref(row, c), t) for c, t in grid.row_cells(row)]
        for label, found in split_fields(cells, labels).items():
            fields.setdefault(label, found)
    return fields


def _read_info_lines(grid: Grid, rows: range, header: Header, log: FindingLog) -> None:
    fields = _fields(grid, rows, form.HEADER_FIELDS)

    if "填报单位" in fields and fields["填报单位"][0] and header.county_name is None:
        header.county_name = fields["填报单位"][0]

    if "行政区划代码" in fields:
        _take_county_code(grid, *fields["行政区划代码"], header, log)

    if "报告期" in fields:
        _take_period(grid, *fields["报告期"], header, log)


def _take_county_code(grid: Grid, text: str, ref: str, header: Header, log: FindingLog) -> None:
    code = re.sub(r"\s+", "", text)
    if not _COUNTY_CODE.fullmatch(code):
        log.add(
            "error", "bad_county_code", sheet=grid.name, cell=ref,
            zh="行政区划代码应为6位数字", en="the county code (行政区划代码) should be 6 digits",
            expected="6 digits", found=text,
        )
        return

    if header.county_code is None:
        header.county_code, header.county_at = code, (grid.name, ref)
    elif header.county_code != code:
        log.add(
            "error", "inconsistent_county", sheet=grid.name, cell=ref,
            zh=f"行政区划代码与“{header.county_at[0]}”中的{header.county_code}不一致",
            en=f"the county code differs from {header.county_code} on {header.county_at[0]}",
            expected=header.county_code, found=code,
        )


def parse_period(text: str) -> str | None:
    """'2020年3月', '2020-03', '2020.3' → '2020-03'."""
    match = _PERIOD.search(clean_text(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def _take_period(grid: Grid, text: str, ref: str, header: Header, log: FindingLog) -> None:
    period = parse_period(text)
    if period is None:
        log.add(
            "error", "bad_period", sheet=grid.name, cell=ref,
            zh="报告期应写成“2020年3月”的形式", en="the period (报告期) should read like 2020年3月",
            expected="YYYY年M月", found=text,
        )
        return

    if header.period is None:
        header.period, header.period_at = period, (grid.name, ref)
    elif header.period != period:
        log.add(
            "error", "inconsistent_period", sheet=grid.name, cell=ref,
            zh=f"报告期与“{header.period_at[0]}”中的{header.period}不一致",
            en=f"the period differs from {header.period} on {header.period_at[0]}",
            expected=header.period, found=period,
        )


def parse_date(text: str) -> date | None:
    match = _DATE.search(clean_text(text))
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _read_footer(grid: Grid, rows: range, header: Header, log: FindingLog) -> None:
    fields: dict[str, tuple[str, str]] = {}
    for label, found in _fields(grid, rows, form.FOOTER_LABELS).items():
        fields.setdefault(form.FOOTER_ALIASES.get(label, label), found)
    if any(value for value, _ in fields.values()):
        header.footer_seen = True

    for label in form.PERSONAL_FIELDS:
        text = re.sub(r"\s+", "", fields.get(label, ("", ""))[0])
        if text:
            header.personal.setdefault(label, text)

    date_text, ref = fields.get("填报日期", ("", ""))
    if date_text and header.filled_date is None:
        header.filled_date = parse_date(date_text)
        if header.filled_date is None:
            log.add(
                "warning", "bad_date", sheet=grid.name, cell=ref,
                zh="填报日期应写成“2020年3月24日”的形式",
                en="the date filled (填报日期) should read like 2020年3月24日",
                expected="YYYY年M月D日", found=date_text,
            )


def _check_header(header: Header, declared_period: str | None, log: FindingLog) -> None:
    if header.county_code is None:
        log.add(
            "error", "missing_county_code",
            zh="表头中找不到“行政区划代码：”", en="no county code (行政区划代码：) in the sheet headers",
            expected="行政区划代码：NNNNNN",
        )

    if header.period is None:
        log.add(
            "error", "missing_period",
            zh="表头中找不到“报告期：”", en="no reporting period (报告期：) in the sheet headers",
            expected="报告期：YYYY年M月",
        )
    elif declared_period is not None and declared_period != header.period:
        sheet, ref = header.period_at
        log.add(
            "warning", "period_mismatch", sheet=sheet, cell=ref,
            zh=f"表中报告期为{header.period}，但文件放在{declared_period}的目录中，以表中为准",
            en=f"the sheet gives the period {header.period} but the file was delivered for "
            f"{declared_period}; the sheet's period is used",
            expected=declared_period, found=header.period,
        )

    if not header.footer_seen:
        log.add(
            "warning", "missing_footer",
            zh="表尾（填报人、联系电话、审核人、填报日期）未填写",
            en="the footer (填报人 filer, 联系电话 phone, 审核人 reviewer, 填报日期 date) "
            "is not filled in",
            expected="填报人：… 联系电话：… 审核人：… 填报日期：…",
        )


def _hashes(personal: dict[str, str], hash_personal: Callable[[str], str]) -> PersonalHashes:
    def hashed(label: str) -> str | None:
        return hash_personal(personal[label]) if label in personal else None

    return PersonalHashes(hashed("填报人"), hashed("联系电话"), hashed("审核人"))


# --- data rows --------------------------------------------------------------------------


@dataclass
class RowState:
    """What a sheet's data rows have produced so far."""

    values: list[Value] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # row key → its cell
    totals: list[int] = field(default_factory=list)
    data_rows: int = 0


def _read_rows(
    grid: Grid, tbl: Table, columns: Columns, kinds: list[str], log: FindingLog
) -> RowState:
    state = RowState()
    data: list[int] = []
    for row, kind in enumerate(kinds, start=columns.last_header_row + 1):
        if kind == "total":
            state.totals.append(row)
        elif kind == "data":
            data.append(row)

    if not _read_clean_rows(grid, tbl, columns, data, state):
        for row in data:
            _read_row(grid, tbl, columns, row, state, log)

    _after_rows(grid, tbl, columns, state, log)
    return state


# --- clean sheets, a column at a time ---------------------------------------------------

_value_of = attrgetter("value")
_raw_of = attrgetter("raw")
_problem_of = attrgetter("problem")


def _read_clean_rows(
    grid: Grid, tbl: Table, columns: Columns, data: list[int], state: RowState
) -> bool:
    """Read the data rows a column at a time when none of them has anything to be said
    about it; False, with ``state`` untouched, when one has (then ``_read_row`` reads them
    row by row and words each finding in sheet order).

    Most sheets are clean, and a national year has some 19 million values: here a value
    costs a look-up and its share of a few list operations done in C, where the row loop
    spends a Python statement on each step. The values come out column by column (their
    order carries no meaning); what they are is exactly what the row loop gives.
    """
    if grid.formulas or grid.percent or (not tbl.many_rows and len(data) > 1):
        return False  # cells that need more than their value, or an extra-row finding
    cells_of = [grid.row_values(row) for row in data]
    keys = _clean_keys(tbl, columns, cells_of)
    if keys is None:
        return False

    blocks = []
    for indicator, col, letters, cache in columns.value_columns(tbl):
        parsed = _clean_column(cells_of, col - 1, indicator, cache)
        if parsed is None:
            return False
        blocks.append((indicator.id, letters, parsed))

    numbers = [str(row) for row in data]
    table_id, sheet, count = tbl.id, grid.name, len(data)
    for indicator_id, letters, parsed in blocks:
        state.values.extend(map(
            _new_tuple, repeat(Value, count),
            zip(repeat(table_id), keys, repeat(indicator_id), map(_value_of, parsed),
                repeat(sheet), [letters + number for number in numbers],
                map(_raw_of, parsed), repeat(None)),
        ))
    if tbl.key_indicator is not None:
        letters = column_letter(columns.by_indicator[tbl.key_indicator.id])
        state.keys.update(zip(keys, [letters + number for number in numbers]))
    state.data_rows = count
    return True


def _clean_keys(tbl: Table, columns: Columns, cells_of: list[list[object]]) -> list[str] | None:
    """Each row's key, or None when a key is missing, unreadable or repeated."""
    key = tbl.key_indicator
    if key is None:
        return [""] * len(cells_of)
    index = columns.by_indicator[key.id] - 1
    keys = []
    for cells in cells_of:
        cell = cells[index] if index < len(cells) else None
        # Not through the column caches: keys (village codes) are one per row, and would
        # only fill the cache and push out the values that repeat.
        parsed = parse_value(cell, key.kind, scale=key.scale)
        if parsed.problem is not None or parsed.value is None:
            return None
        keys.append(str(parsed.value))
    return keys if len(set(keys)) == len(keys) else None


def _clean_column(
    cells_of: list[list[object]], index: int, indicator: Indicator, cache: ColumnCache
) -> list[Parsed] | None:
    """The parse of one column's cells, or None when one of them has a problem."""
    column = [cells[index] if index < len(cells) else None for cells in cells_of]
    get = cache.get
    parsed = [get((value, type(value))) for value in column]
    if any(map(is_, parsed, repeat(None))):  # `None in parsed` would call Parsed.__eq__
        for at, value in enumerate(column):
            if parsed[at] is None:
                parsed[at] = parse_remembered(cache, value, indicator.kind, indicator.scale)
    if any(map(_problem_of, parsed)):
        return None
    return parsed


def _row_kinds(grid: Grid, columns: Columns) -> list[str]:
    """The kind of each row below the header, up to the footer: the first row with a cell
    that starts with a footer label (``_footer_row``), which is not itself included."""
    kinds = []
    for row in range(columns.last_header_row + 1, grid.max_row + 1):
        kind = _row_kind(grid, columns, row)
        if kind == "footer":
            break
        kinds.append(kind)
    return kinds


def _row_kind(grid: Grid, columns: Columns, row: int) -> str:
    # What a clerk sees in the row: blank texts are nothing, and only a text cell can be a
    # total word, a note or a footer label (numbers and dates display as digits). A footer
    # label anywhere in the row wins: the footer ends the data.
    first = None
    total = False
    for value in grid.row_values(row):
        if type(value) is str:
            text = form.normalise_label(value)
            if text.startswith(form.FOOTER_LABELS):
                return "footer"
            if not value.strip():
                continue
            total = total or text in TOTAL_WORDS
            if first is None:
                first = text
        elif first is None and value is not None:
            first = ""
    if total:
        return "total"
    if first is None:
        return "empty"

    if first.startswith(NOTE_PREFIXES):
        return "note"

    return "data" if any(grid.has(row, c) for c in columns.by_indicator.values()) else "empty"


def _read_row(
    grid: Grid, tbl: Table, columns: Columns, row: int, state: RowState, log: FindingLog
) -> None:
    state.data_rows += 1
    if not tbl.many_rows and state.data_rows > 1:
        log.add(
            "error", "extra_data_row", sheet=grid.name, cell=cell_ref(row, 1), table=tbl.id,
            zh="本表只应有一行数据，多出的行未读取", en="this table has one data row; "
            "the extra row was not read",
            expected="one data row", found=f"row {row}",
        )
        return

    row_key = _row_key(grid, tbl, columns, row, state, log)
    if row_key is None:
        return

    # The loop every value of a national year goes through (some 19 million): for a clean
    # cell, a dictionary look-up of the parse and a tuple, built by tuple.__new__ itself
    # (a named tuple's own __new__ is a Python function).
    append, sheet, table_id, number = state.values.append, grid.name, tbl.id, str(row)
    cells = grid.row_values(row)
    plain = not grid.formulas and not grid.percent
    for indicator, col, letters, cache in columns.value_columns(tbl):
        if plain:
            value = cells[col - 1] if col <= len(cells) else None
            parsed = cache.get((value, type(value)))
            if parsed is None:
                parsed = parse_remembered(cache, value, indicator.kind, indicator.scale)
        else:
            parsed = _parse_cell(grid, indicator, row, col)
        where = letters + number
        problem = parsed.problem
        if problem is not None:
            log.problem(problem, sheet=sheet, cell=where, table=table_id, row_key=row_key,
                        indicator=indicator.id, found=parsed.raw, label=indicator.label)
            if problem.severity == "error":
                continue
        append(_new_tuple(Value, (table_id, row_key, indicator.id, parsed.value, sheet, where,
                                  parsed.raw, None)))


def _row_key(
    grid: Grid, tbl: Table, columns: Columns, row: int, state: RowState, log: FindingLog
) -> str | None:
    """'' for one-row tables; the parsed key otherwise, None when the row can't be keyed."""
    key = tbl.key_indicator
    if key is None:
        return ""

    col = columns.by_indicator[key.id]
    where = cell_ref(row, col)
    parsed = _parse_cell(grid, key, row, col)
    if parsed.problem is not None:
        log.problem(parsed.problem, sheet=grid.name, cell=where, table=tbl.id,
                    indicator=key.id, found=parsed.raw, label=key.label)
        return None

    if parsed.value is None:
        log.add(
            "error", "missing_row_key", sheet=grid.name, cell=where, table=tbl.id,
            zh=f"这一行没有填写“{key.label}”，未读取", en=f"this row has no {key.label} "
            f"({key.id}) and was not read",
            expected=key.label,
        )
        return None

    return _unique_key(grid, tbl, str(parsed.value), where, state, log)


def _unique_key(
    grid: Grid, tbl: Table, key: str, where: str, state: RowState, log: FindingLog
) -> str | None:
    if key not in state.keys:
        state.keys[key] = where
        return key

    code = "duplicate_village" if tbl.key == "village_code" else "duplicate_source"
    log.add(
        "error", code, sheet=grid.name, cell=where, table=tbl.id, row_key=key,
        zh=f"“{key}”在{state.keys[key]}已填过一行，这一行未读取",
        en=f"“{key}” already has a row at {state.keys[key]}; this row was not read",
        expected="one row each", found=key,
    )
    return None


def _parse_cell(grid: Grid, indicator: Indicator, row: int, col: int) -> Parsed:
    info = grid.info(row, col)
    if info is None:
        return parse_cached(None, indicator.kind, indicator.scale, False)

    if info.formula is not None and not info.formula.cached:
        return Parsed(None, "=" + info.formula.text, _FORMULA_WITHOUT_VALUE)

    return parse_cached(info.value, indicator.kind, indicator.scale, info.percent_format)


def _after_rows(grid: Grid, tbl: Table, columns: Columns, state: RowState, log: FindingLog) -> None:
    if state.data_rows == 0 and not tbl.many_rows:
        log.add(
            "error", "no_data_row", sheet=grid.name, cell=cell_ref(columns.last_header_row + 1, 1),
            table=tbl.id, zh="表头下没有数据行", en="there is no data row below the header",
            expected="one data row",
        )

    sums: dict[str, Decimal] = {}
    for value in state.values if state.totals else ():
        if type(value.value) is Decimal:
            sums[value.indicator] = sums.get(value.indicator, Decimal(0)) + value.value
    for row in state.totals:
        _check_total(grid, tbl, columns, row, sums, log)

    for missing in (k for k in tbl.fixed_keys if k not in state.keys):
        log.add(
            "warning", "missing_source", sheet=grid.name, table=tbl.id, row_key=missing,
            zh=f"缺少问题来源“{missing}”一行", en=f"the row for the source “{missing}” is missing",
            expected=missing,
        )


def _check_total(
    grid: Grid, tbl: Table, columns: Columns, row: int, sums: dict[str, Decimal],
    log: FindingLog,
) -> None:
    """A 合计 row is not data, but a total that disagrees with its rows is worth a word."""
    for indicator in tbl.value_indicators:
        col = columns.by_indicator.get(indicator.id)
        if col is None or indicator.kind not in (Kind.COUNT, Kind.DECIMAL):
            continue

        parsed = _parse_cell(grid, indicator, row, col)
        if parsed.value is None or parsed.is_error:
            continue

        total = sums.get(indicator.id, Decimal(0))
        if total != parsed.value:
            log.add(
                "warning", "total_mismatch", sheet=grid.name, cell=cell_ref(row, col),
                table=tbl.id, indicator=indicator.id,
                zh=f"“{indicator.label}”合计为{parsed.raw}，但各行相加为{total}",
                en=f"the total of “{indicator.label}” is {parsed.raw} but the rows add up "
                f"to {total}",
                expected=str(total), found=parsed.raw,
            )


_FORMULA_WITHOUT_VALUE = Problem(
    "formula_without_value",
    "error",
    "a value",
    "单元格是公式但没有保存计算结果（请在Excel中打开并保存，或直接填写数值）",
    "the cell holds a formula without its computed result (open and save the file in "
    "Excel, or type the value)",
)
