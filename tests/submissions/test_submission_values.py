"""One test per convention of "Values as people write them", on parse_value directly."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from orchestration.submissions.form import Kind
from orchestration.submissions.values import parse_value


@pytest.mark.parametrize("written", [None, "", "  ", "—", "-", "/", "——", "－"])
def test_blank_and_dashes_are_not_reported_not_zero(written: object) -> None:
    parsed = parse_value(written, Kind.COUNT)

    assert parsed.value is None
    assert parsed.problem is None


@pytest.mark.parametrize("written", [0, "0", "无", " 无 ", 0.0])
def test_zero_and_wu_are_zero(written: object) -> None:
    parsed = parse_value(written, Kind.COUNT)

    assert parsed.value == Decimal(0)
    assert parsed.problem is None


@pytest.mark.parametrize("written", ["1,234", "１２３４", " 1234 ", "１，２３４", "\u30001234\u3000"])
def test_separators_full_width_and_spaces(written: str) -> None:
    parsed = parse_value(written, Kind.COUNT)

    assert parsed.value == Decimal(1234)
    assert parsed.raw == written


@pytest.mark.parametrize(
    ("written", "expected"),
    [("是", True), ("否", False), ("√", True), ("×", False), (" 是 ", True), (True, True)],
)
def test_yes_no(written: object, expected: bool) -> None:
    assert parse_value(written, Kind.YES_NO).value is expected


def test_yes_no_rejects_other_words() -> None:
    parsed = parse_value("有", Kind.YES_NO)

    assert parsed.value is None
    assert parsed.problem is not None and parsed.problem.code == "not_yes_no"


def test_percent_sign_in_percent_column() -> None:
    assert parse_value("2.5%", Kind.PERCENT, scale=2).value == Decimal("2.5")
    assert parse_value("２.５％", Kind.PERCENT, scale=2).value == Decimal("2.5")


def test_percent_sign_outside_percent_column_is_an_error() -> None:
    parsed = parse_value("2.5%", Kind.DECIMAL, scale=2)

    assert parsed.is_error and parsed.problem is not None
    assert parsed.problem.code == "not_a_number"


def test_percent_formatted_number_is_scaled() -> None:
    assert parse_value(0.025, Kind.PERCENT, scale=2, percent_format=True).value == Decimal("2.5")


def test_number_stored_as_text() -> None:
    parsed = parse_value("12.35", Kind.DECIMAL, scale=2)

    assert parsed.value == Decimal("12.35")
    assert isinstance(parsed.value, Decimal)


def test_floats_become_exact_decimals() -> None:
    parsed = parse_value(5.2, Kind.DECIMAL, scale=2)

    assert parsed.value == Decimal("5.2")
    assert str(parsed.value) == "5.2"


@pytest.mark.parametrize("written", ["12人", "约100", "1.2.3", "1,23", "N/A", datetime(2020, 3, 1)])
def test_anything_else_in_a_numeric_cell_is_an_error(written: object) -> None:
    parsed = parse_value(written, Kind.COUNT)

    assert parsed.value is None
    assert parsed.problem is not None and parsed.problem.code == "not_a_number"
    assert parsed.problem.severity == "error"


def test_counts_must_be_whole() -> None:
    parsed = parse_value("2.5", Kind.COUNT)

    assert parsed.problem is not None and parsed.problem.code == "not_whole"


def test_counts_must_not_be_negative() -> None:
    parsed = parse_value(-3, Kind.COUNT)

    assert parsed.problem is not None and parsed.problem.code == "negative_count"
    assert parsed.raw == "-3"


def test_whole_float_count_is_an_integer_decimal() -> None:
    parsed = parse_value(12.0, Kind.COUNT)

    assert parsed.value == Decimal(12)
    assert parsed.value.as_tuple().exponent == 0  # type: ignore[union-attr]


def test_extra_decimals_are_rounded_with_a_note() -> None:
    parsed = parse_value(33.333333333, Kind.PERCENT, scale=2)

    assert parsed.value == Decimal("33.33")
    assert parsed.problem is not None
    assert (parsed.problem.code, parsed.problem.severity) == ("rounded", "info")


def test_percent_above_100_is_out_of_range() -> None:
    parsed = parse_value("120", Kind.PERCENT, scale=2)

    assert parsed.problem is not None and parsed.problem.code == "out_of_range"


def test_village_code_as_text_or_number() -> None:
    assert parse_value("621223100001", Kind.CODE12).value == "621223100001"
    assert parse_value(621223100001, Kind.CODE12).value == "621223100001"
    assert parse_value(621223100001.0, Kind.CODE12).value == "621223100001"
    short = parse_value("6212231", Kind.CODE12).problem
    assert short is not None and short.code == "bad_village_code"


def test_source_is_one_of_six() -> None:
    assert parse_value(" 大 排 查 ", Kind.SOURCE).value == "大排查"
    unknown = parse_value("群众来信", Kind.SOURCE).problem
    assert unknown is not None and unknown.code == "unknown_source"


def test_text_keeps_zero_word() -> None:
    assert parse_value("无", Kind.TEXT).value == "无"
