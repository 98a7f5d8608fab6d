"""反馈表 One workbook per county and month that tells its clerk what was wrong, and where.

It gathers, for the county's files of the month: the reader's findings (a cell that is not
a number, a missing sheet), the rules the figures broke (a month that does not balance, a
part above its total, a summary that disagrees) and whether a usable report arrived at all.
Each line names the file, the sheet and the cell, says what is expected and what was found,
and what the warehouse did about it. A county with nothing wrong gets a workbook that says
so, so a clerk can tell "checked and clean" from "not checked".

Read from the published warehouse only: the feedback describes what auditors can see.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.lib.paths import ProjectPaths
from orchestration.lib.periods import require_reporting_month
from orchestration.lib.warehouse import connect_readonly, table_exists
from orchestration.reports.plain_xlsx import Sheet, Style, save
from orchestration.submissions.form import TABLES

SEVERITY_ZH = {
    "error": "错误", "critical": "错误", "warning": "警告", "info": "提示",
}
ACTION_ZH = {
    "quarantined": "文件未采用，请改正后重新报送",
    "file_held": "文件已暂扣，数字未进入各层级，请核实后重新报送",
    "blocks_publish": "阻止发布，待省级核查",
    "reported": "已记录，请核实；如有误请重新报送",
    "noted": "已记录，无需处理",
}
# (header, width) of the findings sheet, in the order of Finding's fields.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 6), ("文件 file", 34), ("工作表 sheet", 14), ("单元格 cell", 9),
    ("严重程度 severity", 12), ("问题 problem", 48), ("应为 expected", 20),
    ("实报 found", 16), ("差额 gap", 10), ("容差 tolerance", 10), ("处理 action", 30),
    ("规则 rule", 26),
)
TITLE = Style(font="title")
BOLD = Style(font="bold")
HEADER = Style(font="bold", fill="EEF2F6")
ROW = Style(wrap=True)
ERROR_ROW = Style(wrap=True, fill="FBE3E1")


@dataclass(frozen=True)
class Finding:
    file_name: str
    sheet: str
    cell: str
    severity: str
    problem_zh: str
    expected: str
    found: str
    gap: str
    tolerance: str
    action: str
    rule: str


@dataclass(frozen=True)
class CountyFeedback:
    county_code: str
    county_name: str
    period: str
    files: tuple[tuple[str, str, str], ...]  # (file name, received at, status)
    findings: tuple[Finding, ...]

    @property
    def digest(self) -> str:
        """Identifies the content, so an unchanged county's workbook is not written again."""
        payload = json.dumps([self.files, self.findings], ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()


def feedback_for_month(connection: duckdb.DuckDBPyConnection, period: str) -> list[CountyFeedback]:
    """Every county's feedback for `period`, in county-code order."""
    counties = connection.execute(
        "select county_code, county_name from staging.stg_reference__counties order by 1"
    ).fetchall()
    files = _files(connection, period)
    reader = _reader_findings(connection, period)
    rules = _rule_findings(connection, period)
    return [
        CountyFeedback(
            code, name, period, tuple(files.get(code, ())),
            tuple(reader.get(code, []) + rules.get(code, [])),
        )
        for code, name in counties
    ]


def _files(connection: duckdb.DuckDBPyConnection, period: str) -> dict[str, list[tuple]]:
    rows = connection.execute(
        """
        select county_code, original_name,
            strftime(received_at at time zone 'Asia/Shanghai', '%Y-%m-%d %H:%M'),
            case status when 'accepted' then
                case when is_current then '已采用（当前版本）' else '已采用（已被更正版本替代）' end
                when 'held' then '已暂扣' else '未采用' end
        from quality.submission_status
        where county_code is not null and (period = ? or (period is null and drop_month = ?))
        order by received_at
        """,
        [period, period],
    ).fetchall()
    out: dict[str, list[tuple]] = {}
    for code, *rest in rows:
        out.setdefault(code, []).append(tuple(rest))
    return out


def _reader_findings(
    connection: duckdb.DuckDBPyConnection, period: str
) -> dict[str, list[Finding]]:
    rows = connection.execute(
        """
        select findings.county_code, findings.file_name, coalesce(findings.sheet, ''),
            coalesce(findings.cell, coalesce('第' || findings.line || '行', '')),
            findings.severity, findings.message_zh, coalesce(findings.expected, ''),
            coalesce(findings.found, ''), files.accepted, findings.code
        from submissions.findings as findings
        inner join submissions.files as files
            on files.file_sha256 = findings.file_sha256
            and files.drop_month = findings.drop_month
        where findings.county_code is not null
            and (findings.period = ? or (findings.period is null and findings.drop_month = ?))
        order by findings.file_name, findings.sheet, findings.cell
        """,
        [period, period],
    ).fetchall()
    out: dict[str, list[Finding]] = {}
    for code, file_name, sheet, cell, severity, message, expected, found, accepted, rule in rows:
        action = "quarantined" if not accepted else (
            "reported" if severity == "warning" else "noted"
        )
        out.setdefault(code, []).append(Finding(
            file_name, sheet, cell, severity, message, expected, found, "", "", action, rule,
        ))
    return out


def _rule_findings(connection: duckdb.DuckDBPyConnection, period: str) -> dict[str, list[Finding]]:
    if not table_exists(connection, "quality", "rule_findings"):
        return {}
    rows = connection.execute(
        """
        select findings.county_code, coalesce(receipts.original_name, ''),
            coalesce(findings.sheet, ''), coalesce(findings.cell, ''), findings.severity,
            findings.description_zh, findings.subject, findings.expected, findings.observed,
            findings.gap, findings.tolerance, findings.action, findings.rule_id
        from quality.rule_findings as findings
        left join (
            select file_sha256, arg_min(original_name, received_at) as original_name
            from intermediate.int_submissions__file_receipts group by file_sha256
        ) as receipts on receipts.file_sha256 = findings.file_sha256
        where findings.period = ? and findings.county_code is not null
        order by findings.rule_id, findings.subject
        """,
        [period],
    ).fetchall()
    out: dict[str, list[Finding]] = {}
    for (code, file_name, sheet, cell, severity, description, subject, expected, observed,
         gap, tolerance, action, rule) in rows:
        out.setdefault(code, []).append(Finding(
            file_name, sheet, cell, severity, f"{subject_zh(subject)}：{description}",
            expected or "", observed or "", _number(gap), _number(tolerance), action, rule,
        ))
    return out


def subject_zh(subject: str) -> str:
    """'unlifted_persons' → '未脱贫人口'; ids inside a comparison are replaced the same way."""
    text = subject
    for indicator_id, label in _LABELS:
        text = text.replace(indicator_id, label)
    return text


# Longest id first, so that 'unlifted_persons' is not replaced inside a longer id.
_LABELS = sorted(
    {(indicator.id, indicator.label) for table in TABLES for indicator in table.indicators},
    key=lambda pair: -len(pair[0]),
)


def _number(value: object) -> str:
    if value is None:
        return ""
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:g}"


def write_feedback(feedback: CountyFeedback, path: Path) -> Path:
    """Write one county's workbook atomically (a reader never sees half a file)."""
    sheet = Sheet("问题清单")
    _heading(sheet, feedback)
    _findings_table(sheet, feedback.findings, first_row=len(feedback.files) + 6)
    return save(sheet, path)


def _heading(sheet: Sheet, feedback: CountyFeedback) -> None:
    errors = sum(1 for item in feedback.findings if item.severity in ("error", "critical"))
    warnings = sum(1 for item in feedback.findings if item.severity == "warning")
    notes = len(feedback.findings) - errors - warnings  # info: said, nothing to correct
    sheet.put(1, 1, f"{feedback.county_name}（{feedback.county_code}）"
              f"{feedback.period} 月报审核反馈", TITLE)
    verdict = (
        "未收到本月报表。" if not feedback.files
        else "未发现问题。" if not feedback.findings
        else f"发现问题 {len(feedback.findings)} 项：错误 {errors} 项，警告 {warnings} 项"
        + (f"，提示 {notes} 项。" if notes else "。")
    )
    sheet.put(2, 1, verdict)
    sheet.put(3, 1, "本月收到的文件 Files received", BOLD)
    for offset, (name, received, status) in enumerate(feedback.files):
        sheet.put(4 + offset, 1, name)
        sheet.put(4 + offset, 2, f"{received} 收到")
        sheet.put(4 + offset, 3, status)


def _findings_table(sheet: Sheet, findings: Sequence[Finding], first_row: int) -> None:
    for column, (header, width) in enumerate(COLUMNS, start=1):
        sheet.put(first_row, column, header, HEADER)
        sheet.widths[column] = width
    for number, item in enumerate(findings, start=1):
        style = ERROR_ROW if item.severity in ("error", "critical") else ROW
        for column, value in enumerate(_cells(number, item), start=1):
            sheet.put(first_row + number, column, value, style)
    sheet.frozen_rows = first_row


def _cells(number: int, item: Finding) -> Iterable[object]:
    return (
        number, item.file_name, item.sheet, item.cell,
        SEVERITY_ZH.get(item.severity, item.severity), item.problem_zh, item.expected,
        item.found, item.gap, item.tolerance, ACTION_ZH.get(item.action, item.action),
        item.rule,
    )


def months_with_files(paths: ProjectPaths) -> list[str]:
    """The reporting months of the county files in the published warehouse."""
    with connect_readonly(paths) as connection:
        if not table_exists(connection, "quality", "submission_status"):
            return []
        rows = connection.execute(
            "select distinct coalesce(period, drop_month) as month "
            "from quality.submission_status where county_code is not null order by 1"
        ).fetchall()
    return [month for (month,) in rows]


@dataclass(frozen=True)
class FeedbackRun:
    written: list[Path]
    unchanged: int
    folder: Path


def write_month_feedback(paths: ProjectPaths, period: str, out_dir: Path | None = None,
                         county: str | None = None,
                         connection: duckdb.DuckDBPyConnection | None = None) -> FeedbackRun:
    """Write the month's workbooks under `<out_dir>/<period>/`, skipping unchanged ones.

    A digest of each county's content is kept beside the workbooks; a workbook whose digest
    has not changed is not rewritten, so a night with no new file for a county leaves its
    workbook (and its timestamp) as the clerk last saw it. ``connection``, a read-only
    connection to the published warehouse, is for writing many months (opening the file
    costs some 30 ms a time); without it one is opened.
    """
    require_reporting_month(period)  # it names a folder: nothing else may reach the path
    folder = (out_dir or paths.warehouse_dir / "feedback") / period
    if connection is None:
        with connect_readonly(paths) as own:
            feedback = feedback_for_month(own, period)
    else:
        feedback = feedback_for_month(connection, period)
    digests_path = folder / "digests.json"
    digests = json.loads(digests_path.read_text()) if digests_path.exists() else {}
    written, unchanged = [], 0
    for item in feedback:
        if county and item.county_code != county:
            continue
        path = folder / f"{item.county_code}_{item.county_name}_{period}_反馈.xlsx"
        if digests.get(item.county_code) == item.digest and path.exists():
            unchanged += 1
            continue
        written.append(write_feedback(item, path))
        digests[item.county_code] = item.digest
    folder.mkdir(parents=True, exist_ok=True)
    partial = digests_path.with_name("digests.json.partial")
    partial.write_text(json.dumps(digests, ensure_ascii=False, indent=1, sort_keys=True))
    os.replace(partial, digests_path)
    return FeedbackRun(written, unchanged, folder)
