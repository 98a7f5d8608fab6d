"""Every figure of 附件3 and 附件4 is either the OCR text or a recorded, evidenced correction.

The plan's OCR text ships in raw/reference/source/. These tests read its table renderings
independently of the reference CSVs, so a figure edited by hand without a correction row,
or a correction row that no longer matches the text, fails here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "raw" / "reference"
SOURCE = REFERENCE / "source" / "gansu_2020_listed_supervision_plan.ocr.txt"
FIGURES = ("total_wan", "unlifted_wan", "return_risk_wan", "marginal_risk_wan")
VILLAGE_COUNTS = (
    "villages_unexited", "deep_poverty_villages", "non_deep_villages",
    "high_incidence_villages", "high_incidence_deep", "high_incidence_non_deep",
)


def read_csv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def corrections_for(file_name: str) -> dict[tuple[str, str], dict[str, str]]:
    return {
        (row["row_key"], row["column"]): row
        for row in read_csv("corrections.csv")
        if row["file"] == file_name
    }


def attachment_4_table_rows() -> list[list[str]]:
    """The 附件4 table rendering, row by row: [name, total, unlifted, return, marginal].

    On the damaged page (rows 47-62) each table row follows a run of running text in the
    first field; elsewhere the row number comes first.
    """
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "75个县市区" in line)
    rows = []
    for line in lines[start:]:
        fields = line.split("\t")
        if len(fields) < 6:
            continue
        leading_text = not fields[0].strip() or len(fields[0]) > 6
        offset = 2 if leading_text and len(fields[1]) <= 3 else 1
        cells = [cell.strip() for cell in fields[offset:offset + 5]]
        if "督战主体" in cells[0] or not any(ch.isdigit() for ch in "".join(cells[1:])):
            continue
        rows.append(cells)
    return rows


def clean_name(ocr_name: str) -> str:
    return ocr_name.replace("<u>", "").replace("</u>", "").replace(" ", "")


def test_the_table_rendering_has_the_total_row_and_75_counties() -> None:
    rows = attachment_4_table_rows()

    assert len(rows) == 76
    assert rows[0][0] == "75个县市区"


@pytest.mark.parametrize("column_index, column", list(enumerate(FIGURES, start=1)))
def test_attachment_4_figures_match_ocr_or_a_correction(column_index: int, column: str) -> None:
    corrections = corrections_for("plan_county_figures.csv")
    ocr_rows = attachment_4_table_rows()[1:]

    unexplained = []
    for reference, ocr in zip(read_csv("plan_county_figures.csv"), ocr_rows):
        ocr_cell, value = ocr[column_index], reference[column]
        if ocr_cell == value:
            continue
        correction = corrections.get((reference["plan_row"], column))
        if correction is None or (correction["ocr_text"], correction["value"]) != (ocr_cell, value):
            unexplained.append((reference["plan_row"], ocr_cell, value))

    assert unexplained == []


def test_attachment_4_names_match_ocr_or_a_correction() -> None:
    corrections = corrections_for("plan_county_figures.csv")
    ocr_rows = attachment_4_table_rows()[1:]

    unexplained = []
    for reference, ocr in zip(read_csv("plan_county_figures.csv"), ocr_rows):
        ocr_name = clean_name(ocr[0])
        if ocr_name == reference["name_in_plan"]:
            continue
        correction = corrections.get((reference["plan_row"], "name_in_plan"))
        if correction is None or correction["value"] != reference["name_in_plan"]:
            unexplained.append((reference["plan_row"], ocr_name, reference["name_in_plan"]))

    assert unexplained == []


def test_every_attachment_4_correction_matches_the_ocr_text() -> None:
    ocr_rows = attachment_4_table_rows()[1:]
    figures = {row["plan_row"]: row for row in read_csv("plan_county_figures.csv")}

    stale = []
    for (row_key, column), correction in corrections_for("plan_county_figures.csv").items():
        if row_key == "*" or column not in FIGURES:
            continue
        ocr_cell = ocr_rows[int(row_key) - 1][FIGURES.index(column) + 1]
        if ocr_cell != correction["ocr_text"] or figures[row_key][column] != correction["value"]:
            stale.append((row_key, column, ocr_cell, correction["ocr_text"]))

    assert stale == []


def test_attachment_3_counts_match_ocr_or_a_correction() -> None:
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    names = [row["name_in_plan"] for row in read_csv("plan_prefectures.csv")]
    ocr = {}
    for line in lines:
        fields = line.split("\t")
        if len(fields) > 8 and fields[1] in names and fields[2].isdigit():
            ocr[fields[1]] = [cell.strip() or "0" for cell in fields[2:8]]
    corrections = corrections_for("plan_prefectures.csv")

    unexplained = []
    for reference in read_csv("plan_prefectures.csv"):
        for column, ocr_cell in zip(VILLAGE_COUNTS, ocr[reference["name_in_plan"]]):
            if ocr_cell == reference[column]:
                continue
            correction = corrections.get((reference["plan_row"], column))
            if correction is None or correction["ocr_text"] != ocr_cell:
                unexplained.append((reference["name_in_plan"], column, ocr_cell))

    assert len(ocr) == 8
    assert unexplained == []


def test_every_correction_has_evidence_and_a_known_action() -> None:
    for row in read_csv("corrections.csv"):
        assert row["evidence"].strip(), row
        assert row["action"] in {"corrected", "normalised", "unreadable", "doubtful"}, row
        if row["action"] == "unreadable":
            assert row["value"] == "", f"unreadable cells stay empty, never guessed: {row}"
