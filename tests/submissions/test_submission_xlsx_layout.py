"""Workbook layout features: each test changes the standard submission in one respect."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.styles import Border, Side

from orchestration.submissions.form import T1, T2, T3, T4

from .clerk_workbooks import (
    T1_DATA, T2_DATA, Sheet, codes, form_sheet, hash_personal, labels, only,
    read, save, standard_sheets, value_of,
)


def test_standard_submission_reads_clean(tmp_path: Path) -> None:
    parsed = read(save(tmp_path / "宕昌县.xlsx", standard_sheets()))

    assert parsed.findings == ()
    assert parsed.accepted
    assert (parsed.format, parsed.county_code, parsed.county_name) == ("xlsx", "621223", "宕昌县")
    assert (parsed.period, parsed.filled_date) == ("2020-03", date(2020, 3, 24))
    assert len(parsed.values) == 13 + 2 * 12 + 8 + 6 * 2


def test_merged_title_row_is_skipped(tmp_path: Path) -> None:
    sheets = standard_sheets()

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert sheets["t1"].merges == ["A1:M1"]
    first = value_of(parsed, "t1", "registered_poor_total")
    assert (first.value, first.sheet, first.cell) == (Decimal(52000), "表1 贫困人口", "A4")


def test_two_row_header_with_merged_group_cells(tmp_path: Path) -> None:
    groups = ["", "", "未脱贫", None, "风险监测", None, "本月变动", None, None, None, "", "贫困村", None]
    top = [label if group == "" else group for label, group in zip(labels(T1), groups)]
    bottom = [None if group == "" else label for label, group in zip(labels(T1), groups)]
    sheet = form_sheet(T1, [list(T1_DATA)], header=[top, bottom])
    sheet.merges += ["A3:A4", "B3:B4", "C3:D3", "E3:F3", "G3:J3", "K3:K4", "L3:M3"]
    sheets = standard_sheets() | {"t1": sheet}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    assert value_of(parsed, "t1", "registered_poor_total").cell == "A5"
    unlifted = value_of(parsed, "t1", "unlifted_persons")
    assert (unlifted.value, unlifted.cell) == (Decimal(2000), "D5")
    assert value_of(parsed, "t1", "villages_exited_cumulative").value == Decimal(55)


def test_columns_in_a_different_order(tmp_path: Path) -> None:
    order = list(reversed(range(len(T3.indicators))))
    header = [[labels(T3)[i] for i in order]]
    data = [[[0, 12, 1, 3, 0, 4, 2, 7][i] for i in order]]
    sheets = standard_sheets() | {"t3": form_sheet(T3, data, header=header)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    uninsured = value_of(parsed, "t3", "uninsured_registered_poor")
    assert (uninsured.value, uninsured.cell) == (Decimal(7), "A4")
    assert value_of(parsed, "t3", "dropouts").cell == "H4"


def test_labels_with_line_breaks_spaces_and_other_brackets(tmp_path: Path) -> None:
    header = [labels(T1)]
    header[0][0] = "建档立卡贫困人口\n(累计)"
    header[0][12] = " 累计退出\n贫困村 "
    sheets = standard_sheets() | {"t1": form_sheet(T1, [list(T1_DATA)], header=header)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    assert value_of(parsed, "t1", "registered_poor_total").value == Decimal(52000)


def test_extra_column_is_noted_and_ignored(tmp_path: Path) -> None:
    header = [["序号"] + labels(T4) + ["备注"]]
    data = [[n, s, f, r, "已上报"] for n, (s, f, r) in enumerate(
        [[s, 10 + i, 8 + i] for i, s in enumerate(T4.fixed_keys)], start=1)]
    sheets = standard_sheets() | {"t4": form_sheet(T4, data, header=header)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    extra = [f for f in parsed.findings if f.code == "extra_column"]
    assert [(f.severity, f.sheet, f.cell, f.found) for f in extra] == [
        ("info", "表4 问题整改", "A3", "序号"),
        ("info", "表4 问题整改", "E3", "备注"),
    ]
    assert parsed.accepted
    assert value_of(parsed, "t4", "issues_found", "大排查").cell == "C6"


def test_missing_required_column_rejects_the_sheet(tmp_path: Path) -> None:
    header = [labels(T1)[:4] + labels(T1)[5:]]
    data = [T1_DATA[:4] + T1_DATA[5:]]
    sheets = standard_sheets() | {"t1": form_sheet(T1, data, header=header)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    missing = only(parsed, "missing_column")
    assert (missing.severity, missing.sheet) == ("error", "表1 贫困人口")
    assert missing.indicator == "return_risk_persons"
    assert missing.expected == "存在返贫风险的已脱贫人口"
    assert "存在返贫风险的已脱贫人口" in missing.message_zh
    assert not parsed.accepted
    assert [v for v in parsed.values if v.table == "t1"] == []
    assert len([v for v in parsed.values if v.table == "t3"]) == 8


def test_missing_optional_column_is_only_noted(tmp_path: Path) -> None:
    header = [[label for label in labels(T2) if label != "乡镇"]]
    data = [[c for i, c in enumerate(row) if i != 1] for row in T2_DATA]
    sheets = standard_sheets() | {"t2": form_sheet(T2, data, header=header)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert codes(parsed) == ["missing_optional_column"]
    assert parsed.accepted
    assert value_of(parsed, "t2", "village_name", "621223100002").value == "红旗村"


def test_total_row_is_skipped_and_matching_total_is_silent(tmp_path: Path) -> None:
    data = [list(r) for r in T2_DATA] + [[None, "合计", None, None, None, None, None, 3, 1, 6, 3]]
    sheets = standard_sheets() | {"t2": form_sheet(T2, data)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    assert {v.row_key for v in parsed.values if v.table == "t2"} == {"621223100001", "621223100002"}


def test_total_row_that_disagrees_is_a_warning_on_its_cell(tmp_path: Path) -> None:
    data = [[s, 10 + i, 8 + i] for i, s in enumerate(T4.fixed_keys)]
    data.append(["合  计", 75, 60])  # found adds up to 75, rectified to 63
    sheets = standard_sheets() | {"t4": form_sheet(T4, data)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    mismatch = only(parsed, "total_mismatch")
    assert (mismatch.severity, mismatch.sheet, mismatch.cell) == ("warning", "表4 问题整改", "C10")
    assert mismatch.indicator == "issues_rectified"
    assert (mismatch.expected, mismatch.found) == ("63", "60")
    assert parsed.accepted


def test_header_info_in_one_cell(tmp_path: Path) -> None:
    one_cell = [["填报单位：宕昌县      行政区划代码：621223      报告期：2020年3月"]]
    sheets = {k: form_sheet(t, s.rows[3:-2], info=one_cell)
              for (k, s), t in zip(standard_sheets().items(), (T1, T2, T3, T4))}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    assert (parsed.county_name, parsed.county_code, parsed.period) == ("宕昌县", "621223", "2020-03")


def test_header_info_with_labels_and_values_in_separate_cells(tmp_path: Path) -> None:
    several = [["填报单位：", "宕昌县", None, "行政区划代码", 621223, None, "报告期：", "2020年3月"]]
    sheets = {k: form_sheet(t, s.rows[3:-2], info=several)
              for (k, s), t in zip(standard_sheets().items(), (T1, T2, T3, T4))}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    assert (parsed.county_name, parsed.county_code, parsed.period) == ("宕昌县", "621223", "2020-03")


def test_footer_in_one_cell(tmp_path: Path) -> None:
    one_cell = [["填报人：张三丰  联系电话：13912345678  审核人：李四光  填报日期：2020年3月24日"]]
    sheets = standard_sheets() | {"t1": form_sheet(T1, [list(T1_DATA)], footer=one_cell)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    assert parsed.personal.filer == hash_personal("张三丰")
    assert parsed.personal.phone == hash_personal("13912345678")
    assert parsed.personal.reviewer == hash_personal("李四光")
    assert parsed.filled_date == date(2020, 3, 24)


def test_footer_in_several_cells_with_a_real_date(tmp_path: Path) -> None:
    several = [["填报人：", "张三丰", "联系电话：", "139 1234 5678", "审核人：", "李四光",
                "填报日期：", datetime(2020, 3, 23)]]
    sheets = {k: form_sheet(t, s.rows[3:-2], footer=several)
              for (k, s), t in zip(standard_sheets().items(), (T1, T2, T3, T4))}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    assert parsed.personal.filer == hash_personal("张三丰")
    assert parsed.personal.phone == hash_personal("13912345678")
    assert parsed.filled_date == date(2020, 3, 23)


def test_unfilled_footer_is_a_warning(tmp_path: Path) -> None:
    empty = [["填报人：", None, "联系电话：", None, "审核人：", None, "填报日期："]]
    sheets = {k: form_sheet(t, s.rows[3:-2], footer=empty)
              for (k, s), t in zip(standard_sheets().items(), (T1, T2, T3, T4))}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert codes(parsed) == ["missing_footer"]
    assert parsed.personal.filer is None
    assert parsed.accepted


def test_sheets_found_by_number_in_any_order_and_spelling(tmp_path: Path) -> None:
    sheets = standard_sheets()
    sheets["t1"].name, sheets["t2"].name = "表 1", "附表2（贫困村）"
    sheets["t3"].name, sheets["t4"].name = "表３ 三保障", "表4"
    ordered = [Sheet("说明", [["填表说明"]]), sheets["t4"], sheets["t3"], sheets["t2"], sheets["t1"]]

    parsed = read(save(tmp_path / "a.xlsx", ordered))

    assert parsed.findings == ()
    assert value_of(parsed, "t1", "lifted_cumulative").sheet == "表 1"
    assert value_of(parsed, "t3", "dropouts").sheet == "表３ 三保障"


def test_missing_sheet(tmp_path: Path) -> None:
    sheets = standard_sheets()
    del sheets["t3"]

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    missing = only(parsed, "missing_sheet")
    assert (missing.severity, missing.table, missing.expected) == ("error", "t3", "表3 三保障和饮水安全")
    assert not parsed.accepted


def test_trailing_empty_and_styled_rows_are_ignored(tmp_path: Path) -> None:
    path = save(tmp_path / "a.xlsx", standard_sheets())
    workbook = openpyxl.load_workbook(path)
    ws = workbook["表2 贫困村"]
    for row in range(10, 60):
        ws.cell(row, 3).border = Border(bottom=Side(style="thin"))
        ws.cell(row, 5, "   ")
    workbook.save(path)

    parsed = read(path)

    assert parsed.findings == ()
    assert len([v for v in parsed.values if v.table == "t2"]) == 24


def test_second_data_row_in_one_row_table(tmp_path: Path) -> None:
    sheets = standard_sheets() | {"t3": form_sheet(T3, [[0] * 8, [1] * 8])}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    extra = only(parsed, "extra_data_row")
    assert (extra.sheet, extra.cell) == ("表3 三保障和饮水安全", "A5")
    assert value_of(parsed, "t3", "dropouts").value == Decimal(0)


def test_empty_one_row_table(tmp_path: Path) -> None:
    sheets = standard_sheets() | {"t1": form_sheet(T1, [])}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    empty = only(parsed, "no_data_row")
    assert (empty.severity, empty.sheet, empty.cell) == ("error", "表1 贫困人口", "A4")


def test_duplicate_village(tmp_path: Path) -> None:
    data = [list(r) for r in T2_DATA] + [list(T2_DATA[0])]
    sheets = standard_sheets() | {"t2": form_sheet(T2, data)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    duplicate = only(parsed, "duplicate_village")
    assert (duplicate.sheet, duplicate.cell, duplicate.row_key) == ("表2 贫困村", "A6", "621223100001")
    assert "A4" in duplicate.message_zh
    assert not parsed.accepted


def test_village_code_typed_as_number(tmp_path: Path) -> None:
    data = [list(r) for r in T2_DATA]
    data[0][0] = 621223100001
    sheets = standard_sheets() | {"t2": form_sheet(T2, data)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    assert value_of(parsed, "t2", "village_name", "621223100001").value == "新坪村"


def test_village_of_another_county_is_a_warning(tmp_path: Path) -> None:
    data = [list(r) for r in T2_DATA]
    data[1][0] = "621224100002"
    sheets = standard_sheets() | {"t2": form_sheet(T2, data)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    outside = only(parsed, "village_outside_county")
    assert (outside.severity, outside.cell, outside.row_key) == ("warning", "A5", "621224100002")


def test_unknown_and_missing_source(tmp_path: Path) -> None:
    data = [[s, 1, 1] for s in T4.fixed_keys[:5]] + [["群众来信", 2, 2]]
    sheets = standard_sheets() | {"t4": form_sheet(T4, data)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    unknown = only(parsed, "unknown_source")
    assert (unknown.severity, unknown.cell, unknown.found) == ("error", "A9", "群众来信")
    missing = only(parsed, "missing_source")
    assert (missing.severity, missing.row_key) == ("warning", "审计暗访")


def test_period_mismatch_with_the_drop_folder(tmp_path: Path) -> None:
    parsed = read(save(tmp_path / "a.xlsx", standard_sheets()), declared_period="2020-04")

    mismatch = only(parsed, "period_mismatch")
    assert (mismatch.severity, mismatch.sheet, mismatch.cell) == ("warning", "表1 贫困人口", "G2")
    assert (mismatch.expected, mismatch.found) == ("2020-04", "2020-03")
    assert parsed.period == "2020-03"
    assert parsed.accepted


def test_sheets_that_disagree_on_the_county(tmp_path: Path) -> None:
    other = [["填报单位：宕昌县", None, None, "行政区划代码：621224", None, None, "报告期：2020年3月"]]
    sheets = standard_sheets() | {"t3": form_sheet(T3, [[0] * 8], info=other)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    inconsistent = only(parsed, "inconsistent_county")
    assert (inconsistent.sheet, inconsistent.cell) == ("表3 三保障和饮水安全", "D2")
    assert parsed.county_code == "621223"


def test_no_county_code_anywhere(tmp_path: Path) -> None:
    info = [["填报单位：宕昌县", None, None, None, None, None, "报告期：2020年3月"]]
    sheets = {k: form_sheet(t, s.rows[3:-2], info=info)
              for (k, s), t in zip(standard_sheets().items(), (T1, T2, T3, T4))}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert codes(parsed) == ["missing_county_code"]
    assert parsed.county_code is None


def test_two_row_header_whose_first_row_has_one_label(tmp_path: Path) -> None:
    # 问题来源 stands over both header rows without being merged; the group 整改情况 is
    # merged over its two columns, and 其他 over two columns the form does not have.
    header = [["问题来源", "整改情况", None, "其他", None], [None, "发现问题(个)", "已整改(个)", "备注", "责任人"]]
    data = [[s, 10 + i, 8 + i, None, None] for i, s in enumerate(T4.fixed_keys)]
    sheet = form_sheet(T4, data, header=header)
    sheet.merges += ["B3:C3", "D3:E3"]

    parsed = read(save(tmp_path / "a.xlsx", standard_sheets() | {"t4": sheet}))

    assert [(f.code, f.cell, f.found) for f in parsed.findings] == [
        ("extra_column", "D4", "其他/备注"),
        ("extra_column", "E4", "其他/责任人"),
    ]
    found = value_of(parsed, "t4", "issues_found", "中央专项巡视回头看")
    assert (found.value, found.cell) == (Decimal(10), "B5")
