"""County files through a real nightly load: versions, lateness, quarantine, personal data."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import pytest

from orchestration.submissions.form import T1, T2, T3, T4, TABLES
from tests.conftest import Scratch, make_scratch
from tests.submissions.clerk_workbooks import (
    FILER,
    PHONE,
    T1_DATA,
    T2_DATA,
    T3_DATA,
    T4_DATA,
    form_sheet,
    save,
    standard_sheets,
)

pytestmark = pytest.mark.slow

BEIJING = ZoneInfo("Asia/Shanghai")


def deliver(scratch: Scratch, month: str, name: str, sheets, when: str) -> Path:
    path = scratch.raw / "submissions" / month / name
    path.parent.mkdir(parents=True, exist_ok=True)
    save(path, sheets)
    stamp = datetime.fromisoformat(when).replace(tzinfo=BEIJING).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def t1_with(index: int, value: object, *, info=None, footer=None):
    """The standard workbook with one 表1 value changed (and, given `info`, another period
    on every sheet)."""
    sheets = standard_sheets()
    if info is not None:
        sheets = {
            key: form_sheet(table, [list(row) for row in data], info=info)
            for (key, table, data) in (
                ("t1", T1, [T1_DATA]), ("t2", T2, T2_DATA), ("t3", T3, [T3_DATA]),
                ("t4", T4, T4_DATA),
            )
        }
    data = list(T1_DATA)
    data[index] = value
    sheets["t1"] = form_sheet(T1, [data], info=info, footer=footer)
    return sheets


UNLIFTED = [i.id for i in T1.indicators].index("unlifted_persons")
LIFTED_THIS_MONTH = [i.id for i in T1.indicators].index("lifted_this_month")


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scratch, str]:
    scratch = make_scratch(tmp_path_factory.mktemp("intake"))
    deliver(scratch, "2020-03", "宕昌县3月.xlsx", standard_sheets(), "2020-03-24T10:00:00")
    # The same bytes again under the name a second download gives: one submission, not two.
    deliver(scratch, "2020-03", "宕昌县3月(1).xlsx", standard_sheets(), "2020-03-24T10:05:00")
    deliver(scratch, "2020-03", "宕昌县3月更正.xlsx", t1_with(LIFTED_THIS_MONTH, 130),
            "2020-03-27T09:00:00")
    deliver(scratch, "2020-03", "坏文件.xlsx", t1_with(UNLIFTED, "两千"), "2020-03-24T11:00:00")
    april = [["填报单位：宕昌县", None, None, "行政区划代码：621223", None, None, "报告期：2020年4月"]]
    deliver(scratch, "2020-04", "宕昌县4月提前.xlsx", t1_with(0, 52000, info=april),
            "2020-03-30T09:00:00")
    # April on time, but 1900 not lifted where March's 2000 and April's flows give 1887.
    deliver(scratch, "2020-04", "宕昌县4月.xlsx", t1_with(UNLIFTED, 1900, info=april),
            "2020-04-20T09:00:00")
    # A county outside the 75 (a district of Lanzhou): only the load can tell.
    lanzhou = [["填报单位：城关区", None, None, "行政区划代码：620102", None, None,
                "报告期：2020年3月"]]
    deliver(scratch, "2020-03", "城关区3月.xlsx", t1_with(0, 52000, info=lanzhou),
            "2020-03-24T12:00:00")
    (scratch.raw / "submissions" / "2020-03" / "说明.pdf").write_bytes(b"%PDF-1.4")

    result = scratch.dukan("nightly")
    assert result.returncode == 0, result.stdout + result.stderr
    return scratch, result.stdout


def rows(scratch: Scratch, sql: str) -> list[tuple]:
    with duckdb.connect(str(scratch.published), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_resubmission_is_a_new_current_version_and_both_stay(intake) -> None:
    scratch, _ = intake

    versions = rows(
        scratch,
        "select original_name, version, is_current, is_late from quality.submission_status "
        "where status = 'accepted' and period = '2020-03' order by version",
    )
    report = rows(
        scratch,
        "select lifted_this_month, version from counties.county_monthly_report "
        "where county_code = '621223' and period = '2020-03'",
    )

    assert versions == [("宕昌县3月.xlsx", 1, False, False), ("宕昌县3月更正.xlsx", 2, True, True)]
    assert report == [(130, 2)]


def test_the_same_file_under_two_names_is_loaded_once(intake) -> None:
    scratch, _ = intake

    receipts = rows(scratch, "select count(*) from submissions.receipts where original_name like '宕昌县3月%.xlsx' and original_name not like '%更正%'")
    files = rows(scratch, "select count(*), min(file_name) from submissions.files where file_name like '宕昌县3月%' and file_name not like '%更正%'")

    assert receipts == [(2,)]
    assert files == [(1, "宕昌县3月.xlsx")]


def test_the_operator_is_told_about_quarantined_files(intake) -> None:
    _, summary = intake

    assert "Quarantined 4 file(s) of the months loaded, earlier nights' included" in summary


def test_bad_files_are_quarantined_with_every_reason(intake) -> None:
    scratch, _ = intake

    quarantined = dict(
        rows(
            scratch,
            "select original_name, errors_zh from quality.submission_status "
            "where status = 'quarantined'",
        )
    )
    finding = rows(
        scratch,
        "select sheet, cell, found, code from submissions.findings "
        "where file_name = '坏文件.xlsx' and severity = 'error'",
    )

    assert set(quarantined) == {"坏文件.xlsx", "宕昌县4月提前.xlsx", "城关区3月.xlsx", "说明.pdf"}
    assert finding == [("表1 贫困人口", "D4", "两千", "not_a_number")]
    assert "报告期尚未开始" in quarantined["宕昌县4月提前.xlsx"]
    # The location once, as the message gives it, not again in front of it.
    assert quarantined["坏文件.xlsx"].startswith("文件“坏文件.xlsx”表1 贫困人口!D4：")
    report = next((scratch.warehouse / "quarantine" / "2020-03").glob("坏文件.xlsx.*.txt"))
    text = report.read_text(encoding="utf-8-sig")
    assert "表1 贫困人口!D4" in text and "两千" in text


def test_load_time_findings_name_the_file_as_every_other_finding_does(intake) -> None:
    scratch, _ = intake

    findings = rows(
        scratch,
        "select file_name, code, found, message_zh, message_en from submissions.findings "
        "where code in ('unknown_county', 'period_not_started') order by code",
    )

    assert findings == [
        ("宕昌县4月提前.xlsx", "period_not_started", "2020-04",
         "文件“宕昌县4月提前.xlsx”：报告期尚未开始：收到文件时该月还未到，实际为“2020-04”。",
         "File “宕昌县4月提前.xlsx”: the reporting period had not started when the file was "
         "received (found “2020-04”)."),
        ("城关区3月.xlsx", "unknown_county", "620102",
         "文件“城关区3月.xlsx”：行政区划代码不是75个贫困县之一，实际为“620102”。",
         "File “城关区3月.xlsx”: the county code is not one of the 75 poor counties "
         "(found “620102”)."),
    ]


def test_nothing_from_a_quarantined_or_held_file_reaches_the_tiers(intake) -> None:
    scratch, _ = intake

    periods = rows(scratch, "select distinct period from counties.county_monthly_report")
    april = rows(scratch, "select original_name, status from quality.submission_status "
                          "where period = '2020-04' order by original_name")

    # The early file is quarantined (April had not started); the on-time one is readable
    # but does not balance with March, so it is held.
    assert sorted(periods) == [("2020-03",)]
    assert april == [("宕昌县4月.xlsx", "held"), ("宕昌县4月提前.xlsx", "quarantined")]


def test_personal_data_never_reaches_the_warehouse_in_clear(intake) -> None:
    scratch, _ = intake
    clear = [FILER.encode(), PHONE.encode()]

    files = [scratch.published, *(scratch.warehouse / "parsed").rglob("*.parquet")]

    for path in files:
        data = path.read_bytes()
        assert not any(text in data for text in clear), path
    hashes = rows(scratch, "select distinct filer_hash from submissions.files where filer_hash is not null")
    assert len(hashes) == 1 and len(hashes[0][0]) == 64


def test_second_load_archives_and_parses_nothing_and_changes_nothing(intake) -> None:
    scratch, _ = intake
    receipts = (scratch.raw / "archive" / "receipts.csv").read_text()
    cache = {p: p.stat().st_mtime_ns for p in (scratch.warehouse / "parsed").rglob("*.parquet")}
    before = rows(scratch, "select * from quality.submission_status order by file_sha256")

    result = scratch.dukan("nightly")

    assert result.returncode == 0
    assert (scratch.raw / "archive" / "receipts.csv").read_text() == receipts
    assert {p: p.stat().st_mtime_ns for p in cache} == cache
    assert rows(scratch, "select * from quality.submission_status order by file_sha256") == before


def test_template_filled_in_loads_without_a_finding(tmp_path: Path) -> None:
    scratch = make_scratch(tmp_path)
    out = scratch.raw / "submissions" / "2020-05" / "template.xlsx"
    assert scratch.dukan("template", "--county", "621223", "--month", "2020-05",
                         "--out", str(out)).returncode == 0
    fill(out)
    stamp = datetime(2020, 5, 20, 9, tzinfo=BEIJING).timestamp()
    os.utime(out, (stamp, stamp))

    result = scratch.dukan("nightly")

    assert result.returncode == 0, result.stdout
    with duckdb.connect(str(scratch.published), read_only=True) as connection:
        status = connection.execute(
            "select status, error_count, warning_count from quality.submission_status"
        ).fetchall()
        unlifted = connection.execute(
            "select unlifted_persons from counties.county_monthly_report"
        ).fetchall()
    assert status == [("accepted", 0, 0)]
    assert unlifted == [(4,)]


# Figures that keep the file's own arithmetic right (registered = lifted + not lifted,
# parts within totals): a file that breaks it is held, not loaded.
CONSISTENT = {
    "registered_poor_total": 100, "lifted_cumulative": 96, "villages_exited_cumulative": 11,
    "frozen_pipe_fixed": 5, "issues_rectified": 1,
}


def fill(path: Path) -> None:
    """Type a value into every input cell, as a clerk would, and sign the footer."""
    workbook = openpyxl.load_workbook(path)
    for tbl in TABLES:
        ws = workbook[tbl.sheet_name]
        first = 5 if any(i.group for i in tbl.indicators) else 4
        rows_ = [first] if not tbl.many_rows else [
            r for r in range(first, ws.max_row + 1) if ws.cell(r, 1).value not in (None, "")
            and not str(ws.cell(r, 1).value).startswith("填报人")
        ]
        for row in rows_:
            for col, indicator in enumerate(tbl.indicators, start=1):
                if indicator.id in ("village_code", "township", "village_name", "source"):
                    continue
                value = CONSISTENT.get(indicator.id, _sample(indicator.kind.value, col))
                ws.cell(row, col, value)
        footer = first + len(rows_) + 1
        for col, text in ((2, "王五"), (4, "0939-5521234"), (6, "赵六"), (8, "2020年5月20日")):
            ws.cell(footer, col, text)
    workbook.save(path)


def _sample(kind: str, n: int) -> object:
    return {"count": n, "percent": n + 0.25, "decimal": f"{n}.5"}.get(
        kind, "是" if n % 2 == 0 else "否"
    )


def test_a_month_whose_flows_do_not_balance_is_held_with_its_gap(intake) -> None:
    scratch, _ = intake

    balance = rows(
        scratch,
        "select period, previous_unlifted_persons, lifted_this_month, unlifted_persons, "
        "balance_status from counties.county_monthly_balance where county_code = '621223' "
        "order by period",
    )
    findings = rows(
        scratch,
        "select r.original_name, f.expected, f.observed, f.gap, f.sheet, f.cell, f.action "
        "from quality.rule_findings as f join quality.submission_status as r "
        "using (file_sha256) where f.rule_id = 'flow_balance' order by r.original_name",
    )

    # March's 2000 − 120 lifted + 5 new + 2 returned = 1887 expected in April; the file
    # says 1900. Held: April never reaches the tiers.
    assert balance == [("2020-03", None, 130, 2000, "no_previous_month")]
    assert findings == [
        ("宕昌县4月.xlsx", "1887", "1900", 13.0, "表1 贫困人口", "D4", "file_held"),
    ]


def test_province_tier_follows_the_county_against_its_target(intake) -> None:
    scratch, _ = intake

    progress = rows(
        scratch,
        "select period, target_persons, persons_remaining, ready_for_delisting "
        "from province.province_monthly_progress where county_code = '621223' order by period",
    )

    assert progress == [("2020-03", 7200, 2000, False)]


def test_tier_marts_are_published_as_parquet_with_chinese_labels(intake) -> None:
    import pyarrow.parquet as pq

    scratch, _ = intake
    path = scratch.warehouse / "parquet" / "counties" / "county_monthly_balance.parquet"

    table = pq.read_table(path)

    assert table.num_rows == len(rows(scratch, "select * from counties.county_monthly_balance"))
    assert table.schema.metadata[b"label_zh"].decode() == "县级督战月度平衡"
    assert table.schema.field("unlifted_persons").metadata[b"label_zh"].decode() == "未脱贫人口"
    assert (scratch.warehouse / "parquet" / "dispatch" / "dispatch_monthly_overview.parquet").exists()
