"""Bad reference files are refused with the file, line and column of every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.reference.validate import ReferenceDataError, load_reference
from tests.conftest import Scratch


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ReferenceDataError) as raised:
        load_reference(directory)
    return [str(problem) for problem in raised.value.problems]


def test_bundled_reference_files_are_valid() -> None:
    files = load_reference(Path(__file__).resolve().parents[2] / "raw" / "reference")

    assert len(files["counties"].rows) == 75
    assert len(files["plan_county_figures"].rows) == 75
    assert {row["county_code"] for row in files["plan_province_counties"].rows} == {
        "622926", "621223", "621225", "621226", "621126", "621027", "621121", "622921",
    }


def test_figure_that_is_not_a_number_names_file_line_and_column(scratch: Scratch) -> None:
    scratch.edit_reference("plan_county_figures.csv", "3,621224,康县,0.639,", "3,621224,康县,0.6 39,")

    assert problems_of(scratch.reference) == [
        "plan_county_figures.csv, line 4, column total_wan: '0.6 39' is not a decimal number "
        "such as 0.72 (no spaces, commas or units)"
    ]


def test_duplicated_county_code_is_refused(scratch: Scratch) -> None:
    scratch.edit_reference("counties.csv", "620122,皋兰县", "620121,皋兰县")

    problems = problems_of(scratch.reference)

    assert problems == [
        "counties.csv, line 4, column county_code: duplicate 620121: line 3 has the same key",
        # ...and 附件4's row for 皋兰县 now points at a county the registry lacks.
        "plan_county_figures.csv, line 58, column county_code: 620122 is not in counties.csv "
        "(county_code)",
    ]


def test_missing_county_in_attachment_4_is_named(scratch: Scratch) -> None:
    path = scratch.reference / "plan_county_figures.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if ",621223,宕昌县," not in line), "utf-8")

    problems = problems_of(scratch.reference)

    assert "plan_county_figures.csv: 74 data rows, expected 75" in problems
    assert (
        "plan_county_figures.csv, column county_code: county 621223 宕昌县 "
        "(counties.csv line 55) has no row"
    ) in problems


def test_county_missing_from_registry_is_named(scratch: Scratch) -> None:
    path = scratch.reference / "counties.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("621126,")), "utf-8")

    problems = problems_of(scratch.reference)

    assert "counties.csv: 74 data rows, expected 75" in problems


def test_every_problem_is_reported_not_just_the_first(scratch: Scratch) -> None:
    scratch.edit_reference("plan_prefectures.csv", "2,621200,陇南市,142,", "2,621200,陇南市,一百四十二,")
    scratch.edit_reference("prefectures.csv", "620100,兰州市", " 620100,兰州市")

    problems = problems_of(scratch.reference)

    assert problems[:2] == [
        "prefectures.csv, line 2, column prefecture_code: ' 620100' has leading or trailing spaces",
        "plan_prefectures.csv, line 3, column villages_unexited: '一百四十二' is not a whole number",
    ]


def test_county_in_the_wrong_prefecture_is_refused(scratch: Scratch) -> None:
    scratch.edit_reference("counties.csv", "621223,宕昌县,宕昌县,621200", "621223,宕昌县,宕昌县,621100")

    assert problems_of(scratch.reference) == [
        "counties.csv, line 55, column prefecture_code: 621223 cannot belong to prefecture 621100"
    ]
