"""A damaged or hostile prefecture summary becomes findings; it never stops the parse."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from orchestration.simulation import SimulationResult, simulate
from orchestration.submissions.parse_cache import ParseJob, parse_all, read_part

from .clerk_workbooks import set_sheet_xml

KEY = b"summary-damage-test-key-32-bytes"
SHEET = "xl/worksheets/sheet1.xml"
# The first county code of the summary, written as text in column B.
_FIRST_CODE = re.compile(r'<c r="B(\d+)" t="inlineStr"><is><t>(62\d{4})</t></is></c>')


@pytest.fixture(scope="module")
def march(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return simulate(tmp_path_factory.mktemp("summaries"), months=["2020-03"])


def _summary(march: SimulationResult, tmp_path: Path) -> Path:
    source = next((march.out_dir / "2020-03" / "summaries").glob("620100_*.xlsx"))
    return Path(shutil.copy(source, tmp_path / source.name))


def _findings(path: Path, tmp_path: Path) -> list[dict]:
    job = ParseJob("e" * 64, path, "2020-03", path.name)
    [outcome] = parse_all([job], tmp_path / "cache", KEY)
    assert not outcome.accepted
    return read_part(tmp_path / "cache", job, "findings").to_pylist()


@pytest.mark.parametrize("written", ["1e999", "NaN", "620103.5"])
def test_a_county_code_that_is_no_whole_number_is_a_bad_code(
    march: SimulationResult, tmp_path: Path, written: str
) -> None:
    path = _summary(march, tmp_path)
    set_sheet_xml(path, SHEET, lambda xml: _FIRST_CODE.sub(
        lambda m: f'<c r="B{m.group(1)}"><v>{written}</v></c>', xml, count=1))

    findings = _findings(path, tmp_path)

    assert [f["code"] for f in findings if f["severity"] == "error"] == ["bad_county_code"]
    assert findings[0]["file_name"] == path.name


def test_malformed_styles_are_a_damaged_file(march: SimulationResult, tmp_path: Path) -> None:
    path = _summary(march, tmp_path)
    set_sheet_xml(path, "xl/styles.xml",
                  lambda xml: xml.replace("</styleSheet>", "<unclosed></styleSheet>"))

    [finding] = _findings(path, tmp_path)

    assert finding["code"] == "corrupt_file"
    assert "（工作簿的XML内容不完整或有误）" in finding["message_zh"]
    assert "(the workbook's XML is incomplete or malformed)" in finding["message_en"]
