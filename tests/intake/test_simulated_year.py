"""A messy simulated stretch of 2020 through the real nightly load.

The simulator records every fault it injects; the warehouse must agree file by file:
what it quarantined is exactly what was unloadable, resubmissions are current versions,
late files are late, and every row from a simulated file is marked simulated.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from orchestration.simulation.messy import MessyOptions
from orchestration.simulation.writer import SimulationResult, simulate
from tests.conftest import Scratch, make_scratch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def messy_load(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scratch, SimulationResult]:
    scratch = make_scratch(tmp_path_factory.mktemp("messy"))
    result = simulate(
        scratch.raw / "submissions", months=["2020-02", "2020-03"], messy=MessyOptions.preset()
    )
    run = scratch.dukan("nightly")
    assert run.returncode == 0, run.stdout + run.stderr
    return scratch, result


def query(scratch: Scratch, sql: str) -> list[tuple]:
    with duckdb.connect(str(scratch.published), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_files_were_parsed_while_the_run_started(messy_load) -> None:
    scratch, _ = messy_load
    (log,) = (scratch.warehouse / "logs").glob("nightly-*.log")
    text = log.read_text()
    ahead = re.findall(r"parse_ahead: process \d+ parsed (\d+) files of 2020-02..2020-03", text)
    shared = re.findall(r"(\d+) files: \1 parsed \((\d+) of them by the process started ahead\)",
                        text)
    # What the process ahead parsed is in the warehouse as the tests below check it.
    assert len(ahead) == 1 and int(ahead[0]) > 0, "the idle core parsed nothing ahead"
    assert len(shared) == 1 and 0 < int(shared[0][1]) <= int(ahead[0])


def test_quarantine_is_exactly_the_files_with_an_error(messy_load) -> None:
    scratch, result = messy_load
    unloadable = {
        Path(fault.relative_path).name
        for fault in result.faults
        if fault.unloadable or fault.expected_severity == "error"
    }

    quarantined = {
        name for (name,) in query(
            scratch, "select original_name from quality.submission_status where status = 'quarantined'"
        )
    }

    assert unloadable, "the messy preset injects unloadable files"
    assert quarantined == unloadable


def test_every_reported_fault_is_a_finding_on_its_cell(messy_load) -> None:
    scratch, result = messy_load
    findings = set(
        query(scratch, "select file_name, sheet, cell, code from submissions.findings")
    )

    expected = {
        (Path(f.relative_path).name, f.sheet, f.cell, f.expected_code)
        for f in result.faults
        if f.expected_code and f.cell
    }

    assert expected and expected <= findings


def test_resubmissions_are_current_and_late_files_are_late(messy_load) -> None:
    scratch, result = messy_load
    corrected = {row.file_name for row in result.files if row.kind == "county" and row.version == 2}
    late = {
        row.file_name for row in result.files
        if row.kind == "county" and row.received_at[8:10] > "25" and row.received_at[5:7] == row.period[5:7]
    }

    status = {
        name: (current, is_late)
        for name, current, is_late in query(
            scratch,
            "select original_name, is_current, is_late from quality.submission_status "
            "where status = 'accepted'",
        )
    }

    assert corrected and all(status[name][0] for name in corrected if name in status)
    assert late and all(status[name][1] for name in late if name in status)


def test_missing_county_months_have_no_report(messy_load) -> None:
    scratch, result = messy_load

    reported = set(query(scratch, "select county_code, period from counties.county_monthly_report"))

    assert result.missing
    assert not reported & set(result.missing)


def test_every_county_row_is_marked_simulated(messy_load) -> None:
    scratch, _ = messy_load

    flags = query(scratch, "select distinct is_simulated from counties.county_monthly_report")

    assert flags == [(True,)]


def test_every_county_gets_feedback_for_every_month(messy_load) -> None:
    # Every county of every month gets its workbook, and one that sent nothing is told so.
    scratch, result = messy_load
    counties = {code for (code,) in query(scratch, "select county_code from reference.counties")}

    months = ("2020-02", "2020-03")
    for month in months:
        folder = scratch.warehouse / "feedback" / month
        books = {path.name.split("_")[0]: path for path in folder.glob("*_反馈.xlsx")}
        assert set(books) == counties
        for code, period in result.missing:
            if period == month:
                sheet = CalamineWorkbook.from_path(str(books[code])).get_sheet_by_index(0)
                assert sheet.to_python()[1][0] == "未收到本月报表。"
    assert any(period in months for _, period in result.missing)


def test_every_county_file_has_its_county_name_csv_ones_too(messy_load) -> None:
    scratch, _ = messy_load
    names = query(
        scratch,
        "select lower(regexp_extract(original_name, '\\.(\\w+)$', 1)) as extension, "
        "count(*), count(status.county_name), "
        "count_if(status.county_name = counties.county_name) "
        "from quality.submission_status status "
        "join reference.counties counties using (county_code) "
        "where status.status = 'accepted' group by extension order by extension",
    )

    by_extension = {extension: counts for extension, *counts in names}
    assert set(by_extension) == {"csv", "xlsx"}, "the simulated stretch has both formats"
    files, named, as_registered = by_extension["csv"]
    assert files == named == as_registered  # a CSV gives no name: the registry's
    files, named, _ = by_extension["xlsx"]
    assert files == named  # a workbook's own 填报单位
