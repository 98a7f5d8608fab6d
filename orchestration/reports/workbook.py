"""The report as a workbook for officials: one sheet per section, Chinese headers first.

Cells hold numbers as numbers (with a display format), so officials can sum and filter.
Every text cell goes through :func:`put`, which stores text that Excel would read as a
formula (= + - @) as plain text: names and labels come from county files, and a workbook
must not run what a clerk typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from orchestration.lib.spreadsheet import FORMULA_PREFIXES

from . import formatting as fmt
from .data import DispatchData, Row

PERSONS = "#,##0"
PERCENT = '0.0"%"'
HEADER_ROW = 3
# The heat map has its legend above the header.
HEAT_MAP_HEADER_ROW = 4
TITLE_FONT = Font(bold=True, size=14, color="8B1A1A")
BANNER_FONT = Font(bold=True, color="7A1F1C")
BANNER_FILL = PatternFill("solid", fgColor="FFF3CD")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center")
SIMULATED_TEXT = ("模拟数据 SIMULATED：本表月度数字来自模拟报送，不是官方统计。"
                  "The monthly figures are simulated, not official statistics.")


def put(sheet: Worksheet, row: int, column: int, value: object,
        number_format: str | None = None) -> Cell:
    """Write one cell; text that looks like a formula is kept as text, never evaluated.

    Control characters (a NUL byte from a broken file, quoted in a finding) cannot be
    stored in a worksheet: they are shown as U+FFFD instead of failing the workbook.
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        # openpyxl took the text for a formula; store it as a string instead, with Excel's
        # quote prefix so that editing the cell in Excel keeps it text as well.
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format and not isinstance(value, str):
        cell.number_format = number_format
    return cell


@dataclass(frozen=True)
class XColumn:
    """One sheet column: Chinese header, English id, value of a row, format and width."""

    label_zh: str
    id: str
    value: Callable[[Row], object]
    number_format: str | Callable[[Row], str] | None = None
    width: float = 12

    def format_for(self, row: Row) -> str | None:
        return self.number_format(row) if callable(self.number_format) else self.number_format


def write_workbook(data: DispatchData, path: Path) -> Path:
    """Write the report workbook to ``path``."""
    book = Workbook()
    book.remove(book.active)
    _overview_sheet(book.create_sheet("总览"), data)
    _trend_sheet(book.create_sheet("逐月进度"), data)
    _submissions_sheet(book.create_sheet("报送情况"), data)
    _heat_map_sheet(book.create_sheet("及时性热图"), data)
    _province_sheet(book.create_sheet("省级"), data)
    _table_sheet(book.create_sheet("省直部门"), data, "省直部门专项目标 department targets",
                 DEPARTMENT_COLUMNS, data.departments)
    _table_sheet(book.create_sheet("市州"), data, "市州未退出贫困村 villages by prefecture",
                 PREFECTURE_COLUMNS, data.prefectures)
    _table_sheet(book.create_sheet("县级"), data, "县级人口 people by county",
                 COUNTY_COLUMNS, data.counties)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _heading(sheet: Worksheet, data: DispatchData, title: str) -> None:
    put(sheet, 1, 1, f"甘肃省挂牌督战月调度报告 {data.month} · {title}").font = TITLE_FONT
    if data.is_simulated:
        banner = put(sheet, 2, 1, SIMULATED_TEXT)
        banner.font = BANNER_FONT
        banner.fill = BANNER_FILL


def _write_table(sheet: Worksheet, columns: Sequence[XColumn], rows: Sequence[Row],
                 first_row: int = HEADER_ROW) -> int:
    """Header (Chinese, English id below) and rows; returns the last row written."""
    for index, column in enumerate(columns, start=1):
        cell = put(sheet, first_row, index, f"{column.label_zh}\n{column.id}")
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[first_row].height = 32
    for offset, row in enumerate(rows, start=1):
        for index, column in enumerate(columns, start=1):
            put(sheet, first_row + offset, index, column.value(row), column.format_for(row))
    return first_row + len(rows)


def _table_sheet(sheet: Worksheet, data: DispatchData, title: str,
                 columns: Sequence[XColumn], rows: Sequence[Row]) -> int:
    _heading(sheet, data, title)
    last = _write_table(sheet, columns, rows)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=2)
    return last


def _overview_sheet(sheet: Worksheet, data: DispatchData) -> None:
    now, before = data.current, data.previous or {}
    rows = []
    for label_zh, key, unit in OVERVIEW_FIGURES:
        value = _number(now.get(key))
        previous = _number(before.get(key))
        change = value - previous if isinstance(value, int | float) and isinstance(
            previous, int | float) else None
        rows.append({"label_zh": label_zh, "id": key, "unit": unit, "value": value,
                     "previous": previous, "change": change})
    _table_sheet(sheet, data, "总览 overview", OVERVIEW_COLUMNS, rows)


def _number(value: object) -> object:
    """Decimals (万人) as floats, so Excel formats them as numbers."""
    return float(value) if value is not None and not isinstance(value, int | bool) else value


def _trend_sheet(sheet: Worksheet, data: DispatchData) -> None:
    province = {row["period"]: row for row in data.province_trend}
    rows = [dict(row, **{f"province_{k}": v for k, v in province.get(row["period"], {}).items()})
            for row in data.overview]
    last = _table_sheet(sheet, data, "逐月清零进度 progress to zero by month", TREND_COLUMNS,
                        rows)
    _line_chart(sheet, "未脱贫人口（人） persons not yet lifted", (3, 4), last, "A", 22)
    _line_chart(sheet, "未退出贫困村与3+1未清零问题 villages and open gaps", (5, 6, 7), last,
                "A", 42)


def _line_chart(sheet: Worksheet, title: str, columns: tuple[int, ...], last: int,
                anchor_column: str, offset_rows: int) -> None:
    chart = LineChart()
    chart.title = title
    chart.height, chart.width = 7.5, 22
    chart.y_axis.numFmt = PERSONS
    chart.y_axis.title = "数量 count"
    for column in columns:
        values = Reference(sheet, min_col=column, min_row=HEADER_ROW, max_row=last)
        chart.add_data(values, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=HEADER_ROW + 1, max_row=last))
    sheet.add_chart(chart, f"{anchor_column}{max(last + 3, offset_rows)}")


def _submissions_sheet(sheet: Worksheet, data: DispatchData) -> None:
    order = {status.id: index for index, status in enumerate(reversed(fmt.STATUSES))}
    rows = sorted(data.timeliness_for(data.month),
                  key=lambda r: (order[r["timeliness"]], r["prefecture_code"], r["county_code"]))
    last = _table_sheet(sheet, data, "报送情况 submissions", SUBMISSION_COLUMNS, rows)
    status_column = 4
    for row_number in range(HEADER_ROW + 1, last + 1):
        _fill_status(sheet.cell(row=row_number, column=status_column),
                     sheet.cell(row=row_number, column=status_column + 1).value)


def _fill_status(cell: Cell, status_id: object) -> None:
    status = fmt.STATUS_BY_ID.get(str(status_id))
    if status is None:
        return
    cell.fill = PatternFill("solid", fgColor=status.color.lstrip("#").upper())
    cell.font = Font(color=status.text_color.lstrip("#").upper(), bold=True)
    cell.alignment = CENTER


def _heat_map_sheet(sheet: Worksheet, data: DispatchData) -> None:
    _heading(sheet, data, "报送及时性热图 timeliness by county and month")
    header = HEAT_MAP_HEADER_ROW
    legend = "图例 legend:  " + "   ".join(f"{s.short_zh} = {s.label_zh} {s.id}"
                                         for s in fmt.STATUSES)
    put(sheet, header - 1, 1, legend).font = Font(italic=True)
    for index, label in enumerate(("市州\nprefecture", "县\ncounty", "代码\ncounty_code"), 1):
        cell = put(sheet, header, index, label)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
    for offset, month in enumerate(data.months):
        cell = put(sheet, header, 4 + offset, month)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, CENTER
        sheet.column_dimensions[get_column_letter(4 + offset)].width = 8.5
    sheet.row_dimensions[header].height = 32
    for column, width in (("A", 16), ("B", 18), ("C", 9)):
        sheet.column_dimensions[column].width = width
    _heat_map_rows(sheet, data)
    sheet.freeze_panes = sheet.cell(row=header + 1, column=4)


def _heat_map_rows(sheet: Worksheet, data: DispatchData) -> None:
    by_county: dict[str, dict[str, Row]] = {}
    for row in data.timeliness:
        by_county.setdefault(row["county_code"], {})[row["period"]] = row
    for row_number, cells in enumerate(by_county.values(), start=HEAT_MAP_HEADER_ROW + 1):
        first = next(iter(cells.values()))
        put(sheet, row_number, 1, first["prefecture_name"] or first["prefecture_code"])
        put(sheet, row_number, 2, first["county_name"])
        put(sheet, row_number, 3, first["county_code"])
        for offset, month in enumerate(data.months):
            status_id = cells[month]["timeliness"] if month in cells else "missing"
            cell = put(sheet, row_number, 4 + offset, fmt.STATUS_BY_ID[status_id].short_zh)
            _fill_status(cell, status_id)


def _province_sheet(sheet: Worksheet, data: DispatchData) -> None:
    last = _table_sheet(sheet, data, "8个挂牌督战县 the 8 counties against their targets",
                        PROVINCE_COLUMNS, data.province)
    chart = BarChart()
    chart.type = "bar"
    chart.title = "目标人数与剩余未脱贫 target vs remaining persons"
    chart.height, chart.width = 9, 20
    chart.y_axis.numFmt = PERSONS
    for column in (3, 4):
        chart.add_data(Reference(sheet, min_col=column, min_row=HEADER_ROW, max_row=last),
                       titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=HEADER_ROW + 1, max_row=last))
    sheet.add_chart(chart, f"A{last + 3}")


def _status_label(row: Row) -> str:
    return fmt.STATUS_BY_ID[row["timeliness"]].label_zh


BALANCE_ZH = {"balanced": "平衡", "gap": "有差额", "no_previous_month": "上月无数据"}
SCOPE_ZH = {"unexited_village": "未退出贫困村", "county": "挂牌县"}


OVERVIEW_FIGURES = (
    ("贫困县（调度范围）", "scope_counties", "个"),
    ("已报送县", "counties_reported", "个"),
    ("未报送县", "counties_missing", "个"),
    ("报表暂扣县", "counties_held", "个"),
    ("逾期报送县", "counties_late", "个"),
    ("重报县", "counties_resubmitted", "个"),
    ("贫困村（调度范围）", "scope_villages", "个"),
    ("报送贫困村", "poor_villages_reported", "个"),
    ("建档立卡贫困人口（调度范围）", "scope_people_wan", "万人"),
    ("报送建档立卡贫困人口", "registered_poor_reported", "人"),
    ("挂牌督战县", "focus_counties", "个"),
    ("具备摘帽条件县", "focus_counties_ready", "个"),
    ("未退出贫困村（督战）", "focus_villages", "个"),
    ("尚未退出贫困村", "focus_villages_remaining", "个"),
    ("未脱贫人口（督战）", "focus_people_wan", "万人"),
    ("尚未脱贫人口（已报送县）", "unlifted_persons", "人"),
    ("8个挂牌县尚未脱贫", "focus_persons_remaining", "人"),
    ("返贫风险人口", "return_risk_persons", "人"),
    ("致贫风险人口", "marginal_risk_persons", "人"),
)

def _figure_format(row: Row, sign: str) -> str:
    """Whole numbers with separators; 万人 figures with the plan's decimals."""
    body = "#,##0.00" if row["unit"] == "万人" else "#,##0"
    return f"{sign}{body};-{body};0" if sign else body


OVERVIEW_COLUMNS = (
    XColumn("指标", "label_zh", lambda r: r["label_zh"], width=28),
    XColumn("字段", "id", lambda r: r["id"], width=26),
    XColumn("单位", "unit", lambda r: r["unit"], width=8),
    XColumn("本月", "value", lambda r: r["value"], lambda r: _figure_format(r, ""), 14),
    XColumn("上月", "previous", lambda r: r["previous"], lambda r: _figure_format(r, ""), 14),
    XColumn("变化", "change", lambda r: r["change"], lambda r: _figure_format(r, "+"), 12),
)

TREND_COLUMNS = (
    XColumn("报告期", "period", lambda r: r["period"], width=10),
    XColumn("报送县", "counties_reported", lambda r: r["counties_reported"], PERSONS, 10),
    XColumn("未脱贫人口（人）", "unlifted_persons", lambda r: r["unlifted_persons"], PERSONS, 16),
    XColumn("8县剩余（人）", "focus_persons_remaining",
            lambda r: r["focus_persons_remaining"], PERSONS, 16),
    XColumn("394村未退出", "focus_villages_remaining",
            lambda r: r["focus_villages_remaining"], PERSONS, 14),
    XColumn("8县未退出村", "villages_remaining", lambda r: r.get("province_villages_remaining"),
            PERSONS, 14),
    XColumn("3+1未清零", "open_gaps", lambda r: r.get("province_open_gaps"), PERSONS, 12),
    XColumn("返贫风险（人）", "return_risk_persons", lambda r: r["return_risk_persons"],
            PERSONS, 14),
    XColumn("致贫风险（人）", "marginal_risk_persons", lambda r: r["marginal_risk_persons"],
            PERSONS, 14),
)

SUBMISSION_COLUMNS = (
    XColumn("县", "county_name", lambda r: r["county_name"], width=18),
    XColumn("代码", "county_code", lambda r: r["county_code"], width=9),
    XColumn("市州", "prefecture_name", lambda r: r["prefecture_name"], width=16),
    XColumn("状态", "timeliness_zh", _status_label, width=11),
    XColumn("状态代码", "timeliness", lambda r: r["timeliness"], width=11),
    XColumn("版本数", "versions", lambda r: r["versions"], PERSONS, 8),
    XColumn("首次收到（北京时间）", "first_received", lambda r: r["first_received"], width=20),
    XColumn("最后收到（北京时间）", "last_received", lambda r: r["last_received"], width=20),
)

PROVINCE_COLUMNS = (
    XColumn("县", "county_name", lambda r: r["county_name"], width=14),
    XColumn("组长单位", "lead_unit", lambda r: r["lead_unit"], width=22),
    XColumn("目标人数（人）", "target_persons", lambda r: r["target_persons"], PERSONS, 13),
    XColumn("剩余未脱贫（人）", "persons_remaining", lambda r: r["persons_remaining"], PERSONS, 14),
    XColumn("减贫进度", "persons_progress_pct", lambda r: r["persons_progress_pct"], PERCENT, 10),
    XColumn("目标退出村", "target_villages_to_exit", lambda r: r["target_villages_to_exit"],
            PERSONS, 11),
    XColumn("未退出村", "villages_remaining", lambda r: r["villages_remaining"], PERSONS, 10),
    XColumn("辍学", "dropouts", lambda r: r["dropouts"], PERSONS, 8),
    XColumn("危房", "unsafe_houses_outstanding", lambda r: r["unsafe_houses_outstanding"],
            PERSONS, 8),
    XColumn("无合格村医村", "villages_without_doctor", lambda r: r["villages_without_doctor"],
            PERSONS, 10),
    XColumn("未参保", "uninsured_registered_poor", lambda r: r["uninsured_registered_poor"],
            PERSONS, 9),
    XColumn("冻管", "frozen_pipes_outstanding", lambda r: r["frozen_pipes_outstanding"],
            PERSONS, 8),
    XColumn("饮水不安全村", "villages_without_safe_water",
            lambda r: r["villages_without_safe_water"], PERSONS, 10),
    XColumn("3+1未清零", "open_gaps", lambda r: r["open_gaps"], PERSONS, 10),
    XColumn("具备摘帽条件", "ready_for_delisting",
            lambda r: ("是" if r["ready_for_delisting"] else "否") if r["reported"] else "未报送",
            width=12),
)

DEPARTMENT_COLUMNS = (
    XColumn("督战部门", "department", lambda r: r["department"], width=14),
    XColumn("目标", "label_zh", lambda r: r["label_zh"], width=40),
    XColumn("target", "label_en", lambda r: r["label_en"], width=44),
    XColumn("对象", "scope", lambda r: SCOPE_ZH.get(r["scope"], r["scope"]), width=14),
    XColumn("对象数", "subjects", lambda r: r["subjects"], PERSONS, 8),
    XColumn("达标数", "subjects_meeting", lambda r: r["subjects_meeting"], PERSONS, 8),
    XColumn("达标比例", "share_meeting_pct", lambda r: r["share_meeting_pct"], PERCENT, 9),
    XColumn("未清零数", "measured_total", lambda r: r["measured_total"], PERSONS, 9),
    XColumn("目标实现", "target_met", lambda r: "是" if r["target_met"] else "否", width=9),
)

PREFECTURE_COLUMNS = (
    XColumn("市州", "prefecture_name", lambda r: r["prefecture_name"], width=16),
    XColumn("应退出村", "villages_to_exit", lambda r: r["villages_to_exit"], PERSONS, 10),
    XColumn("已退出", "villages_exited", lambda r: r["villages_exited"], PERSONS, 10),
    XColumn("未退出", "villages_remaining", lambda r: r["villages_remaining"], PERSONS, 10),
    XColumn("高发生率村", "high_incidence_villages", lambda r: r["high_incidence_villages"],
            PERSONS, 11),
    XColumn("其中已退出", "high_incidence_exited", lambda r: r["high_incidence_exited"],
            PERSONS, 11),
    XColumn("挂牌村已退出", "named_villages_exited", lambda r: r["named_villages_exited"],
            PERSONS, 12),
)

COUNTY_COLUMNS = (
    XColumn("县", "county_name", lambda r: r["county_name"], width=18),
    XColumn("市州", "prefecture_name", lambda r: r["prefecture_name"], width=16),
    XColumn("未脱贫人口", "unlifted_persons", lambda r: r["unlifted_persons"], PERSONS, 12),
    XColumn("本月脱贫", "lifted_this_month", lambda r: r["lifted_this_month"], PERSONS, 10),
    XColumn("新识别", "newly_identified_this_month", lambda r: r["newly_identified_this_month"],
            PERSONS, 10),
    XColumn("返贫", "returned_this_month", lambda r: r["returned_this_month"], PERSONS, 8),
    XColumn("返贫风险", "return_risk_persons", lambda r: r["return_risk_persons"], PERSONS, 10),
    XColumn("致贫风险", "marginal_risk_persons", lambda r: r["marginal_risk_persons"], PERSONS, 10),
    XColumn("上月未脱贫", "previous_unlifted_persons", lambda r: r["previous_unlifted_persons"],
            PERSONS, 11),
    XColumn("应为", "expected_unlifted_persons", lambda r: r["expected_unlifted_persons"],
            PERSONS, 10),
    XColumn("平衡差额", "balance_gap", lambda r: r["balance_gap"], "+#,##0;-#,##0;0", 10),
    XColumn("平衡状态", "balance_status",
            lambda r: BALANCE_ZH.get(r["balance_status"], r["balance_status"]), width=12),
)
