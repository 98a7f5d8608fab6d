"""The prefecture summary (市州汇总表) as read by the intake.

Each prefecture may compile its counties' 表1 figures into one workbook with a sheet
``汇总``: a merged title, the 填报单位 / 行政区划代码 / 报告期 line, a one-row header
(县（市、区）, 行政区划代码 and the 表1 labels of ``form.T1``), one row per county, and the
footer. ``read_prefecture_summary`` reads it the way ``read_submission`` reads a county's
workbook: typed ``Value`` rows (table ``t1``, row_key = county code) and ``Finding``s naming
sheet and cell, never an exception. The warehouse compares it with the counties' own files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path, PurePath

from orchestration.submissions import form
from orchestration.submissions.model import (
    DAMAGED,
    Finding,
    FindingLog,
    HasFindings,
    PersonalHashes,
    Value,
)
from orchestration.submissions.values import clean_text, parse_value, raw_text
from orchestration.submissions.workbook import Grid, Refused, cell_ref, load_grids, scan_package
from orchestration.submissions.xlsx import parse_date, parse_period, split_fields

# The layout the simulator writes and this reader expects.
SHEET_NAME = "汇总"
TITLE = "脱贫攻坚挂牌督战工作进展月报汇总表"
NAME_LABEL = "县（市、区）"
CODE_LABEL = "行政区划代码"
NAME_LABELS = frozenset({form.normalise_label(t) for t in (NAME_LABEL, "县区", "县（区）", "县名")})
TOTAL_WORDS = frozenset({"合计", "总计"})
HEADER_SEARCH_ROWS = 40

_CODE = re.compile(r"\d{6}")

@dataclass(frozen=True)
class SummaryRow:
    """One county's row as the prefecture compiled it."""

    county_code: str
    county_name: str
    row: int
    values: dict[str, Decimal | None]


@dataclass(frozen=True)
class PrefectureSummary(HasFindings):
    file_name: str
    prefecture_code: str | None = None
    prefecture_name: str | None = None
    period: str | None = None
    declared_period: str | None = None
    filled_date: date | None = None
    personal: PersonalHashes = PersonalHashes()
    rows: tuple[SummaryRow, ...] = ()
    values: tuple[Value, ...] = ()
    findings: tuple[Finding, ...] = ()




def read_prefecture_summary(
    path: Path,
    *,
    hash_personal: Callable[[str], str],
    declared_period: str | None = None,
    name: str | None = None,
) -> PrefectureSummary:
    """Read a prefecture summary workbook; whatever is wrong becomes a finding. ``name`` is
    the name it was delivered under, when ``path`` is another (an archived copy)."""
    log = FindingLog(name or path.name)
    suffix = PurePath(log.file_name).suffix
    if suffix.lower() != ".xlsx":
        log.add("error", "unsupported_format", zh="市州汇总表只接收Excel工作簿（.xlsx）",
                en="the prefecture summary must be an Excel workbook (.xlsx)",
                expected=".xlsx", found=suffix or "(no extension)")
        return PrefectureSummary(log.file_name, declared_period=declared_period,
                                 findings=tuple(log.items))
    try:
        grids = load_grids(path, scan_package(path))
        return _read(grids, declared_period, hash_personal, log)
    except Refused as refused:
        log.refused(refused)
    except DAMAGED as exc:
        log.damaged(exc)
    except Exception as exc:  # noqa: BLE001 - a file must never stop the nightly load
        log.unreadable(exc)
    return PrefectureSummary(log.file_name, declared_period=declared_period,
                             findings=tuple(log.items))


def _read(grids: list[Grid], declared_period: str | None,
          hash_personal: Callable[[str], str], log: FindingLog) -> PrefectureSummary:
    grid = next((g for g in grids if SHEET_NAME in clean_text(g.name)), None)
    if grid is None:
        log.add("error", "missing_sheet", zh=f"缺少工作表“{SHEET_NAME}”",
                en=f"the sheet {SHEET_NAME} is missing", expected=SHEET_NAME)
        return PrefectureSummary(log.file_name, declared_period=declared_period,
                                 findings=tuple(log.items))

    header_row, columns = _header(grid, log)
    footer_row = _footer_row(grid, header_row)
    info = _fields(grid, range(1, header_row), form.HEADER_FIELDS)
    footer = _fields(grid, range(footer_row, grid.max_row + 1), form.FOOTER_LABELS)
    period = _period(grid, info, declared_period, log)
    code = re.sub(r"\s+", "", info.get("行政区划代码", ("", ""))[0]) or None

    rows: list[SummaryRow] = []
    values: list[Value] = []
    if columns is not None:
        rows, values = _rows(grid, columns, range(header_row + 1, footer_row), log)

    return PrefectureSummary(
        file_name=log.file_name,
        prefecture_code=code,
        prefecture_name=info.get("填报单位", ("", ""))[0] or None,
        period=period,
        declared_period=declared_period,
        filled_date=parse_date(footer.get("填报日期", ("", ""))[0]),
        personal=_personal(footer, hash_personal),
        rows=tuple(rows),
        values=tuple(values),
        findings=tuple(log.items),
    )


def _label(grid: Grid, row: int, col: int) -> str:
    return form.normalise_label(clean_text(str(grid.filled(row, col) or "")))


def _header(grid: Grid, log: FindingLog) -> tuple[int, dict[str, int] | None]:
    """The header row and column of each 表1 indicator plus 'name' and 'code'."""
    labels = form.labels_by_key(form.T1)
    last = min(grid.max_row, HEADER_SEARCH_ROWS)
    for row in range(1, last + 1):
        found = {c: _label(grid, row, c) for c in range(1, grid.max_col + 1)}
        if sum(text in labels for text in found.values()) < 2:
            continue
        columns: dict[str, int] = {}
        for col, text in found.items():
            if text in labels:
                columns.setdefault(labels[text].id, col)
            elif text == form.normalise_label(CODE_LABEL):
                columns.setdefault("code", col)
            elif text in NAME_LABELS:
                columns.setdefault("name", col)
        return row, _check_columns(grid, row, columns, log)

    log.add("error", "missing_header", sheet=grid.name, zh="找不到表头",
            en="no header row found", expected=" | ".join(i.label for i in form.T1.indicators))
    return grid.max_row, None


def _check_columns(grid: Grid, row: int, columns: dict[str, int],
                   log: FindingLog) -> dict[str, int] | None:
    needed = [("code", CODE_LABEL)] + [(i.id, i.label) for i in form.T1.indicators]
    missing = [(key, label) for key, label in needed if key not in columns]
    for key, label in missing:
        log.add("error", "missing_column", sheet=grid.name, cell=cell_ref(row, 1), table="t1",
                indicator="" if key == "code" else key, zh=f"缺少“{label}”列",
                en=f"the column “{label}” is missing", expected=label)
    return None if missing else columns


def _footer_row(grid: Grid, after: int) -> int:
    for row in range(after + 1, grid.max_row + 1):
        texts = (form.normalise_label(t) for _, t in grid.row_cells(row))
        if any(text.startswith(form.FOOTER_LABELS) for text in texts):
            return row
    return grid.max_row + 1


def _fields(grid: Grid, rows: range, labels: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    fields: dict[str, tuple[str, str]] = {}
    for row in rows:
        cells = [(cell_ref(row, c), t) for c, t in grid.row_cells(row)]
        for label, found in split_fields(cells, labels).items():
            fields.setdefault(form.FOOTER_ALIASES.get(label, label), found)
    return fields


def _period(grid: Grid, info: dict[str, tuple[str, str]], declared: str | None,
            log: FindingLog) -> str | None:
    text, ref = info.get("报告期", ("", ""))
    period = parse_period(text) if text else None
    if period is None:
        log.add("error", "missing_period", sheet=grid.name, cell=ref,
                zh="表头中找不到报告期", en="no reporting period (报告期：) above the header",
                expected="报告期：YYYY年M月", found=text)
    elif declared is not None and declared != period:
        log.add("warning", "period_mismatch", sheet=grid.name, cell=ref,
                zh=f"表中报告期为{period}，但文件放在{declared}的目录中，以表中为准",
                en=f"the sheet gives the period {period} but the file was delivered for "
                f"{declared}; the sheet's period is used", expected=declared, found=period)
    return period


def _rows(grid: Grid, columns: dict[str, int], rows: range,
          log: FindingLog) -> tuple[list[SummaryRow], list[Value]]:
    out: list[SummaryRow] = []
    values: list[Value] = []
    seen: dict[str, str] = {}
    for row in rows:
        texts = [form.normalise_label(t) for _, t in grid.row_cells(row)]
        if not texts or any(t in TOTAL_WORDS for t in texts) or texts[0].startswith("注"):
            continue
        code = _county_code(grid, row, columns["code"], seen, log)
        if code is None:
            continue
        name = clean_text(str(grid.value(row, columns["name"]) or "")) if "name" in columns else ""
        parsed = {}
        for indicator in form.T1.indicators:
            value = _cell(grid, row, columns[indicator.id], code, indicator, log)
            parsed[indicator.id] = value.value if value else None
            if value is not None:
                values.append(value)
        out.append(SummaryRow(code, name, row, parsed))
    return out, values


def _county_code(grid: Grid, row: int, col: int, seen: dict[str, str],
                 log: FindingLog) -> str | None:
    raw = grid.value(row, col)
    # As the clerk sees it: 621223.0 is 621223, but 621223.5 (or inf) is no code at all.
    text = re.sub(r"\s+", "", clean_text(raw_text(raw)))
    ref = cell_ref(row, col)
    if not _CODE.fullmatch(text):
        log.add("error", "bad_county_code", sheet=grid.name, cell=ref, table="t1",
                zh="行政区划代码应为6位数字，这一行未读取",
                en="the county code should be 6 digits; this row was not read",
                expected="6 digits", found=text)
        return None
    if text in seen:
        log.add("error", "duplicate_county", sheet=grid.name, cell=ref, table="t1", row_key=text,
                zh=f"{text}在{seen[text]}已有一行，这一行未读取",
                en=f"{text} already has a row at {seen[text]}; this row was not read",
                expected="one row each", found=text)
        return None
    seen[text] = ref
    return text


def _cell(grid: Grid, row: int, col: int, code: str, indicator: form.Indicator,
          log: FindingLog) -> Value | None:
    info = grid.info(row, col)
    ref = cell_ref(row, col)
    if info is not None and info.formula is not None and not info.formula.cached:
        log.add("error", "formula_without_value", sheet=grid.name, cell=ref, table="t1",
                row_key=code, indicator=indicator.id, zh="单元格是公式但没有保存计算结果",
                en="the cell holds a formula without its computed result",
                found="=" + info.formula.text)
        return None

    parsed = parse_value(info.value if info else None, indicator.kind, scale=indicator.scale)
    if parsed.problem is not None:
        log.problem(parsed.problem, sheet=grid.name, cell=ref, table="t1", row_key=code,
                    indicator=indicator.id, found=parsed.raw, label=indicator.label)
    if parsed.is_error:
        return None
    return Value("t1", code, indicator.id, parsed.value, grid.name, ref, parsed.raw)


def _personal(footer: dict[str, tuple[str, str]],
              hash_personal: Callable[[str], str]) -> PersonalHashes:
    def hashed(label: str) -> str | None:
        text = re.sub(r"\s+", "", footer.get(label, ("", ""))[0])
        return hash_personal(text) if text else None

    return PersonalHashes(hashed("填报人"), hashed("联系电话"), hashed("审核人"))
