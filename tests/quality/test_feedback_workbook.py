"""The feedback workbook survives what county files put in findings: formula-like text stays
text, control characters do not break the workbook."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from orchestration.reports.feedback import CountyFeedback, Finding, subject_zh, write_feedback


def finding(problem: str, found: str) -> Finding:
    return Finding("=HYPERLINK(\"http://x\").xlsx", "表1 贫困人口", "D5", "error", problem,
                   "a whole number", found, "", "", "quarantined", "not_a_number")


def test_formula_text_and_control_characters_are_written_as_plain_text(tmp_path: Path) -> None:
    feedback = CountyFeedback(
        "621223", "宕昌县", "2020-06",
        (("=cmd|' /C calc'!A0.xlsx", "2020-06-20 10:00", "未采用"),),
        (finding("“未脱贫人口”应为整数", "@SUM(A1:A9)"), finding("NUL\x00字节", "+1\r")),
    )

    path = write_feedback(feedback, tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(path).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    texts = {cell.value for cell in cells}
    assert "=cmd|' /C calc'!A0.xlsx" in texts and "@SUM(A1:A9)" in texts
    assert "NUL\ufffd字节" in texts
    assert all(cell.data_type != "f" for cell in cells)
    assert sheet["A2"].value.startswith("发现问题 2 项")


def test_subjects_read_as_the_form_labels() -> None:
    assert subject_zh("unlifted_households <= unlifted_persons") == "未脱贫户数 <= 未脱贫人口"
    assert subject_zh("issues_rectified <= issues_found: 大排查") == "已整改(个) <= 发现问题(个): 大排查"


def test_the_workbook_keeps_its_look_and_reads_back_in_openpyxl_and_calamine(
    tmp_path: Path,
) -> None:
    from python_calamine import CalamineWorkbook

    warning = Finding("宕昌县6月.xlsx", "表1 贫困人口", "D7", "warning", "月度变化异常",
                      "≤ 3.5", "4.2", "0.7", "3.5", "reported", "monthly_change_outlier")
    feedback = CountyFeedback(
        "621223", "宕昌县", "2020-06", (("宕昌县6月.xlsx", "2020-06-20 10:00", "已采用"),),
        (finding("“未脱贫人口”应为整数", "12.5"), warning),
    )
    path = write_feedback(feedback, tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "问题清单"
    title = sheet["A1"]
    assert title.value == "宕昌县（621223）2020-06 月报审核反馈"
    assert title.font.b and title.font.sz == 14 and title.font.color.rgb == "FF8B1A1A"
    header_row = len(feedback.files) + 6  # title, verdict, files heading, files, a gap
    assert sheet.cell(header_row, 1).value == "序号"
    assert sheet.cell(header_row, 1).fill.fgColor.rgb == "FFEEF2F6"
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.column_dimensions["F"].width == 48
    error, warned = sheet[header_row + 1], sheet[header_row + 2]
    assert error[0].value == 1 and isinstance(error[0].value, int)
    assert error[5].value == "“未脱贫人口”应为整数" and error[5].alignment.wrap_text
    assert error[5].fill.fgColor.rgb == "FFFBE3E1"
    assert warned[5].fill.fill_type is None  # a warning is not painted as an error
    assert error[1].quotePrefix  # "=HYPERLINK(...)": text, and stays text when edited
    # A leading tab or carriage return too: some programs drop it and read a formula.
    tabbed = write_feedback(
        CountyFeedback("621223", "宕昌县", "2020-06",
                       (("\t=1+2.xlsx", "2020-06-20 10:00", "未采用"),), ()),
        tmp_path / "tabbed.xlsx",
    )
    assert openpyxl.load_workbook(tabbed).active["A4"].quotePrefix

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("问题清单").to_python()
    # 0-based: the header is rows[header_row - 1], the first finding rows[header_row].
    assert rows[header_row][0] == 1 and rows[header_row + 1][5] == "月度变化异常"

    again = write_feedback(feedback, tmp_path / "again.xlsx")
    assert again.read_bytes() == path.read_bytes()  # the bytes depend only on the content


def test_more_than_a_year_of_months_is_written_by_workers_like_one_month(
    loaded_warehouse, tmp_path: Path, monkeypatch
) -> None:
    from orchestration.lib.paths import ProjectPaths
    from orchestration.reports import assets
    from orchestration.reports.feedback import write_month_feedback

    scratch, _ = loaded_warehouse
    monkeypatch.setenv("DUKAN_WAREHOUSE_DIR", str(tmp_path))
    (tmp_path / "dukan.duckdb").symlink_to(scratch.published)
    paths = ProjectPaths.from_env()
    months = [f"2020-{month:02d}" for month in range(1, 13)] + ["2021-01"]
    assert len(months) >= assets._POOL_FROM_MONTHS  # the worker pool's path

    runs = assets._write_feedback(paths, months)

    assert [len(run.written) for run in runs] == [75] * len(months)
    # A worker's workbook is the one the command writes in its own process.
    june = tmp_path / "feedback" / "2020-06"
    pooled = {path.name: path.read_bytes() for path in june.glob("*.xlsx")}
    alone = write_month_feedback(paths, "2020-06", out_dir=tmp_path / "alone")
    assert len(alone.written) == 75
    assert {path.name: path.read_bytes() for path in alone.written} == pooled


def test_the_verdict_counts_every_finding_by_severity(tmp_path: Path) -> None:
    note = Finding("宕昌县.csv", "", "G1", "info", "此列不是长表的列，已忽略", "", "备注", "", "",
                   "reported", "extra_column")
    feedback = CountyFeedback(
        "621223", "宕昌县", "2020-06", (("宕昌县.csv", "2020-06-20 10:00", "未采用"),),
        (finding("“未脱贫人口”应为整数", "12.5"), note),
    )

    sheet = openpyxl.load_workbook(write_feedback(feedback, tmp_path / "out.xlsx")).active

    assert sheet["A2"].value == "发现问题 2 项：错误 1 项，警告 0 项，提示 1 项。"
