"""The long CSV: encodings, value conventions and findings with line numbers."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.submissions.longcsv import MAX_CSV_LINES

from .clerk_workbooks import codes, long_csv_lines, only, read, value_of


def _write(tmp_path: Path, lines: list[str], encoding: str, name: str = "宕昌县.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_read_the_same(tmp_path: Path, encoding: str) -> None:
    lines = long_csv_lines()
    lines[1] = lines[1].replace("52000", '"52,000"')

    parsed = read(_write(tmp_path, lines, encoding))

    assert parsed.findings == ()
    assert (parsed.format, parsed.county_code, parsed.period) == ("csv", "621223", "2020-03")
    assert len(parsed.values) == 13 + 2 * 12 + 8 + 6 * 2
    first = value_of(parsed, "t1", "registered_poor_total")
    assert (first.value, first.line, first.cell, first.raw) == (Decimal(52000), 2, "F2", "52,000")
    assert value_of(parsed, "t2", "village_name", "621223100002").value == "红旗村"
    assert value_of(parsed, "t2", "is_poor_village", "621223100001").value is True
    assert value_of(parsed, "t4", "issues_rectified", "审计暗访").value == Decimal(13)


def test_gb18030_text_is_not_mistaken_for_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, long_csv_lines(), "gb18030")

    assert path.read_bytes().decode("gb18030").count("红旗村") == 1
    assert value_of(read(path), "t2", "township", "621223100002").value == "哈达铺镇"


def test_value_conventions_in_csv(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines[2] = "621223,2020-03,t1,,lifted_cumulative,—"
    lines[3] = "621223,2020-03,t1,,unlifted_households,无"
    lines[4] = "621223,2020-03,t1,,unlifted_persons,２０００"

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert parsed.findings == ()
    assert value_of(parsed, "t1", "lifted_cumulative").value is None
    assert value_of(parsed, "t1", "unlifted_households").value == Decimal(0)
    assert value_of(parsed, "t1", "unlifted_persons").value == Decimal(2000)


def test_percent_in_csv(tmp_path: Path) -> None:
    lines = [line.replace("incidence_pct,3.5", "incidence_pct,3.5%") for line in long_csv_lines()]

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert parsed.findings == ()
    assert value_of(parsed, "t2", "incidence_pct", "621223100001").value == Decimal("3.5")


def test_unknown_indicator_and_table_give_the_line(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines.insert(5, "621223,2020-03,t1,,poor_households,12")
    lines.insert(8, "621223,2020-03,t9,,dropouts,0")

    parsed = read(_write(tmp_path, lines, "utf-8"))

    indicator = only(parsed, "unknown_indicator")
    assert (indicator.severity, indicator.line, indicator.cell) == ("error", 6, "E6")
    assert "第6行" in indicator.message_zh and "line 6" in indicator.message_en
    table = only(parsed, "unknown_table")
    assert (table.line, table.cell, table.found) == (9, "C9", "t9")
    assert not parsed.accepted


def test_bad_value_names_line_and_cell(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines[7] = "621223,2020-03,t1,,lifted_this_month,-5"

    parsed = read(_write(tmp_path, lines, "utf-8"))

    error = only(parsed, "negative_count")
    assert (error.line, error.cell, error.found) == (8, "F8", "-5")
    assert error.indicator == "lifted_this_month"


def test_duplicate_line_and_missing_indicator(tmp_path: Path) -> None:
    lines = long_csv_lines()
    dropped = lines.pop(3)  # t1 unlifted_households
    lines.append(lines[1])

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert "unlifted_households" in dropped
    assert sorted(codes(parsed)) == ["duplicate_value", "missing_indicator"]
    assert only(parsed, "duplicate_value").line == len(lines)
    assert only(parsed, "missing_indicator").indicator == "unlifted_households"


def test_unknown_source_in_csv(tmp_path: Path) -> None:
    lines = long_csv_lines() + ["621223,2020-03,t4,群众来信,issues_found,3"]

    parsed = read(_write(tmp_path, lines, "utf-8"))

    error = only(parsed, "unknown_source")
    assert (error.line, error.cell, error.found) == (len(lines), "D" + str(len(lines)), "群众来信")


def test_period_mismatch_in_csv(tmp_path: Path) -> None:
    parsed = read(_write(tmp_path, long_csv_lines(), "utf-8"), declared_period="2020-02")

    mismatch = only(parsed, "period_mismatch")
    assert (mismatch.severity, mismatch.line, mismatch.cell) == ("warning", 2, "B2")
    assert (mismatch.expected, mismatch.found) == ("2020-02", "2020-03")
    assert parsed.accepted


def test_wrong_header(tmp_path: Path) -> None:
    lines = ["county,period,table,row_key,indicator,value"] + long_csv_lines()[1:]

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert [(f.code, f.severity, f.found) for f in parsed.findings][0] == (
        "extra_column", "info", "county",
    )
    finding = parsed.findings[1]
    assert (finding.code, finding.severity) == ("bad_header", "error")
    assert "county_code" in finding.message_en
    assert parsed.values == ()


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(long_csv_lines()[0].encode() + b"\r\n\xff\xfe\xfd\x80\x80\r\n")

    parsed = read(path)

    assert [f.code for f in parsed.findings] == ["bad_encoding"]


def test_extra_column_and_short_lines(tmp_path: Path) -> None:
    lines = ["remark," + long_csv_lines()[0]] + ["," + line for line in long_csv_lines()[1:]]
    lines[3] = "已核实,621223,2020-03,t1,,unlifted_households"  # value field left off

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert [(f.code, f.cell, f.found) for f in parsed.findings] == [
        ("extra_column", "A1", "remark"),
    ]
    short = value_of(parsed, "t1", "unlifted_households")
    assert (short.value, short.cell, short.line) == (None, "G4", 4)


def test_lines_of_another_county_in_the_same_file(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines[5] = lines[5].replace("621223,", "621224,", 1)

    parsed = read(_write(tmp_path, lines, "utf-8"))

    error = only(parsed, "inconsistent_county")
    assert (error.line, error.cell, error.found, error.expected) == (
        6, "A6", "621224", "the same code as earlier lines (621223)",
    )
    assert parsed.county_code == "621223"


def test_csv_without_village_lines_is_a_county_without_villages(tmp_path: Path) -> None:
    lines = [line for line in long_csv_lines() if ",t2," not in line]

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert parsed.accepted
    assert only(parsed, "no_village_rows").severity == "info"


def test_a_quote_never_closed_names_the_line_it_opened_on(tmp_path: Path) -> None:
    lines = long_csv_lines()
    # A clerk's note with an opening quote and no closing one, then 2,000 more lines: the
    # csv module runs them all into one field, and fails far below the quote.
    lines.insert(5, '621223,2020-03,t1,,note,"备注')
    lines += ["621223,2020-03,t1,,note," + "说明" * 40] * 2000

    parsed = read(_write(tmp_path, lines, "utf-8"))

    finding = only(parsed, "field_too_long")
    assert finding.severity == "error" and finding.line == 6
    assert finding.message_zh.startswith("文件“宕昌县.csv”第6行：从此行开始的一个字段到第")
    assert "by line" in finding.message_en
    assert "引号" in finding.message_zh and "Error" not in finding.message_en
    # What the lines before said: the county's clerk is the one to tell.
    assert (parsed.county_code, parsed.period) == ("621223", "2020-03")
    assert parsed.values == ()


def test_a_header_that_cannot_be_split_is_a_finding_on_line_1(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines[0] = lines[0].replace("period", '"period')  # the quote runs through the file
    lines += ["621223,2020-03,t1,,note," + "说明" * 40] * 2000

    parsed = read(_write(tmp_path, lines, "utf-8"))

    finding = only(parsed, "field_too_long")
    assert finding.line == 1 and finding.message_en.startswith("File “宕昌县.csv”, line 1: a field")
    assert parsed.county_code is None


def test_a_short_unclosed_quote_is_found_on_the_line_it_opens(tmp_path: Path) -> None:
    lines = long_csv_lines()
    # Closed by nothing: the field takes the lines below it, up to the end of the file.
    lines[5] = '621223,2020-03,t1,,return_risk_persons,"99'  # line 6

    parsed = read(_write(tmp_path, lines, "utf-8"))

    finding = only(parsed, "unclosed_quote")
    assert finding.severity == "error" and finding.line == 6
    assert finding.message_zh.startswith("文件“宕昌县.csv”第6行：此行开始的引号")
    assert "never closed" in finding.message_en and "\r" not in finding.message_en
    # The lines it swallowed are not read as values, and the clerk is the one to tell.
    assert parsed.values == ()
    assert (parsed.county_code, parsed.period) == ("621223", "2020-03")


def test_a_quote_left_open_on_the_last_line_is_not_taken_as_a_value(tmp_path: Path) -> None:
    lines = long_csv_lines()
    last = len(lines)
    *_, table, key, indicator, _ = lines[-1].split(",")
    lines[-1] = f'621223,2020-03,{table},{key},{indicator},"99'  # nothing below to swallow

    parsed = read(_write(tmp_path, lines, "utf-8"))

    finding = only(parsed, "unclosed_quote")
    assert finding.line == last
    assert parsed.values == ()


@pytest.mark.parametrize("field", ['"12"5', '"12" '])  # read as 125, and as 12
def test_text_after_a_closing_quote_is_refused(tmp_path: Path, field: str) -> None:
    lines = long_csv_lines()
    lines[5] = lines[5].rsplit(",", 1)[0] + "," + field  # line 6

    parsed = read(_write(tmp_path, lines, "utf-8"))

    finding = only(parsed, "bad_csv")
    assert finding.line == 6 and "after its closing quote" in finding.message_en
    assert "右引号" in finding.message_zh and finding.found == ""
    assert parsed.values == ()

def test_a_quote_closed_far_below_is_refused_naming_both_lines(tmp_path: Path) -> None:
    lines = long_csv_lines()
    # A text field opened on line 6 and closed by a stray quote on line 12: the lines
    # between are whole records, read as that field's text.
    lines[5] = lines[5].rsplit(",", 1)[0] + ',"99'
    lines[11] = lines[11] + '"'

    parsed = read(_write(tmp_path, lines, "utf-8"))

    finding = only(parsed, "unclosed_quote")
    assert finding.line == 6 and "line 12" in finding.message_en and "第12行" in finding.message_zh
    assert parsed.values == ()
    assert (parsed.county_code, parsed.period) == ("621223", "2020-03")


def test_text_after_a_quote_closed_far_below_names_where_it_closes(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ',"99'  # line 6
    lines[30] = lines[30].rsplit(",", 1)[0] + ',"5'  # line 31: closes it, 5 follows

    parsed = read(_write(tmp_path, lines, "utf-8"))

    finding = only(parsed, "unclosed_quote")
    assert finding.line == 6 and "closed only on line 31" in finding.message_en


def test_a_line_break_in_a_name_is_still_a_name(tmp_path: Path) -> None:
    lines = long_csv_lines()
    at = next(i for i, line in enumerate(lines) if ",village_name," in line)
    lines[at] = lines[at].rsplit(",", 1)[0] + ',"冯道\r\n村"'

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert "unclosed_quote" not in codes(parsed)
    assert any(v.raw == "冯道\r\n村" for v in parsed.values)


def _with_value(line: str, value: str) -> str:
    *start, _ = line.split(",")
    return ",".join([*start, value])


def test_an_unquoted_thousands_comma_is_an_error_not_a_smaller_number(tmp_path: Path) -> None:
    lines = long_csv_lines()
    indicator = lines[5].split(",")[4]
    lines[5] = _with_value(lines[5], "3,934")  # line 6
    lines[6] += ","  # line 7: a trailing empty field is an exporter's habit

    parsed = read(_write(tmp_path, lines, "utf-8"))

    finding = only(parsed, "unquoted_thousands")
    assert (finding.line, finding.cell, finding.found) == (6, "F6", "3,934")
    assert finding.indicator == indicator and "千位分隔" in finding.message_zh
    assert not any(v.line == 6 for v in parsed.values)
    assert any(v.line == 7 for v in parsed.values)
    assert "missing_indicator" not in codes(parsed)  # the line was there: one finding, not two


def test_a_split_number_before_other_columns_is_joined_again(tmp_path: Path) -> None:
    # The format allows the columns in any order: with the value first, the split shifts
    # every column after it.
    lines = [_move_value_first(line) for line in long_csv_lines()]
    lines[5] = "3,934," + lines[5].split(",", 1)[1]

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert codes(parsed) == ["unquoted_thousands"]
    assert only(parsed, "unquoted_thousands").cell == "A6"


def _move_value_first(line: str) -> str:
    *start, value = line.split(",")
    return ",".join([value, *start])


def test_a_note_column_may_hold_commas_and_line_breaks(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines[0] += ",备注"
    lines[5] += ',"核实后更正，见附件,\n第二行"'

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert codes(parsed) == ["extra_column"]
    assert any(v.line == 6 for v in parsed.values)


@pytest.mark.parametrize(("blank_lines", "refused"), [(0, False), (1, True)])
def test_the_line_limit_counts_lines_as_an_editor_does(
    tmp_path: Path, blank_lines: int, refused: bool
) -> None:
    lines = long_csv_lines()
    lines += [""] * (MAX_CSV_LINES - len(lines) + blank_lines)  # each ends with a line break

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert ("too_many_lines" in codes(parsed)) is refused
    if refused:
        assert f"{MAX_CSV_LINES + 1} lines" in only(parsed, "too_many_lines").message_en
        assert (parsed.county_code, parsed.period) == ("621223", "2020-03")


def test_a_header_without_the_value_column_is_still_the_countys(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines[0] = lines[0].replace(",value", ",数值")

    parsed = read(_write(tmp_path, lines, "gb18030"))

    header = only(parsed, "bad_header")
    assert header.line == 1 and header.message_en.startswith("File “宕昌县.csv”, line 1: this")
    assert (parsed.county_code, parsed.period) == ("621223", "2020-03")


def test_a_name_pasted_in_another_encoding_is_found_on_its_line(tmp_path: Path) -> None:
    lines = long_csv_lines()
    at = next(i for i, line in enumerate(lines) if ",village_name," in line)
    path = tmp_path / "宕昌县.csv"
    before = "\r\n".join(lines[:at]).encode("utf-8") + b"\r\n"
    pasted = lines[at].rsplit(",", 1)[0].encode("utf-8") + ",冯道村".encode("gbk")
    path.write_bytes(before + pasted + b"\r\n")

    parsed = read(path)

    finding = only(parsed, "bad_encoding")
    assert finding.line == at + 1 and "reads as UTF-8 up to this line" in finding.message_en
    assert finding.found.startswith("\\x")
    assert (parsed.county_code, parsed.period) == ("621223", "2020-03")  # the clerk is told


@pytest.mark.parametrize("extra", [",备注", ",备注,说明"])
def test_a_quote_closed_far_below_is_found_with_extra_columns(tmp_path: Path, extra: str) -> None:
    # Exporters leave empty trailing fields out: the swallowed lines have fewer commas
    # than the header.
    lines = long_csv_lines()
    lines[0] += extra
    lines[5] = lines[5].rsplit(",", 1)[0] + ',"99'
    lines[7] = lines[7] + '"'

    parsed = read(_write(tmp_path, lines, "utf-8"))

    finding = only(parsed, "unclosed_quote")
    assert finding.line == 6 and "closed only on line 8" in finding.message_en
    assert "missing_indicator" not in codes(parsed)


def _errors(parsed) -> list[tuple[str, int | None, str]]:
    return [(f.code, f.line, f.found) for f in parsed.findings if f.severity == "error"]


@pytest.mark.parametrize("note_on", [None, 9])
def test_a_number_beside_the_value_in_an_extra_column_is_not_read(
    tmp_path: Path, note_on: int | None
) -> None:
    # 934 in an extra column right after the value: the tail of 3,934, or a note? The
    # line cannot tell, and a wrong figure is worse than a refused one.
    lines = long_csv_lines()
    lines[0] += ",备注"
    lines[5] = _with_value(lines[5], "3,934")
    if note_on is not None:
        lines[note_on - 1] += ",已核实"

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert _errors(parsed) == [("number_beside_value", 6, "3,934")]
    finding = only(parsed, "number_beside_value")
    assert finding.cell == "F6" and "right after value" in finding.message_en
    assert not any(v.line == 6 for v in parsed.values)
    assert "missing_indicator" not in codes(parsed)


@pytest.mark.parametrize("tail", ["934", "934 人次", "934人", "9340", "93", "104"])
def test_whatever_follows_a_small_value_with_a_digit_is_not_read(
    tmp_path: Path, tail: str
) -> None:
    lines = long_csv_lines()
    lines[0] += ",序号,备注"
    lines[5] = _with_value(lines[5], f"3,{tail}")

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert _errors(parsed) == [("number_beside_value", 6, f"3,{tail}")]


def test_a_split_with_a_note_filled_is_certain(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines[0] += ",备注"
    lines[5] = _with_value(lines[5], "1,234,567") + ",已核实"  # two fields too many

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert _errors(parsed) == [("unquoted_thousands", 6, "1,234,567")]


def test_value_first_with_an_empty_extra_column_is_joined_again(tmp_path: Path) -> None:
    lines = [_move_value_first(line) for line in long_csv_lines()]
    lines[0] += ",备注"
    lines[5] = "1,234,567," + lines[5].split(",", 1)[1]

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert _errors(parsed) == [("unquoted_thousands", 6, "1,234,567")]
    assert only(parsed, "unquoted_thousands").cell == "A6"


def test_numbered_columns_load_where_they_are_not_beside_the_value(tmp_path: Path) -> None:
    clean = read(_write(tmp_path, long_csv_lines(), "utf-8"))
    lines = long_csv_lines()
    lines[0] = "序号,已核实," + lines[0] + ",备注"
    lines[1:] = [f"{n:03d},{n % 2},{line},已核实" for n, line in enumerate(lines[1:], start=1)]

    parsed = read(_write(tmp_path, lines, "utf-8"))

    assert codes(parsed) == ["extra_column"] * 3
    assert len(parsed.values) == len(clean.values)


def test_a_serial_number_beside_the_value_refuses_the_small_values(tmp_path: Path) -> None:
    # Told, line by line, to move the column: values of four digits or more cannot be the
    # head of a split number and load.
    lines = long_csv_lines()
    lines[0] += ",序号"
    lines[1:] = [f"{line},{n:03d}" for n, line in enumerate(lines[1:], start=1)]

    parsed = read(_write(tmp_path, lines, "utf-8"))

    small = {at + 1 for at, line in enumerate(lines) if at and re.fullmatch(
        r"[+-]?\d{1,3}", line.split(",")[5])}
    assert {line for code, line, _ in _errors(parsed) if code == "number_beside_value"} == small
    assert {v.line for v in parsed.values}.isdisjoint(small) and parsed.values


def test_most_lines_split_are_all_found(tmp_path: Path) -> None:
    lines = long_csv_lines()
    lines[0] += ",备注"
    # Every whole-number figure written as a thousands number: most lines split.
    numeric = [at for at, line in enumerate(lines[1:], start=1)
               if re.fullmatch(r"\d+", line.rsplit(",", 1)[1])]
    for at in numeric:
        lines[at] = _with_value(lines[at], f"1,{at:03d}")

    parsed = read(_write(tmp_path, lines, "utf-8"))

    refused = [f for f in parsed.findings if f.code == "number_beside_value"]
    assert len(numeric) * 2 > len(lines) - 1 and len(refused) == len(numeric)
    assert not any(v.line - 1 in numeric for v in parsed.values)
