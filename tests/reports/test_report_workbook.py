"""The workbook: its sheets, the heat map as fills, a native chart, and no formula injection."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree
from openpyxl import Workbook, load_workbook

from orchestration.reports import formatting as fmt
from orchestration.reports.workbook import HEADER_ROW, HEAT_MAP_HEADER_ROW, put

from .conftest import REPORT_MONTH, Built

SHEETS = ["总览", "逐月进度", "报送情况", "及时性热图", "省级", "省直部门", "市州", "县级"]


@pytest.fixture(scope="module")
def book(built: Built) -> Workbook:
    return load_workbook(built.files.xlsx)


@pytest.mark.slow
def test_workbook_has_one_sheet_per_section(built: Built, book: Workbook) -> None:
    assert built.files.xlsx.name == f"月调度报告_{REPORT_MONTH}.xlsx"
    assert book.sheetnames == SHEETS
    for sheet in book:
        assert sheet.freeze_panes is not None, sheet.title
        assert "模拟数据" in str(sheet["A2"].value), sheet.title
    header = book["省级"].cell(row=HEADER_ROW, column=3).value
    assert header == "目标人数（人）\ntarget_persons"


@pytest.mark.slow
def test_heat_map_fills_match_the_timeliness_table(built: Built, book: Workbook) -> None:
    sheet = book["及时性热图"]
    months = [cell.value for cell in sheet[HEAT_MAP_HEADER_ROW][3:]]
    rows = {row[2].value: row for row in sheet.iter_rows(min_row=HEAT_MAP_HEADER_ROW + 1)}
    # Three county-months of each status.
    timeliness = built.query(
        "select county_code, period, timeliness from dispatch.dispatch_county_timeliness "
        "where period <= ? qualify row_number() over "
        "(partition by timeliness order by county_code, period) <= 3", [REPORT_MONTH],
    )

    assert len(rows) == 75
    assert months[-1] == REPORT_MONTH
    # Every status but "held" (a county whose every file broke its own arithmetic) occurs
    # in the messy year up to the report's month.
    found = {status for _, _, status in timeliness}
    assert {"on_time", "corrected", "late", "missing"} <= found <= set(fmt.STATUS_BY_ID)
    for county_code, period, status_id in timeliness:
        cell = rows[county_code][3 + months.index(period)]
        status = fmt.STATUS_BY_ID[status_id]
        assert cell.value == status.short_zh, (county_code, period)
        assert cell.fill.fgColor.rgb[-6:] == status.color.lstrip("#").upper()


@pytest.mark.slow
def test_progress_sheet_has_a_native_chart_and_number_formats(built: Built, book: Workbook) -> None:
    sheet = book["逐月进度"]
    [(unlifted,)] = built.query("select unlifted_persons from dispatch.dispatch_monthly_overview "
                                "where period = ?", [REPORT_MONTH])
    last = sheet.max_row
    assert sheet.cell(row=last, column=1).value == REPORT_MONTH
    assert sheet.cell(row=last, column=3).value == unlifted
    assert sheet.cell(row=last, column=3).number_format == "#,##0"
    with zipfile.ZipFile(built.files.xlsx) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        assert charts
        kinds = {element.tag.rsplit("}", 1)[-1] for name in charts
                 for element in ElementTree.fromstring(archive.read(name)).iter()}
    assert {"lineChart", "barChart"} <= kinds


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "=HYPERLINK(\"x\")"])
def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path, text: str) -> None:
    sheet = (book := Workbook()).active
    put(sheet, 1, 1, text)
    put(sheet, 2, 1, "宕昌县")
    put(sheet, 3, 1, -5)
    book.save(tmp_path / "t.xlsx")

    with zipfile.ZipFile(tmp_path / "t.xlsx") as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    cell, name, number = load_workbook(tmp_path / "t.xlsx").active["A"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert (name.value, name.quotePrefix) == ("宕昌县", False)
    assert (number.value, number.data_type) == (-5, "n")
