"""The blank template: layout, validation, and template → fill → read with zero findings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from orchestration.submissions.form import SOURCES, TABLES
from orchestration.submissions.template import TemplateVillage, write_template

from .clerk_workbooks import hash_personal, read, value_of

VILLAGES = [
    TemplateVillage("621223100001", "城关镇", "新坪村"),
    TemplateVillage("621223100002", "哈达铺镇", "红旗村"),
    TemplateVillage("621223100003", "理川镇", "杨家村"),
]


def _template(tmp_path: Path) -> Path:
    path = tmp_path / "宕昌县_2020-03.xlsx"
    write_template(path, county_code="621223", county_name="宕昌县", period="2020-03",
                   villages=VILLAGES)
    return path


def test_template_layout(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(_template(tmp_path))

    assert workbook.sheetnames == [t.sheet_name for t in TABLES]
    t2 = workbook["表2 贫困村"]
    assert t2["A1"].value == "宕昌县脱贫攻坚挂牌督战工作进展月报表（表2 贫困村）"
    assert "A1:M1" in {str(r) for r in t2.merged_cells.ranges}
    assert "A3:C3" in {str(r) for r in t2.merged_cells.ranges}  # 村基本情况 over its columns
    assert [t2.cell(2, c).value for c in (1, 5, 9)] == [
        "填报单位：宕昌县", "行政区划代码：621223", "报告期：2020年3月",
    ]
    assert [t2.cell(4, c).value for c in (1, 2, 3)] == ["村代码", "乡镇", "村名"]
    assert [[t2.cell(r, c).value for c in (1, 2, 3)] for r in (5, 6, 7)] == [
        [v.code, v.township, v.name] for v in VILLAGES
    ]
    t4 = workbook["表4 问题整改"]
    assert [t4.cell(r, 1).value for r in range(4, 10)] == list(SOURCES)
    assert t4.cell(11, 1).value == "填报人："


def test_template_validation_and_prompts(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(_template(tmp_path))

    rules = {str(dv.sqref): dv for dv in workbook["表2 贫困村"].data_validations.dataValidation}
    assert rules["D5:D7"].type == "list" and rules["D5:D7"].formula1 == '"是,否"'
    assert rules["H5:H7"].type == "whole" and rules["H5:H7"].formula1 == "0"
    assert rules["F5:F7"].type == "decimal" and rules["F5:F7"].formula2 == "100"
    assert "整数" in rules["H5:H7"].prompt
    assert rules["H5:H7"].errorStyle == "warning"
    t1 = {str(dv.sqref): dv for dv in workbook["表1 贫困人口"].data_validations.dataValidation}
    assert t1["A5"].type == "whole"


def test_blank_template_reads_as_unfilled(tmp_path: Path) -> None:
    parsed = read(_template(tmp_path))

    assert sorted((f.code, f.sheet) for f in parsed.findings) == [
        ("missing_footer", ""),
        ("no_data_row", "表1 贫困人口"),
        ("no_data_row", "表3 三保障和饮水安全"),
    ]
    assert value_of(parsed, "t2", "is_poor_village", "621223100003").value is None


def test_template_fill_read_round_trip(tmp_path: Path) -> None:
    path = _template(tmp_path)
    workbook = openpyxl.load_workbook(path)
    filled = _fill(workbook)
    workbook.save(path)

    parsed = read(path)

    assert parsed.findings == ()
    assert (parsed.county_code, parsed.county_name, parsed.period) == ("621223", "宕昌县", "2020-03")
    assert parsed.filled_date == date(2020, 3, 24)
    assert parsed.personal.filer == hash_personal("王五")
    got = {(v.table, v.row_key, v.indicator): v.value for v in parsed.values}
    assert {k: got[k] for k in filled} == filled
    assert got[("t2", "621223100003", "village_name")] == "杨家村"
    assert got[("t4", "审计暗访", "issues_found")] == Decimal(5 + 2)  # row offset + column


def _fill(workbook: openpyxl.Workbook) -> dict[tuple[str, str, str], object]:
    """Type values the way a clerk would; return what the reader should give back."""
    expected: dict[tuple[str, str, str], object] = {}
    for tbl in TABLES:
        ws = workbook[tbl.sheet_name]
        first = 5 if any(i.group for i in tbl.indicators) else 4
        keys = [""] if not tbl.many_rows else (
            [v.code for v in VILLAGES] if tbl.id == "t2" else list(SOURCES))
        for offset, key in enumerate(keys):
            for col, indicator in enumerate(tbl.indicators, start=1):
                if indicator.id in ("village_code", "township", "village_name", "source"):
                    continue
                typed, written = _sample(indicator.kind.value, offset + col)
                ws.cell(first + offset, col, written)
                expected[(tbl.id, key, indicator.id)] = typed
        footer = first + len(keys) + 1
        for col, text in ((2, "王五"), (4, "0939-5521234"), (6, "赵六"), (8, "2020年3月24日")):
            ws.cell(footer, col, text)
    return expected


def _sample(kind: str, n: int) -> tuple[object, object]:
    if kind == "count":
        return Decimal(n), n
    if kind == "percent":
        return Decimal(f"{n}.25"), n + 0.25
    if kind == "decimal":
        return Decimal(f"{n}.5"), f"{n}.5"
    return (n % 2 == 0), ("是" if n % 2 == 0 else "否")


def test_template_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="period"):
        write_template(tmp_path / "x.xlsx", county_code="621223", county_name="宕昌县",
                       period="2020-3", villages=[])
