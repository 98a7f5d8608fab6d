"""The submission rules on a real nightly load: two simulated months, one planted mistake per
county, and each rule must find its own mistake, name the cell, and do what its severity says
(hold the file, or only report), while the other counties pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import Scratch, make_scratch
from tests.quality.workbook_edits import edit, read, row_of

pytestmark = pytest.mark.slow

MARCH, APRIL = "2020-03", "2020-04"
# 陇南市's counties, one mistake each (all in April unless said otherwise).
FLOW = "621202"        # 武都区: 未脱贫人口 and 建档立卡 both +100, so only the balance breaks
HOUSEHOLDS = "621221"  # 成县: more households than persons not lifted
SUMMARY = "621222"     # 文县: the prefecture's summary says 7 more low-income people
REVERSED = "621226"    # 礼县: a village exited in March, reported unexited in April
OUTLIER = "621223"     # 宕昌县: low-income people fall to a tenth in one month
MISSING = "621227"     # 徽县: no April file
UNLISTED = "621225"    # 西和县: one village's code mistyped in April
EARLY = "620122"       # 皋兰县: a May report, balancing, sent in the April folder


def county_file(scratch: Scratch, month: str, code: str) -> Path:
    folder = scratch.raw / "submissions" / month
    return next(folder.glob(f"{code}_*_{month}.xlsx"))


def summary_file(scratch: Scratch, month: str, prefecture: str) -> Path:
    return next((scratch.raw / "submissions" / month).rglob(f"{prefecture}_*汇总*.xlsx"))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scratch, dict[str, object]]:
    scratch = make_scratch(tmp_path_factory.mktemp("rules"))
    result = scratch.dukan("simulate", "--months", f"{MARCH}..{APRIL}")
    assert result.returncode == 0, result.stderr
    facts = plant_mistakes(scratch)
    result = scratch.dukan("nightly")
    facts["stdout"] = result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    return scratch, facts


def plant_mistakes(scratch: Scratch) -> dict[str, object]:
    facts: dict[str, object] = {}
    path = county_file(scratch, APRIL, FLOW)
    unlifted = read(path, "表1", "未脱贫人口")
    registered = read(path, "表1", "建档立卡贫困人口（累计）")
    facts["flow_cell"] = edit(path, "表1", "未脱贫人口", unlifted + 100)
    edit(path, "表1", "建档立卡贫困人口（累计）", registered + 100)
    facts["flow_observed"] = unlifted + 100

    path = county_file(scratch, APRIL, HOUSEHOLDS)
    persons = read(path, "表1", "未脱贫人口")
    facts["households_cell"] = edit(path, "表1", "未脱贫户数", persons + 5)

    path = summary_file(scratch, APRIL, "621200")
    row = row_of(path, "汇总", "文县")
    low_income = read(path, "汇总", "人均纯收入低于4000元的低收入人口", row=row)
    facts["summary_cell"] = edit(path, "汇总", "人均纯收入低于4000元的低收入人口",
                                 low_income + 7, row=row)

    path = county_file(scratch, MARCH, REVERSED)
    village = str(read(path, "表2", "村代码"))
    edit(path, "表2", "是否已退出", "是")
    facts["reversed_village"] = village

    path = county_file(scratch, APRIL, OUTLIER)
    facts["outlier_before"] = read(county_file(scratch, MARCH, OUTLIER), "表1",
                                   "人均纯收入低于4000元的低收入人口")
    edit(path, "表1", "人均纯收入低于4000元的低收入人口", facts["outlier_before"] // 10)

    county_file(scratch, APRIL, MISSING).unlink()

    early = county_file(scratch, APRIL, EARLY).with_name(f"{EARLY}_皋兰县_5月.xlsx")
    shutil.copy2(county_file(scratch, APRIL, EARLY), early)
    book = openpyxl.load_workbook(early)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(max_row=2):
            for cell in row:
                if isinstance(cell.value, str) and "2020年4月" in cell.value:
                    cell.value = cell.value.replace("2020年4月", "2020年5月")
    book.save(early)
    for label in ("本月脱贫人口", "本月新识别贫困人口", "本月返贫人口"):
        edit(early, "表1", label, 0)  # nothing moved in May: it balances with April

    path = county_file(scratch, APRIL, UNLISTED)
    facts["unlisted_village"] = str(read(path, "表2", "村代码"))
    edit(path, "表2", "村代码", f"{UNLISTED}999999")
    return facts


def findings(scratch: Scratch, rule: str) -> list[dict[str, object]]:
    import duckdb

    with duckdb.connect(str(scratch.published), read_only=True) as connection:
        frame = connection.execute(
            "select * from quality.rule_findings where rule_id = ? "
            "order by period, county_code, subject", [rule],
        ).df()
    return frame.to_dict("records")


def query(scratch: Scratch, sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(scratch.published), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_flow_balance_holds_the_file_and_names_the_cell(planted) -> None:
    scratch, facts = planted
    [finding] = findings(scratch, "flow_balance")
    assert (finding["county_code"], finding["period"]) == (FLOW, APRIL)
    assert finding["sheet"].startswith("表1") and finding["cell"] == facts["flow_cell"]
    assert finding["observed"] == str(facts["flow_observed"])
    assert int(finding["expected"]) == facts["flow_observed"] - 100
    assert (finding["gap"], finding["tolerance"]) == (100, 0)
    assert finding["severity"] == "critical" and finding["action"] == "file_held"
    assert "月度人口平衡" in finding["description_zh"]
    # held: not in the tiers, and the status says so
    assert query(scratch, f"select status from quality.submission_status "
                          f"where county_code = '{FLOW}' and period = '{APRIL}'") == [("held",)]
    assert query(scratch, f"select count(*) from counties.county_monthly_report "
                          f"where county_code = '{FLOW}' and period = '{APRIL}'") == [(0,)]
    # the same county's March, which balances, is in the tiers
    assert query(scratch, f"select count(*) from counties.county_monthly_report "
                          f"where county_code = '{FLOW}' and period = '{MARCH}'") == [(1,)]


def test_part_above_total_holds_the_file(planted) -> None:
    scratch, facts = planted
    [finding] = findings(scratch, "part_within_total")
    assert (finding["county_code"], finding["period"]) == (HOUSEHOLDS, APRIL)
    assert finding["subject"] == "unlifted_households <= unlifted_persons"
    assert finding["cell"] == facts["households_cell"] and finding["gap"] == 5
    assert finding["action"] == "file_held"
    assert findings(scratch, "registered_equals_lifted_plus_unlifted") == []
    assert findings(scratch, "count_not_negative") == []


def test_summary_differences_are_reported_on_the_summary_cell(planted) -> None:
    scratch, facts = planted
    found = {(row["county_code"], row["subject"]): row
             for row in findings(scratch, "summary_matches_county")}
    # 文县's planted difference, and 宕昌县's: its own file changed, the summary did not
    assert set(found) == {(SUMMARY, "low_income_persons"), (OUTLIER, "low_income_persons")}
    finding = found[(SUMMARY, "low_income_persons")]
    assert finding["sheet"] == "汇总" and finding["cell"] == facts["summary_cell"]
    assert finding["gap"] == 7 and finding["action"] == "reported"


def test_an_exited_village_reported_unexited_again(planted) -> None:
    scratch, facts = planted
    [finding] = findings(scratch, "village_exit_not_reversed")
    assert (finding["county_code"], finding["period"]) == (REVERSED, APRIL)
    assert finding["subject"] == f"{facts['reversed_village']} exited"
    assert (finding["expected"], finding["observed"]) == ("是", "否")
    assert finding["severity"] == "warning"


def test_a_tenfold_drop_is_an_outlier(planted) -> None:
    scratch, facts = planted
    found = {(row["county_code"], row["subject"]): row
             for row in findings(scratch, "monthly_change_outlier")}
    finding = found[(OUTLIER, "low_income_persons")]
    assert finding["period"] == APRIL and finding["violation"] > 3.5
    assert int(finding["observed"]) == facts["outlier_before"] // 10
    assert finding["action"] == "reported"


def test_completeness_names_missing_reports_and_villages(planted) -> None:
    scratch, facts = planted
    missing = {(row["county_code"], row["period"]) for row in findings(scratch, "county_reported")}
    # 徽县 sent nothing; 武都区 and 成县 sent files that are held, so nothing usable either
    assert missing == {(MISSING, APRIL), (FLOW, APRIL), (HOUSEHOLDS, APRIL)}
    [unlisted] = findings(scratch, "village_listed")
    assert (unlisted["county_code"], unlisted["subject"]) == (UNLISTED, facts["unlisted_village"])
    [unknown] = findings(scratch, "village_in_registry")
    assert unknown["subject"] == f"{UNLISTED}999999"


def test_warnings_do_not_block_and_the_tiers_reconcile(planted) -> None:
    scratch, facts = planted
    assert "Nothing published" not in facts["stdout"]
    assert findings(scratch, "tier_matches_counties") == []
    assert findings(scratch, "one_current_version") == []
    # every rule that was not planted finds nothing in the clean counties
    planted_counties = {FLOW, HOUSEHOLDS, SUMMARY, REVERSED, OUTLIER, MISSING, UNLISTED}
    others = query(scratch, "select distinct rule_id, county_code from quality.rule_findings "
                            "where rule_id not in ('monthly_change_outlier')")
    assert {county for _, county in others} <= planted_counties


def test_feedback_workbook_tells_the_clerk_what_and_where(planted) -> None:
    scratch, facts = planted
    result = scratch.dukan("feedback", "--month", APRIL, "--county", FLOW)
    assert result.returncode == 0, result.stderr
    [path] = (scratch.warehouse / "feedback" / APRIL).glob(f"{FLOW}_*_反馈.xlsx")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    text = [[str(cell) for cell in row] for row in rows]
    assert "错误 1 项" in text[1][0]
    line = next(row for row in text if "flow_balance" in row)
    assert facts["flow_cell"] in line and any(cell.startswith("表1") for cell in line)
    assert any("暂扣" in cell for cell in line) and any("月度人口平衡" in cell for cell in line)
    # a county with nothing wrong is told so (and a clerk may name the county)
    clean = scratch.dukan("feedback", "--month", APRIL, "--county", "皋兰县")
    assert clean.returncode == 0
    assert f"in {scratch.warehouse / 'feedback' / APRIL}:" in clean.stdout, clean.stdout
    [path] = (scratch.warehouse / "feedback" / APRIL).glob("620122_*_反馈.xlsx")
    first = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert first[1][0] == "未发现问题。"


def test_feedback_refuses_a_month_that_is_not_one_or_has_no_files(planted) -> None:
    scratch, _ = planted
    outside = scratch.dukan("feedback", "--month", "../../x", "--county", FLOW)
    assert outside.returncode == 2
    assert "月份格式应为 YYYY-MM" in outside.stderr
    assert not (scratch.root / "x").exists() and not (scratch.warehouse / "x").exists()

    future = scratch.dukan("feedback", "--month", "2031-01")
    assert future.returncode == 2
    assert "no county file of 2031-01 is in the warehouse" in future.stderr
    assert not (scratch.warehouse / "feedback" / "2031-01").exists()


def test_trace_returns_the_cells_of_a_province_figure(planted) -> None:
    scratch, _ = planted
    result = scratch.dukan("trace", "dispatch.dispatch_monthly_overview", "unlifted_persons",
                           "--period", APRIL, "--csv")
    assert result.returncode == 0, result.stderr
    import csv
    import io

    sources = list(csv.DictReader(io.StringIO(result.stdout)))
    [(published,)] = query(scratch, "select unlifted_persons from "
                                    f"dispatch.dispatch_monthly_overview where period = '{APRIL}'")
    assert sum(int(row["value"]) for row in sources) == published
    assert all(row["sheet"].startswith("表1") and row["cell"] for row in sources)
    assert all(len(row["file_sha256"]) == 64 for row in sources)
    counties = {row["county_code"] for row in sources}
    assert FLOW not in counties and MISSING not in counties and len(counties) == 72


def test_as_reported_on_a_past_date(planted) -> None:
    scratch, _ = planted
    [(received,)] = query(scratch, f"select received_at from audit.submission_history "
                                   f"where county_code = '620122' and period = '{APRIL}'")
    before = (received.replace(tzinfo=None) if False else received).isoformat()
    sql = ("select count(*) from audit.county_figures_as_of(cast('{ts}' as timestamptz)) "
           f"where county_code = '620122' and period = '{APRIL}'")
    from datetime import timedelta

    earlier = (received - timedelta(seconds=1)).isoformat()
    assert query(scratch, sql.format(ts=earlier)) == [(0,)]
    assert query(scratch, sql.format(ts=before)) == [(1,)]


def test_a_report_for_a_month_without_a_folder_still_reaches_the_tiers(planted) -> None:
    """The period comes from the content: the marts are rebuilt for May too, and the tier
    reconciliation (which would block the publish otherwise) agrees."""
    scratch, facts = planted
    assert query(scratch, f"select period, version from counties.county_monthly_report "
                          f"where county_code = '{EARLY}' order by period") == [
        (MARCH, 1), (APRIL, 1), ("2020-05", 1)]
    assert query(scratch, "select counties_reported from dispatch.dispatch_monthly_overview "
                          "where period = '2020-05'") == [(1,)]
