"""What reading a submission produces: typed values, findings and the parsed submission.

All result types are frozen; ``FindingLog`` is the one mutable helper, used while a file
is being read, which phrases every finding for a county clerk in Chinese and English.
"""

from __future__ import annotations

import csv
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, NamedTuple, Protocol
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from .values import Problem

# A mobile number typed into the wrong cell must not reach the findings in clear.
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

Severity = Literal["error", "warning", "info"]
Format = Literal["xlsx", "csv", "unsupported"]


@dataclass(frozen=True)
class Finding:
    """Something to tell the county about one file.

    ``sheet`` and ``cell`` (A1 form, e.g. ``表1 贫困人口`` / ``F5``) place it in a
    workbook; ``line`` places it in a CSV (where ``cell`` is the cell a spreadsheet
    program shows for that field). ``expected`` and ``found`` are short; ``found`` is
    never personal data.
    """

    severity: Severity
    code: str
    file_name: str
    message_zh: str
    message_en: str
    sheet: str = ""
    cell: str = ""
    line: int | None = None
    table: str = ""
    row_key: str = ""
    indicator: str = ""
    expected: str = ""
    found: str = ""


class Value(NamedTuple):
    """One reported (or explicitly not reported) figure.

    ``value`` is Decimal for numbers, bool for 是/否, str for text, None when not
    reported. ``row_key`` is '' in t1/t3, the village code in t2, the source in t4.
    A named tuple, not a dataclass: a national year holds some 23 million of them, and
    a tuple is built several times faster.
    """

    table: str
    row_key: str
    indicator: str
    value: Decimal | bool | str | None
    sheet: str
    cell: str
    raw: str
    line: int | None = None


@dataclass(frozen=True)
class PersonalHashes:
    """Keyed hashes of the footer's personal data; the clear text is never kept."""

    filer: str | None = None
    phone: str | None = None
    reviewer: str | None = None


class HasFindings:
    """What a file's findings decide: it is accepted unless one of them is an error."""

    findings: tuple[Finding, ...]

    @property
    def accepted(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


@dataclass(frozen=True)
class ParsedSubmission(HasFindings):
    """One file as read: where it comes from, its values and what is wrong with it."""

    file_name: str
    format: Format
    county_code: str | None = None
    county_name: str | None = None
    period: str | None = None
    filled_date: date | None = None
    declared_period: str | None = None
    personal: PersonalHashes = field(default_factory=PersonalHashes)
    values: tuple[Value, ...] = ()
    findings: tuple[Finding, ...] = ()


class Refusal(Protocol):
    """What a reader raises for a file it refuses as a whole."""

    code: str
    zh: str
    en: str
    found: str


class FindingLog:
    """Collects the findings on one file and words their messages."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.items: list[Finding] = []

    def add(
        self,
        severity: Severity,
        code: str,
        *,
        zh: str,
        en: str,
        sheet: str = "",
        cell: str = "",
        line: int | None = None,
        table: str = "",
        row_key: str = "",
        indicator: str = "",
        expected: str = "",
        found: str = "",
    ) -> None:
        where_zh, where_en = self._where(sheet, cell, line)
        # Masked before it is cut, so that no part of a number survives the cut; control
        # characters quoted, so that a value with a line break stays on its line.
        shown = shown_name(_mask_phones(found))
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        message_zh = f"{where_zh}：{zh}" + (f"，实际为“{shown}”" if found else "") + "。"
        message_en = f"{where_en}: {en}" + (f" (found “{shown}”)" if found else "") + "."

        self.items.append(
            Finding(
                severity, code, self.file_name, message_zh, message_en, sheet, cell, line,
                table, row_key, indicator, expected, shown,
            )
        )

    def unreadable(self, exc: BaseException) -> None:
        """What a reader says when a file fails in a way no rule foresaw: a file must never
        stop the nightly load, so the error is a finding for a person to look at."""
        zh, en = damage_message(
            exc, "读取文件时出错，已转人工处理",
            "the file could not be read and was passed on for a person to look at",
        )
        self.add("error", "unreadable_file", zh=zh, en=en, found=damage_token(exc))

    def refused(self, refused: Refusal) -> None:
        """A file a reader refused as a whole (``workbook.Refused``, ``longcsv.BadCsv``):
        its code and words, with the sheet or the line when it names one."""
        self.add("error", refused.code, sheet=getattr(refused, "sheet", ""),
                 line=getattr(refused, "line", None), zh=refused.zh, en=refused.en,
                 found=refused.found)

    def damaged(self, exc: BaseException) -> None:
        """A file that zipfile, zlib, an XML parser or csv could not read (see DAMAGED)."""
        zh, en = corrupt_file_message(exc)
        self.add("error", "corrupt_file", zh=zh, en=en, found=damage_token(exc))

    def problem(
        self,
        problem: Problem,
        *,
        sheet: str = "",
        cell: str = "",
        line: int | None = None,
        table: str = "",
        row_key: str = "",
        indicator: str = "",
        found: str = "",
        label: str = "",
    ) -> None:
        """A finding from a value problem, prefixed with the column label when known."""
        prefix_zh = f"“{label}”" if label else ""
        prefix_en = f"“{label}” " if label else ""
        self.add(
            problem.severity,  # type: ignore[arg-type]
            problem.code,
            zh=prefix_zh + problem.zh,
            en=prefix_en + problem.en,
            sheet=sheet,
            cell=cell,
            line=line,
            table=table,
            row_key=row_key,
            indicator=indicator,
            expected=problem.expected,
            found=found,
        )

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.items)

    def _where(self, sheet: str, cell: str, line: int | None) -> tuple[str, str]:
        name = shown_name(self.file_name)
        if line is not None:
            return f"文件“{name}”第{line}行", f"File “{name}”, line {line}"

        if sheet and cell:
            return f"文件“{name}”{sheet}!{cell}", f"File “{name}”, {sheet}!{cell}"

        if sheet:
            return f"文件“{name}”工作表“{sheet}”", f"File “{name}”, sheet {sheet}"

        return f"文件“{name}”", f"File “{name}”"


# Control characters (a line break, a tab) are legal in a file name and would break a
# message across lines in the summary, the quarantine report and the feedback workbook.
_CONTROL_SHOWN = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)}


def shown_name(file_name: str) -> str:
    """A file name as a message quotes it: control characters as \\xNN, the rest as is."""
    return file_name.translate(_CONTROL_SHOWN)


def _mask_phones(text: str) -> str:
    return _MOBILE.sub(lambda m: m.group(0)[:3] + "********", text)


# What a county clerk is told instead of a Python exception's name: the reason goes into the
# message, whole, in each language (``found`` is cut at 60 characters and is one language).
_DAMAGE_EXPLAINED = {
    "BadZipFile": (
        "不是有效的.xlsx文件：可能为空、已损坏，或是旧版.xls改了扩展名",
        "not a valid .xlsx file: it may be empty, damaged, or an old .xls renamed",
    ),
    # workbook.MemberMismatch: a member inflating past its declared size (a zip bomb's
    # trick), or whose content fails its checksum.
    "MemberMismatch": (
        "压缩内容与文件声明的大小不符，文件已损坏或被故意改造",
        "the compressed content does not match the sizes the file declares: it is damaged "
        "or deliberately malformed",
    ),
    # Entities and DTDs are no damage: workbook refuses them as forbidden_xml, naming the sheet.
    "ParseError": ("工作表的XML内容不完整或有误", "the sheet's XML is incomplete or malformed"),
    "ExpatError": ("工作簿的XML内容不完整或有误", "the workbook's XML is incomplete or malformed"),
    "XmlError": ("工作簿的XML内容不完整或有误", "the workbook's XML is incomplete or malformed"),
    "EOFError": ("文件不完整", "the file is incomplete"),
    "error": ("压缩内容已损坏", "the compressed content is damaged"),  # zlib.error
}


# What a damaged file makes zipfile, zlib, the XML parsers, openpyxl and csv raise.
DAMAGED = (
    zipfile.BadZipFile, zlib.error, ParseError, ExpatError, KeyError, ValueError, EOFError,
    OSError, csv.Error,
)


def explain_damage(exc: BaseException) -> tuple[str, str] | None:
    """A reader's words (zh, en) for why a damaged file could not be opened; None when no
    rule explains the exception."""
    return _DAMAGE_EXPLAINED.get(type(exc).__name__)


def damage_token(exc: BaseException) -> str:
    """What ``found`` holds for a damaged file: nothing when the message explains it, else
    the exception's name, the one clue for whoever looks into the file."""
    return "" if explain_damage(exc) else type(exc).__name__


def damage_message(
    exc: BaseException, zh: str, en: str, *, advice: tuple[str, str] = ("", ""),
) -> tuple[str, str]:
    """A damaged file's headline with the reason in brackets and then the advice, e.g.
    "文件已损坏或不完整，无法读取（文件不完整），请重新保存后再报送"."""
    reason = explain_damage(exc)
    if reason is not None:
        zh, en = f"{zh}（{reason[0]}）", f"{en} ({reason[1]})"
    if advice[0]:
        zh, en = f"{zh}，{advice[0]}", f"{en}; {advice[1]}"
    return zh, en


def corrupt_file_message(exc: BaseException) -> tuple[str, str]:
    """The ``corrupt_file`` finding's words (zh, en), whichever reader met the damage."""
    return damage_message(
        exc, "文件已损坏或不完整，无法读取", "the file is damaged or incomplete and cannot be read",
        advice=("请重新保存后再报送", "save it again and resend"),
    )
