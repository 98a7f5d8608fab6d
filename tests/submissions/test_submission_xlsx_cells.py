"""Cell values inside a workbook: conventions, formulas, and errors naming the exact cell."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from orchestration.submissions.form import T1, T2

from .clerk_workbooks import (
    T1_DATA, T2_DATA, add_cached_value, codes, form_sheet, only, read, save, set_sheet_xml,
    standard_sheets, value_of,
)


def _with_t1(tmp_path: Path, **cells: object) -> Path:
    """The standard workbook with some 表1 data cells (row 4) replaced, by indicator id."""
    data = list(T1_DATA)
    ids = [i.id for i in T1.indicators]
    for indicator, value in cells.items():
        data[ids.index(indicator)] = value
    return save(tmp_path / "a.xlsx", standard_sheets() | {"t1": form_sheet(T1, [data])})


def test_written_conventions_in_cells(tmp_path: Path) -> None:
    path = _with_t1(
        tmp_path,
        registered_poor_total="52,000",
        lifted_cumulative="５００００",
        unlifted_households=" 600 ",
        unlifted_persons="2000",
        returned_this_month="无",
        risk_eliminated_this_month="—",
        low_income_persons=None,
    )

    parsed = read(path)

    assert parsed.findings == ()
    assert value_of(parsed, "t1", "registered_poor_total").value == Decimal(52000)
    assert value_of(parsed, "t1", "registered_poor_total").raw == "52,000"
    assert value_of(parsed, "t1", "lifted_cumulative").value == Decimal(50000)
    assert value_of(parsed, "t1", "unlifted_households").value == Decimal(600)
    assert value_of(parsed, "t1", "unlifted_persons").value == Decimal(2000)
    assert value_of(parsed, "t1", "returned_this_month").value == Decimal(0)
    assert value_of(parsed, "t1", "risk_eliminated_this_month").value is None
    assert value_of(parsed, "t1", "low_income_persons").value is None
    assert value_of(parsed, "t1", "low_income_persons").cell == "K4"


def test_yes_no_ticks_and_percent_in_cells(tmp_path: Path) -> None:
    data = [list(r) for r in T2_DATA]
    data[0][3:7] = ["√", "×", "3.5%", "否"]
    sheets = standard_sheets() | {"t2": form_sheet(T2, data)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert parsed.findings == ()
    assert value_of(parsed, "t2", "is_poor_village", "621223100001").value is True
    assert value_of(parsed, "t2", "is_deep_poverty", "621223100001").value is False
    incidence = value_of(parsed, "t2", "incidence_pct", "621223100001")
    assert (incidence.value, incidence.cell, incidence.raw) == (Decimal("3.5"), "F4", "3.5%")


def test_cell_formatted_as_percent(tmp_path: Path) -> None:
    data = [list(r) for r in T2_DATA]
    data[1][5] = 0.1225
    sheet = form_sheet(T2, data)
    sheet.formats["F5"] = "0.00%"

    parsed = read(save(tmp_path / "a.xlsx", standard_sheets() | {"t2": sheet}))

    assert parsed.findings == ()
    assert value_of(parsed, "t2", "incidence_pct", "621223100002").value == Decimal("12.25")


def test_text_in_a_numeric_cell_names_the_cell(tmp_path: Path) -> None:
    parsed = read(_with_t1(tmp_path, return_risk_persons="约150人"))

    error = only(parsed, "not_a_number")
    assert (error.severity, error.sheet, error.cell) == ("error", "表1 贫困人口", "E4")
    assert (error.indicator, error.found) == ("return_risk_persons", "约150人")
    assert "表1 贫困人口!E4" in error.message_zh and "表1 贫困人口!E4" in error.message_en
    assert not parsed.accepted
    assert [v for v in parsed.values if v.indicator == "return_risk_persons"] == []


def test_negative_and_fractional_counts_name_their_cells(tmp_path: Path) -> None:
    parsed = read(_with_t1(tmp_path, lifted_this_month=-3, newly_identified_this_month=2.5))

    negative = only(parsed, "negative_count")
    assert (negative.cell, negative.found) == ("G4", "-3")
    assert (only(parsed, "not_whole").cell, only(parsed, "not_whole").found) == ("H4", "2.5")


def test_bad_yes_no_cell(tmp_path: Path) -> None:
    data = [list(r) for r in T2_DATA]
    data[1][11] = "达标"
    sheets = standard_sheets() | {"t2": form_sheet(T2, data)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    error = only(parsed, "not_yes_no")
    assert (error.cell, error.row_key, error.indicator) == ("L5", "621223100002", "safe_water")


def test_formula_without_cached_value_is_an_error(tmp_path: Path) -> None:
    parsed = read(_with_t1(tmp_path, unlifted_persons="=A4-B4"))

    error = only(parsed, "formula_without_value")
    assert (error.severity, error.sheet, error.cell) == ("error", "表1 贫困人口", "D4")
    assert error.found == "=A4-B4"
    assert not parsed.accepted


def test_formula_with_cached_value_gives_the_value(tmp_path: Path) -> None:
    path = _with_t1(tmp_path, unlifted_persons="=A4-B4")
    set_sheet_xml(path, "xl/worksheets/sheet1.xml", lambda xml: add_cached_value(xml, "D4", "2000"))

    parsed = read(path)

    assert parsed.findings == ()
    unlifted = value_of(parsed, "t1", "unlifted_persons")
    assert (unlifted.value, unlifted.cell, unlifted.raw) == (Decimal(2000), "D4", "2000")


def test_rounded_decimal_is_an_info_on_its_cell(tmp_path: Path) -> None:
    data = [list(r) for r in T2_DATA]
    data[0][9] = "5.2345"
    sheets = standard_sheets() | {"t2": form_sheet(T2, data)}

    parsed = read(save(tmp_path / "a.xlsx", sheets))

    assert codes(parsed) == ["rounded"]
    assert only(parsed, "rounded").cell == "J4"
    assert value_of(parsed, "t2", "collective_income_wan", "621223100001").value == Decimal("5.23")
    assert parsed.accepted
