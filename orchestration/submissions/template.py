"""The blank monthly report workbook a county fills in.

``write_template`` lays every sheet out the way the form describes (merged title, the
填报单位 / 行政区划代码 / 报告期 line, a header whose group cells are merged over their
columns, the data rows, the footer), pre-fills the county's supervised villages in 表2 and
the six sources in 表4, and puts input validation with Chinese prompts on every input cell.
Validation warns rather than blocks, because "—" (not reported) and "无" are valid answers.
A filled-in template reads back with ``read_submission`` without findings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from orchestration.lib.periods import REPORTING_MONTH

from . import form
from .form import Indicator, Kind, Table

TITLE_ROW = 1
INFO_ROW = 2
HEADER_ROW = 3

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNDERLINE = Border(bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_KEY_FILL = PatternFill("solid", fgColor="F2F2F2")

_NUMBER_FORMATS = {Kind.COUNT: "#,##0", Kind.DECIMAL: "0.00", Kind.PERCENT: "0.00",
                   Kind.CODE12: "@", Kind.TEXT: "@", Kind.SOURCE: "@"}

_BLANK_HINT = "未统计的请留空或填“—”，为零请填0。"


@dataclass(frozen=True)
class TemplateVillage:
    """A supervised village pre-filled in 表2."""

    code: str
    township: str
    name: str


def write_template(
    path: Path,
    *,
    county_code: str,
    county_name: str,
    period: str,
    villages: Sequence[TemplateVillage],
) -> None:
    """Write the blank workbook of one county for one period ('YYYY-MM')."""
    _check_arguments(county_code, period, villages)

    workbook = Workbook()
    workbook.remove(workbook.active)
    for tbl in form.TABLES:
        ws = workbook.create_sheet(tbl.sheet_name)
        _write_sheet(ws, tbl, county_code, county_name, period, villages)

    workbook.save(path)


def write_template_sheet(
    ws: Worksheet,
    tbl: Table,
    *,
    county_code: str,
    county_name: str,
    period: str,
    villages: Sequence[TemplateVillage],
) -> None:
    """Lay out one table of the form on an existing sheet, for writers that fill it in place
    (the simulator) instead of saving a blank workbook and opening it again."""
    _check_arguments(county_code, period, villages)
    _write_sheet(ws, tbl, county_code, county_name, period, villages)


def _check_arguments(county_code: str, period: str, villages: Sequence[TemplateVillage]) -> None:
    if not re.fullmatch(r"\d{6}", county_code):
        raise ValueError(f"county_code must be 6 digits: {county_code!r}")

    if not REPORTING_MONTH.fullmatch(period):
        raise ValueError(f"period must be YYYY-MM: {period!r}")

    bad = [v.code for v in villages if not re.fullmatch(r"\d{12}", v.code)]
    if bad:
        raise ValueError(f"village codes must be 12 digits: {bad}")


def period_label(period: str) -> str:
    """'2020-03' → '2020年3月'."""
    year, month = period.split("-")
    return f"{int(year)}年{int(month)}月"


def _write_sheet(
    ws: Worksheet,
    tbl: Table,
    county_code: str,
    county_name: str,
    period: str,
    villages: Sequence[TemplateVillage],
) -> None:
    width = len(tbl.indicators)
    _title(ws, tbl, county_name, width)
    _info_line(ws, county_code, county_name, period, width)

    first_data = _header(ws, tbl)
    rows = _data_rows(tbl, villages)
    _fill_rows(ws, tbl, first_data, rows)
    _validate(ws, tbl, first_data, max(len(rows), 1))

    _footer(ws, first_data + len(rows) + 1)
    _layout(ws, tbl, first_data)


def _title(ws: Worksheet, tbl: Table, county_name: str, width: int) -> None:
    ws.cell(TITLE_ROW, 1, f"{county_name}{form.FORM_TITLE}（{tbl.sheet_name}）")
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
    ws.cell(TITLE_ROW, 1).font = Font(size=16, bold=True)
    ws.cell(TITLE_ROW, 1).alignment = _CENTER
    ws.row_dimensions[TITLE_ROW].height = 30


def _info_line(ws: Worksheet, county_code: str, county_name: str, period: str, width: int) -> None:
    """填报单位 on the left, 行政区划代码 in the middle, 报告期 on the right."""
    texts = (f"填报单位：{county_name}", f"行政区划代码：{county_code}",
             f"报告期：{period_label(period)}")
    starts = [1, max(2, width // 3 + 1), max(3, 2 * width // 3 + 1)]
    ends = [starts[1] - 1, starts[2] - 1, max(width, starts[2])]

    for text, start, end in zip(texts, starts, ends, strict=True):
        ws.cell(INFO_ROW, start, text)
        if end > start:
            ws.merge_cells(start_row=INFO_ROW, start_column=start, end_row=INFO_ROW, end_column=end)


def _header(ws: Worksheet, tbl: Table) -> int:
    """Write the header; return the first data row."""
    two_rows = any(i.group for i in tbl.indicators)
    bottom = HEADER_ROW + 1 if two_rows else HEADER_ROW

    for col, indicator in enumerate(tbl.indicators, start=1):
        if indicator.group:
            ws.cell(bottom, col, indicator.label)
        else:
            ws.cell(HEADER_ROW, col, indicator.label)
            if two_rows:
                _merge(ws, HEADER_ROW, col, bottom, col)

    for group, first, last in _group_runs(tbl.indicators):
        ws.cell(HEADER_ROW, first, group)
        if last > first:
            _merge(ws, HEADER_ROW, first, HEADER_ROW, last)

    for row in range(HEADER_ROW, bottom + 1):
        for col in range(1, len(tbl.indicators) + 1):
            cell = ws.cell(row, col)
            cell.font, cell.alignment, cell.border = Font(bold=True), _CENTER, _BORDER
            cell.fill = _HEADER_FILL
    return bottom + 1


def _merge(ws: Worksheet, top: int, left: int, bottom: int, right: int) -> None:
    ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)


def _group_runs(indicators: Sequence[Indicator]) -> list[tuple[str, int, int]]:
    """(group, first column, last column) of each run of neighbouring grouped columns."""
    runs: list[tuple[str, int, int]] = []
    for col, indicator in enumerate(indicators, start=1):
        if not indicator.group:
            continue
        if runs and runs[-1][0] == indicator.group and runs[-1][2] == col - 1:
            runs[-1] = (indicator.group, runs[-1][1], col)
        else:
            runs.append((indicator.group, col, col))
    return runs


def _data_rows(tbl: Table, villages: Sequence[TemplateVillage]) -> list[dict[str, str]]:
    """The pre-filled part of each data row, by indicator id."""
    if tbl.key == "village_code":
        return [{"village_code": v.code, "township": v.township, "village_name": v.name}
                for v in villages]

    if tbl.key == "source":
        return [{"source": source} for source in tbl.fixed_keys]

    return [{}]


def _fill_rows(ws: Worksheet, tbl: Table, first: int, rows: list[dict[str, str]]) -> None:
    for offset, prefilled in enumerate(rows):
        for col, indicator in enumerate(tbl.indicators, start=1):
            cell = ws.cell(first + offset, col, prefilled.get(indicator.id))
            cell.border = _BORDER
            cell.number_format = _NUMBER_FORMATS.get(indicator.kind, "General")
            if indicator.id in prefilled:
                cell.fill = _KEY_FILL


def _validate(ws: Worksheet, tbl: Table, first: int, count: int) -> None:
    for col, indicator in enumerate(tbl.indicators, start=1):
        validation = _validation(indicator)
        if validation is None:
            continue
        letter = get_column_letter(col)
        validation.add(f"{letter}{first}:{letter}{first + count - 1}")
        ws.add_data_validation(validation)


def _validation(indicator: Indicator) -> DataValidation | None:
    kind = indicator.kind
    if kind is Kind.COUNT:
        rule = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
        prompt = "请填写不小于0的整数。" + _BLANK_HINT
    elif kind is Kind.DECIMAL:
        rule = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
        prompt = f"请填写数字，保留{indicator.scale}位小数。" + _BLANK_HINT
    elif kind is Kind.PERCENT:
        rule = DataValidation(type="decimal", operator="between", formula1="0", formula2="100")
        prompt = "请填写0到100之间的数，如2.5表示2.5%。" + _BLANK_HINT
    elif kind is Kind.YES_NO:
        rule = DataValidation(type="list", formula1='"是,否"')
        prompt = "请选择“是”或“否”。"
    elif kind is Kind.CODE12:
        rule = DataValidation(type="textLength", operator="equal", formula1="12")
        prompt = "12位村代码，按文本填写。"
    elif kind is Kind.SOURCE:
        rule = DataValidation(type="list", formula1='"' + ",".join(form.SOURCES) + '"')
        prompt = "问题来源，请勿修改。"
    else:
        return None

    rule.allow_blank = True
    rule.errorStyle = "warning"  # "—" and "无" must stay possible
    rule.showErrorMessage = rule.showInputMessage = True
    rule.promptTitle = indicator.label[:32]
    rule.prompt = prompt
    rule.errorTitle = "请核对"
    rule.error = f"“{indicator.label}”的填写不符合要求。" + (
        _BLANK_HINT if indicator.is_numeric else ""
    )
    return rule


def _footer(ws: Worksheet, row: int) -> None:
    """Label cells with an underlined input cell after each."""
    for index, label in enumerate(form.FOOTER_FIELDS):
        label_col = 2 * index + 1
        ws.cell(row, label_col, f"{label}：").alignment = Alignment(horizontal="right")
        ws.cell(row, label_col + 1).border = _UNDERLINE
    ws.row_dimensions[row].height = 24


def _layout(ws: Worksheet, tbl: Table, first_data: int) -> None:
    for col, indicator in enumerate(tbl.indicators, start=1):
        width = 16 if indicator.kind is Kind.CODE12 else min(max(len(indicator.label) * 2, 10), 22)
        ws.column_dimensions[get_column_letter(col)].width = width

    ws.freeze_panes = ws.cell(first_data, 1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
