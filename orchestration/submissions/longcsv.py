"""Reading the long CSV that county systems export.

Header ``county_code,period,table,row_key,indicator,value`` (any order; extra columns are
noted and ignored). Encoding: UTF-8 with or without BOM, else GB18030 (what Chinese Excel
and WPS save as "CSV"). Values follow the same conventions as the workbook cells. Each
finding gives the line number and, in ``cell``, the cell a spreadsheet program would show
for that field (``F7`` is the value on line 7).

A (table, row_key, indicator) absent from the file is simply not in ``values``; an
indicator absent from a whole table that is present is a ``missing_indicator`` error.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from . import form
from .checks import VillageCells, check_village_prefix
from .form import Table
from .model import FindingLog, ParsedSubmission, Value
from .values import Parsed, clean_text, parse_value
from .workbook import column_letter
from .xlsx import parse_period

HEADER: tuple[str, ...] = ("county_code", "period", "table", "row_key", "indicator", "value")
MAX_CSV_BYTES = 20 * 1024 * 1024
# A county's month is under a thousand lines; every line of a wrong file can become a finding,
# so a file far longer than any report is refused before its lines are read.
MAX_CSV_LINES = 50_000


class BadCsv(Exception):
    """The file cannot be read as the long CSV at all."""

    def __init__(self, code: str, zh: str, en: str, found: str = "",
                 line: int | None = None) -> None:
        super().__init__(code)
        self.code, self.zh, self.en, self.found, self.line = code, zh, en, found, line
        # What the file said before it could not be read further, if anything.
        self.county_code: str | None = None
        self.period: str | None = None

    def belongs_to(self, whose: tuple[str | None, str | None]) -> BadCsv:
        """The refusal, with the county and period the file gave before it (so that the
        county's clerk is told)."""
        self.county_code, self.period = whose
        return self


@dataclass
class CsvState:
    county_code: str | None = None
    period: str | None = None
    period_line: int | None = None
    period_cell: str = ""
    values: list[Value] = field(default_factory=list)
    seen: dict[tuple[str, str, str], int] = field(default_factory=dict)
    villages: VillageCells = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    line: int
    fields: dict[str, str]
    columns: dict[str, int]
    # A value written with unquoted thousands commas (3,934), which the line split into
    # fields, as the line has it; not read. Certain, or a small value followed by a
    # number in an extra column, which may be one.
    split_number: str = ""
    split_certain: bool = False
    # The last column and what follows it, when the line has more fields than the header.
    surplus: str = ""

    def cell(self, name: str) -> str:
        return f"{column_letter(self.columns[name] + 1)}{self.line}"


def decode(data: bytes) -> str:
    """UTF-8 (BOM optional) strictly, else GB18030 strictly."""
    failures: list[tuple[int, str, bytes]] = []
    for encoding, name in (("utf-8-sig", "UTF-8"), ("gb18030", "GB18030")):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            shown = error.object[error.start:error.start + 6].split(b"\n")[0].split(b"\r")[0]
            failures.append((error.start, name, shown))

    # The encoding that read furthest is the file's own; the line where it stopped is
    # where text in another encoding was pasted in.
    start, name, bad = max(failures)
    line = data.count(b"\n", 0, start) + 1
    refused = BadCsv(
        "bad_encoding",
        f"文件按{name}编码可读到此行，此行有不是{name}的字节（可能粘贴了其他编码的文字）；"
        "请将整个文件另存为UTF-8或GB18030编码的CSV",
        f"the file reads as {name} up to this line, which holds bytes that are not {name} "
        "(text pasted from another encoding?); save the whole file as CSV in UTF-8 or GB18030",
        found="".join(f"\\x{b:02x}" for b in bad), line=line,
    )
    encoding = "utf-8-sig" if name == "UTF-8" else "gb18030"
    raise refused.belongs_to(_whose(data[:start].decode(encoding, "replace")))


def _whose(text: str) -> tuple[str | None, str | None]:
    """The county and period the first lines of a file refused as a whole give, so that the
    county's clerk is told; (None, None) when they give none."""
    rows = csv.reader(io.StringIO(text[:_WHOSE_CHARACTERS], newline=""))
    try:
        names = [clean_text(name).lower() for name in next(rows, [])]
        code_at, period_at = names.index("county_code"), names.index("period")
        for fields in islice(rows, 20):
            if len(fields) > max(code_at, period_at):
                code, period = clean_text(fields[code_at]), parse_period(fields[period_at])
                if _is_county_code(code) and period is not None:
                    return code, period
    except (ValueError, csv.Error):
        pass  # no such column, or not CSV: nobody's
    return None, None


# Enough for the header and the first twenty lines of any export.
_WHOSE_CHARACTERS = 16_384


def read_csv(path: Path, *, declared_period: str | None, log: FindingLog) -> ParsedSubmission:
    text = decode(_read_bytes(path))
    try:
        _check_line_count(text)
    except BadCsv as refused:
        raise refused.belongs_to(_whose(text))
    # Strict: a quote left open at the end of the file, or text after a closing quote,
    # is refused rather than read as a value the clerk never typed.
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    state = CsvState()
    read_to = 0  # the last line of the last record read whole
    try:
        names = next(rows, [])
        try:
            columns = _header(names, log)
        except BadCsv as refused:  # county_code and period may be there all the same
            raise refused.belongs_to(_whose(text))
        read_to = rows.line_num
        width = max(columns.values()) + 1
        header_width = max(len(names), width)
        for fields in rows:
            # A record starts on the line after the last one: a quoted field may hold line
            # breaks (a quote never closed swallows the lines below it), and the line to
            # look at is where the record begins.
            start, read_to = read_to + 1, rows.line_num
            if not any(f.strip() for f in fields):
                continue
            if read_to > start and _swallows_records(fields, width):
                raise _quote_spanning(start, read_to, state)
            fields, split, certain = _split_value(fields, columns, header_width)
            padded = fields + [""] * (width - len(fields))  # exporters drop trailing fields
            record = Record(start, {n: padded[i] for n, i in columns.items()}, columns,
                            split_number=split, split_certain=certain,
                            surplus=_surplus(fields, header_width))
            _read_record(record, state, log)
    except csv.Error as error:
        raise _unreadable(error, read_to + 1, rows.line_num, state) from error

    _check_complete(state, log)
    _check_submission(state, declared_period, log)
    check_village_prefix(state.villages, state.county_code, log)
    return ParsedSubmission(
        file_name=log.file_name,
        format="csv",
        county_code=state.county_code,
        period=state.period,
        declared_period=declared_period,
        values=tuple(state.values),
        findings=tuple(log.items),
    )


def _swallows_records(fields: list[str], width: int) -> bool:
    """Whether a quoted field that spans lines holds what looks like lines of the file: a
    quote opened on one line and closed by a stray quote further down reads every line
    between as its text. No field of the form holds a line break; a note in an extra column
    may, but a line of it with as many commas as a record is not a note."""
    commas = max(width - 1, 1)
    return any(
        text.count(",") >= commas
        for field in fields if "\n" in field or "\r" in field
        for text in field.splitlines()[1:]
    )


def _quote_spanning(start: int, end: int, state: CsvState) -> BadCsv:
    return BadCsv(
        "unclosed_quote",
        f"此行开始的引号（\"）到第{end}行才配对，中间各行都被读成了一个字段；"
        "请检查这两行的引号后重新导出",
        f"a quote (\") opened on this line is closed only on line {end}, so the lines "
        "between were read as one field; check the quotes on both lines and export the file "
        "again",
        line=start,
    ).belongs_to((state.county_code, state.period))


_LEADING_DIGITS = re.compile(r"[+-]?\d{1,3}")
_DIGIT_GROUP = re.compile(r"\d{3}(\.\d*)?")


def _split_value(
    fields: list[str], columns: dict[str, int], header_width: int
) -> tuple[list[str], str, bool]:
    """A value written with unquoted thousands commas (3,934, split by the line into 3 and
    934): (the fields, with the value joined again when that is certain; the value as the
    line has it, or "" when nothing looks split; whether the split is certain).

    Certain: the line's county, period and table only stand where the header says with
    the digit groups joined (the value column before them), or the line has a field too
    many for them. Not certain: a value of one to three digits followed, in an extra
    column, by anything that starts with a digit (934, 934 人次, a serial number, a note).
    Either way the value is not read: a wrong figure is worse than a refused one.
    """
    at = columns["value"]
    if at >= len(fields) or not _LEADING_DIGITS.fullmatch(clean_text(fields[at])):
        return fields, "", False
    groups = 0
    while (at + 1 + groups < len(fields)
           and _DIGIT_GROUP.fullmatch(clean_text(fields[at + 1 + groups]))):
        groups += 1
    if not _aligned(fields, columns):
        count = next((n for n in range(1, groups + 1)
                      if _aligned(_joined(fields, at, n), columns)), 0)
    else:
        count = min(groups, _spare_fields(fields, header_width))
    if count:
        line = _joined(fields, at, count)
        return line, line[at], True
    beside = at + 1
    if (beside < min(len(fields), header_width) and beside not in columns.values()
            and clean_text(fields[beside])[:1].isdigit()):
        return fields, f"{fields[at].strip()},{fields[beside].strip()}", False
    return fields, "", False


def _joined(fields: list[str], at: int, count: int) -> list[str]:
    number = ",".join(f.strip() for f in fields[at:at + 1 + count])
    return [*fields[:at], number, *fields[at + 1 + count:]]


def _aligned(fields: list[str], columns: dict[str, int]) -> bool:
    """Whether a line's county, period and table stand where the header says."""
    def at(name: str) -> str:
        index = columns[name]
        return clean_text(fields[index]) if index < len(fields) else ""

    code = at("county_code")
    return (_is_county_code(code) and parse_period(at("period")) is not None
            and form.table(at("table").lower()) is not None)


def _spare_fields(fields: list[str], width: int) -> int:
    """How many fields a line has past the header's columns, up to its last one not blank:
    trailing empty fields are an exporter's habit, not a problem."""
    length = len(fields)
    while length > width and not fields[length - 1].strip():
        length -= 1
    return max(length - width, 0)


def _surplus(fields: list[str], width: int) -> str:
    """The last column and the fields past the header's, as the line has them, when there
    are spare fields."""
    return ",".join(fields[width - 1:]) if _spare_fields(fields, width) else ""


def _is_county_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def _unreadable(error: csv.Error, start: int, end: int, state: CsvState) -> BadCsv:
    """What the csv module could not split, said with the line its record starts on. The
    usual cause is a quote opened and never closed, which runs the rest of the file into
    one field. The county and period read so far go with it, so that the county's clerk
    is told."""
    if "field larger than field limit" in str(error):
        limit = csv.field_size_limit()
        zh, en = "此行有一个字段超过", "a field on this line is longer than"
        if end > start:
            zh = f"从此行开始的一个字段到第{end}行时已超过"
            en = f"a field that starts on this line is, by line {end}, longer than"
        refused = BadCsv(
            "field_too_long",
            f"{zh}{limit}个字符，通常是某个引号（\"）没有配对，使后面的内容连成了一个"
            "字段；请检查此行的引号后重新导出",
            f"{en} {limit} characters, usually because a quote (\") is never closed and "
            "runs what follows into one field; check the quotes on this line and export the "
            "file again",
            line=start,
        )
    elif "unexpected end of data" in str(error):
        refused = BadCsv(
            "unclosed_quote",
            "此行开始的引号（\"）一直没有配对，从它到文件末尾的内容都被读成了一个字段；"
            "请检查此行的引号后重新导出",
            "a quote (\") opened on this line is never closed, so everything from it to the "
            "end of the file was read as one field; check the quotes on this line and export "
            "the file again",
            line=start,
        )
    elif "expected after" in str(error) and end > start:
        # The quote that closes the field is far below: that is where the text follows it.
        return _quote_spanning(start, end, state)
    elif "expected after" in str(error):
        refused = BadCsv(
            "bad_csv",
            "此行有一个带引号的字段在右引号后、逗号前还有其他字符（空格也算）；"
            "请检查此行的引号后重新导出",
            "a quoted field on this line has more after its closing quote, before the comma "
            "(a space counts); check the quotes on this line and export the file again",
            line=start,
        )
    else:
        refused = BadCsv(
            "bad_csv",
            "此行无法按CSV格式读取，请检查后重新导出",
            "this line cannot be read as CSV; check it and export the file again",
            found=str(error), line=start,
        )
    return refused.belongs_to((state.county_code, state.period))


def _read_bytes(path: Path) -> bytes:
    if path.stat().st_size > MAX_CSV_BYTES:
        raise BadCsv(
            "file_too_large",
            f"CSV文件超过{MAX_CSV_BYTES // 1024 // 1024}MB，远大于月报所需",
            f"the CSV is larger than {MAX_CSV_BYTES // 1024 // 1024} MB, far more than a "
            "monthly report needs",
        )
    return path.read_bytes()


def _check_line_count(text: str) -> None:
    # Lines as an editor counts them: a break at the very end opens no line.
    lines = text.count("\n") + (not text.endswith("\n"))
    if lines > MAX_CSV_LINES:
        raise BadCsv(
            "too_many_lines",
            f"CSV文件有{lines}行，超过上限{MAX_CSV_LINES}行，远多于月报所需",
            f"the CSV has {lines} lines, more than the limit of {MAX_CSV_LINES}, far more "
            "than a monthly report needs",
            found=f"{lines} lines",
        )


def _header(names: list[str], log: FindingLog) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        key = clean_text(name).lower()
        if key in HEADER and key not in columns:
            columns[key] = index
        elif key:
            log.add(
                "info", "extra_column", line=1, cell=f"{column_letter(index + 1)}1",
                zh="此列不是长表的列，已忽略", en="this column is not part of the long format "
                "and was ignored",
                found=name,
            )

    missing = [n for n in HEADER if n not in columns]
    if missing:
        raise BadCsv(
            "bad_header",
            "此行应为列名：" + ",".join(HEADER) + "；缺少" + "、".join(missing),
            "this line should be the header " + ",".join(HEADER) + "; missing "
            + ", ".join(missing),
            found=",".join(names), line=1,
        )
    return columns


def _read_record(record: Record, state: CsvState, log: FindingLog) -> None:
    if not _submission_fields(record, state, log):
        return

    tbl = _table(record, log)
    if tbl is None:
        return

    row_key = _row_key(record, tbl, log)
    if row_key is None:
        return

    _value(record, tbl, row_key, state, log)


# (code, column, expected in Chinese, expected in English, found)
_FieldProblem = tuple[str, str, str, str, str]


def _submission_fields(record: Record, state: CsvState, log: FindingLog) -> bool:
    """county_code and period are repeated on every line and must agree with line 2."""
    code = clean_text(record.fields["county_code"])
    period = parse_period(record.fields["period"])
    problems = [p for p in (_county_problem(code, state), _period_problem(record, period, state))
                if p is not None]

    for code_, column, zh, en, found in problems:
        log.add("error", code_, line=record.line, cell=record.cell(column),
                zh=f"{column}应为{zh}", en=f"{column} should be {en}", expected=en, found=found)
    if problems or period is None:
        return False

    state.county_code = state.county_code or code
    if state.period is None:
        state.period, state.period_line = period, record.line
        state.period_cell = record.cell("period")
    return True


def _county_problem(code: str, state: CsvState) -> _FieldProblem | None:
    if not _is_county_code(code):
        return ("bad_county_code", "county_code", "6位数字的行政区划代码",
                "a 6-digit county code", code)

    if state.county_code not in (None, code):
        return ("inconsistent_county", "county_code", f"与前面各行相同的{state.county_code}",
                f"the same code as earlier lines ({state.county_code})", code)
    return None


def _period_problem(record: Record, period: str | None, state: CsvState) -> _FieldProblem | None:
    if period is None:
        return ("bad_period", "period", "形如2020-03的报告期", "a period such as 2020-03",
                record.fields["period"])

    if state.period not in (None, period):
        return ("inconsistent_period", "period", f"与前面各行相同的{state.period}",
                f"the same period as earlier lines ({state.period})", period)
    return None


def _table(record: Record, log: FindingLog) -> Table | None:
    name = clean_text(record.fields["table"]).lower()
    tbl = form.table(name)
    if tbl is None:
        log.add(
            "error", "unknown_table", line=record.line, cell=record.cell("table"),
            zh="table应为t1、t2、t3或t4", en="table should be t1, t2, t3 or t4",
            expected="t1 | t2 | t3 | t4", found=record.fields["table"],
        )
    return tbl


def _row_key(record: Record, tbl: Table, log: FindingLog) -> str | None:
    text = record.fields["row_key"]
    key = tbl.key_indicator
    if key is None:
        if clean_text(text):
            log.add(
                "error", "unexpected_row_key", line=record.line, cell=record.cell("row_key"),
                table=tbl.id, zh=f"{tbl.id}只有一行，row_key应留空",
                en=f"{tbl.id} has a single row; row_key should be empty",
                expected="", found=text,
            )
            return None
        return ""

    parsed = parse_value(text, key.kind)
    if parsed.problem is not None:
        log.problem(parsed.problem, line=record.line, cell=record.cell("row_key"), table=tbl.id,
                    indicator=key.id, found=text, label="row_key")
        return None

    if parsed.value is None:
        log.add(
            "error", "missing_row_key", line=record.line, cell=record.cell("row_key"),
            table=tbl.id, zh=f"{tbl.id}的row_key应填写{key.label}",
            en=f"row_key in {tbl.id} should give the {key.id}", expected=key.id,
        )
        return None
    return str(parsed.value)


# A value split at an unquoted thousands comma, certain or not: (code, zh, en).
_SPLIT = {
    True: (
        "unquoted_thousands",
        "数字中的千位分隔逗号没有加引号，数字被拆成了几个字段，值未读取；请加引号"
        "（如\"3,934\"）或删去逗号",
        "the number's thousands comma is not quoted, so the line split it into fields and "
        "the value was not read; quote it (\"3,934\") or leave the comma out",
    ),
    False: (
        "number_beside_value",
        "值后面紧接的一列也以数字开头，可能是千位分隔逗号没有加引号把一个数拆开了，值未读取；"
        "如果是一个数，请加引号（如\"3,934\"）或删去逗号；如果那一列是另加的（序号、"
        "备注等），请不要紧接在value列之后",
        "the column right after the value also starts with a digit, so this may be one "
        "number split at an unquoted thousands comma, and the value was not read; if it is "
        "one number, quote it (\"3,934\") or leave the comma out; if that column is one "
        "of yours (a serial number, a note), put it elsewhere than right after value",
    ),
}


def _value(record: Record, tbl: Table, row_key: str, state: CsvState, log: FindingLog) -> None:
    indicator_id = clean_text(record.fields["indicator"])
    indicator = tbl.indicator(indicator_id)
    where = {"line": record.line, "table": tbl.id, "row_key": row_key}
    if indicator is None:
        log.add(
            "error", "unknown_indicator", cell=record.cell("indicator"), **where,
            zh=f"{tbl.id}中没有这个指标", en=f"{tbl.id} has no such indicator",
            expected=", ".join(i.id for i in tbl.indicators), found=record.fields["indicator"],
        )
        return

    if tbl.key == "village_code":
        state.villages.setdefault(row_key, ("", record.cell("row_key"), record.line))

    if indicator.id == tbl.key:
        _check_key_echo(record, tbl, row_key, log)
        return

    if _duplicate(record, (tbl.id, row_key, indicator.id), state, log):
        return

    if record.split_number:
        code, zh, en = _SPLIT[record.split_certain]
        log.add("error", code, cell=record.cell("value"), indicator=indicator.id, **where,
                zh=zh, en=en, expected="a number without thousands commas, or quoted",
                found=record.split_number)
        return

    if record.surplus:
        log.add(
            "error", "too_many_fields", cell=record.cell("value"), indicator=indicator.id,
            **where,
            zh="此行的字段比表头的列多，值未读取；含逗号的内容须加引号",
            en="this line has more fields than the header has columns, so its value was not "
               "read; text with a comma in it must be quoted",
            expected="one field a column", found=record.surplus,
        )
        return

    raw = record.fields["value"]
    parsed: Parsed = parse_value(raw, indicator.kind, scale=indicator.scale)
    if parsed.problem is not None:
        log.problem(parsed.problem, cell=record.cell("value"), indicator=indicator.id,
                    found=raw, label=indicator.id, **where)
    if not parsed.is_error:
        state.values.append(Value(tbl.id, row_key, indicator.id, parsed.value, "",
                                  record.cell("value"), raw, record.line))


def _check_key_echo(record: Record, tbl: Table, row_key: str, log: FindingLog) -> None:
    """A line that restates the key as a value is harmless when it agrees."""
    key = tbl.key_indicator
    assert key is not None
    echoed = parse_value(record.fields["value"], key.kind).value
    if echoed != row_key:
        log.add(
            "error", "key_mismatch", line=record.line, cell=record.cell("value"), table=tbl.id,
            row_key=row_key, indicator=key.id,
            zh=f"{key.id}的值与row_key不一致", en=f"the value of {key.id} differs from row_key",
            expected=row_key, found=record.fields["value"],
        )


def _duplicate(
    record: Record, key: tuple[str, str, str], state: CsvState, log: FindingLog
) -> bool:
    if key not in state.seen:
        state.seen[key] = record.line
        return False

    log.add(
        "error", "duplicate_value", line=record.line, cell=record.cell("indicator"),
        table=key[0], row_key=key[1], indicator=key[2],
        zh=f"同一指标已在第{state.seen[key]}行填过", en=f"the same figure was already given "
        f"on line {state.seen[key]}",
        expected="one line each", found=key[2],
    )
    return True


def _check_complete(state: CsvState, log: FindingLog) -> None:
    present = {v.table for v in state.values} | {k[0] for k in state.seen}
    for tbl in form.TABLES:
        if tbl.id == "t2" and tbl.id not in present:
            # A county with no supervised village has nothing to put in 表2, and a long CSV
            # cannot show an empty table; say so without refusing the file.
            log.add(
                "info", "no_village_rows", table=tbl.id,
                zh="文件中没有表2（贫困村）的数据：按本县无督战村处理",
                en="the file has no 表2 lines: read as a county with no supervised village",
            )
            continue
        if tbl.id not in present:
            log.add(
                "error", "missing_sheet", table=tbl.id,
                zh=f"文件中没有{tbl.id}（{tbl.sheet_name}）的数据",
                en=f"the file has no lines for {tbl.id} ({tbl.sheet_name})",
                expected=tbl.id,
            )
            continue
        _check_indicators(tbl, state, log)


def _check_indicators(tbl: Table, state: CsvState, log: FindingLog) -> None:
    given = {k[2] for k in state.seen if k[0] == tbl.id}
    for indicator in tbl.value_indicators:
        if indicator.required and indicator.id not in given:
            log.add(
                "error", "missing_indicator", table=tbl.id, indicator=indicator.id,
                zh=f"{tbl.id}缺少指标{indicator.id}（{indicator.label}）",
                en=f"{tbl.id} has no line for {indicator.id} ({indicator.label})",
                expected=indicator.id,
            )

    keys = {k[1] for k in state.seen if k[0] == tbl.id}
    for missing in (k for k in tbl.fixed_keys if k not in keys):
        log.add(
            "warning", "missing_source", table=tbl.id, row_key=missing,
            zh=f"缺少问题来源“{missing}”", en=f"there are no lines for the source “{missing}”",
            expected=missing,
        )


def _check_submission(state: CsvState, declared_period: str | None, log: FindingLog) -> None:
    if state.county_code is None:
        log.add("error", "missing_county_code", zh="文件中没有行政区划代码",
                en="the file gives no county code", expected="NNNNNN")

    if state.period is None:
        log.add("error", "missing_period", zh="文件中没有报告期", en="the file gives no period",
                expected="YYYY-MM")
        return

    if declared_period is not None and declared_period != state.period:
        log.add(
            "warning", "period_mismatch", line=state.period_line, cell=state.period_cell,
            zh=f"文件中报告期为{state.period}，但文件放在{declared_period}的目录中，以文件中为准",
            en=f"the file gives the period {state.period} but was delivered for "
            f"{declared_period}; the file's period is used",
            expected=declared_period, found=state.period,
        )
