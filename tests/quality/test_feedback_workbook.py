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
