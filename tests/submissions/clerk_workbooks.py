"""Workbooks and CSVs made the way county clerks make them, for the submission tests.

A sheet is a list of rows of cell values, written at A1 onwards, plus merged ranges and
number formats. ``standard_sheets`` gives a complete valid submission of 宕昌县 for March
2020 that each test changes in the one respect it is about.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from orchestration.submissions import ParsedSubmission, Value, read_submission
from orchestration.submissions.form import SOURCES, T1, T2, T3, T4, Table

FILER, PHONE, REVIEWER = "张三丰", "13912345678", "李四光"
INFO = ["填报单位：宕昌县", None, None, "行政区划代码：621223", None, None, "报告期：2020年3月"]
FOOTER = [f"填报人：{FILER}", None, f"联系电话：{PHONE}", None, f"审核人：{REVIEWER}", None,
          "填报日期：2020年3月24日"]

T1_DATA = [52000, 50000, 600, 2000, 150, 300, 120, 5, 2, 40, 800, 60, 55]
T2_DATA = [
    ["621223100001", "城关镇", "新坪村", "是", "否", 3.5, "否", 2, 1, 5.2, 1, "是", "是"],
    ["621223100002", "哈达铺镇", "红旗村", "否", "否", 12.25, "否", 1, 0, 0.8, 2, "是", "否"],
]
T3_DATA = [0, 12, 1, 3, 0, 4, 2, 0]
T4_DATA = [[source, 10 + i, 8 + i] for i, source in enumerate(SOURCES)]


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]
    merges: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)


def labels(tbl: Table) -> list[object]:
    return [i.label for i in tbl.indicators]


def form_sheet(
    tbl: Table,
    data: list[list[object]],
    *,
    header: list[list[object]] | None = None,
    info: list[list[object]] | None = None,
    footer: list[list[object]] | None = None,
) -> Sheet:
    """Title (merged), info line, header, data, one empty row, footer."""
    header = header if header is not None else [labels(tbl)]
    width = max(len(r) for r in header)
    rows: list[list[object]] = [["宕昌县脱贫攻坚挂牌督战工作进展月报表"]]
    rows += info if info is not None else [INFO]
    rows += header + data + [[]]
    rows += footer if footer is not None else [FOOTER]
    return Sheet(tbl.sheet_name, rows, merges=[f"A1:{get_column_letter(width)}1"])


def standard_sheets() -> dict[str, Sheet]:
    return {
        "t1": form_sheet(T1, [list(T1_DATA)]),
        "t2": form_sheet(T2, [list(r) for r in T2_DATA]),
        "t3": form_sheet(T3, [list(T3_DATA)]),
        "t4": form_sheet(T4, [list(r) for r in T4_DATA]),
    }


def save(path: Path, sheets: dict[str, Sheet] | list[Sheet]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets.values() if isinstance(sheets, dict) else sheets:
        ws = workbook.create_sheet(sheet.name)
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        for ref in sheet.merges:
            ws.merge_cells(ref)
        for ref, number_format in sheet.formats.items():
            ws[ref].number_format = number_format
    workbook.save(path)
    return path


def hash_personal(text: str) -> str:
    return "h:" + hashlib.sha256(("test-key|" + text).encode()).hexdigest()


def read(path: Path, declared_period: str | None = "2020-03") -> ParsedSubmission:
    return read_submission(path, declared_period=declared_period, hash_personal=hash_personal)


def value_of(parsed: ParsedSubmission, table: str, indicator: str, row_key: str = "") -> Value:
    matches = [v for v in parsed.values
               if (v.table, v.row_key, v.indicator) == (table, row_key, indicator)]
    assert len(matches) == 1, f"{table}/{row_key}/{indicator}: {matches}"
    return matches[0]


def codes(parsed: ParsedSubmission) -> list[str]:
    return [f.code for f in parsed.findings]


def only(parsed: ParsedSubmission, code: str):
    found = [f for f in parsed.findings if f.code == code]
    assert len(found) == 1, f"{code}: {parsed.findings}"
    return found[0]


def set_sheet_xml(path: Path, member: str, edit) -> None:
    """Rewrite one part of a saved workbook, e.g. to add what Excel would have stored."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[member] = edit(parts[member].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def add_cached_value(xml: str, ref: str, value: str) -> str:
    """Turn openpyxl's <c r="X"><f>..</f><v/></c> into one with a computed result."""
    pattern = re.compile(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/>')
    assert pattern.search(xml), xml
    return pattern.sub(rf"\1<v>{value}</v>", xml)


CSV_HEADER = "county_code,period,table,row_key,indicator,value"


def long_csv_lines() -> list[str]:
    """A complete valid long CSV of the standard submission."""
    lines = [CSV_HEADER]
    for tbl, rows in ((T1, [T1_DATA]), (T3, [T3_DATA])):
        lines += _csv_rows(tbl, rows)
    lines += _csv_rows(T2, T2_DATA)
    lines += _csv_rows(T4, T4_DATA)
    return lines


def _csv_rows(tbl: Table, rows: list[list[object]]) -> list[str]:
    out = []
    for row in rows:
        key, values = (str(row[0]), row[1:]) if tbl.key else ("", row)
        for indicator, value in zip(tbl.value_indicators, values, strict=True):
            out.append(f"621223,2020-03,{tbl.id},{key},{indicator.id},{value}")
    return out
