"""The nightly load end to end: a real `dukan nightly` on the bundled plan, real DuckDB."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Scratch, file_digest

pytestmark = pytest.mark.slow

GE_CHECKS = (
    "county_registry_complete",
    "plan_column_totals_reconcile",
    "plan_county_rows_reconcile",
    "plan_prefecture_totals_reconcile",
    "plan_village_lists_match",
    "province_targets_match_counties",
    "village_registry_matches_plan",
)


def query(scratch: Scratch, sql: str) -> list[tuple]:
    with duckdb.connect(str(scratch.published), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_nightly_builds_the_four_tiers(loaded_warehouse: tuple[Scratch, str]) -> None:
    scratch, _ = loaded_warehouse

    counts = dict(
        query(
            scratch,
            """
            select 'province', count(*) from province.province_supervised_counties
            union all select 'departments', count(*) from departments.department_supervision
            union all select 'prefectures', count(*) from prefectures.prefecture_village_supervision
            union all select 'counties', count(*) from counties.county_people
            """,
        )
    )

    assert counts == {"province": 8, "departments": 10, "prefectures": 8, "counties": 75}


def test_dbt_ran_in_the_process_started_ahead(loaded_warehouse: tuple[Scratch, str]) -> None:
    scratch, _ = loaded_warehouse
    (log,) = (scratch.warehouse / "logs").glob("nightly-*.log")
    handed = re.findall(r"dbt_warm: process \d+ runs `dbt build` in (\S+)", log.read_text())
    assert len(handed) == 1, "dbt's imports were paid on the build's critical path"
    assert Path(handed[0]).parent == scratch.warehouse / "build"


def test_prefecture_tier_adds_up_to_394_villages(loaded_warehouse: tuple[Scratch, str]) -> None:
    scratch, _ = loaded_warehouse

    totals = query(
        scratch,
        "select sum(villages_unexited), sum(deep_poverty_villages), sum(non_deep_villages), "
        "sum(high_incidence_villages) from prefectures.prefecture_village_supervision",
    )

    assert totals == [(394, 373, 21, 103)]


def test_column_totals_report_gap_tolerance_and_derivation(
    loaded_warehouse: tuple[Scratch, str],
) -> None:
    scratch, _ = loaded_warehouse

    rows = query(
        scratch,
        "select figure_id, published_total_wan, observed_sum_wan, gap_wan, tolerance_wan, "
        "tolerance_derivation from intermediate.int_plan__column_totals order by figure_id",
    )

    by_figure = {row[0]: row[1:] for row in rows}
    assert by_figure["a4_total_wan"][:4] == (
        Decimal("56.1220"), Decimal("56.1153"), Decimal("-0.0067"), Decimal("0.068550"),
    )
    assert by_figure["a4_unlifted_wan"][:3] == (
        Decimal("17.4600"), Decimal("17.4833"), Decimal("0.0233"),
    )
    assert "62 × ±0.005" in by_figure["a4_unlifted_wan"][4]


def test_every_ge_check_ran_and_passed(loaded_warehouse: tuple[Scratch, str]) -> None:
    scratch, summary = loaded_warehouse

    results = query(
        scratch,
        "select check_name, bool_and(success), count(*) from quality.expectation_results "
        "group by check_name order by check_name",
    )

    assert [(name, ok) for name, ok, _ in results] == [(name, True) for name in GE_CHECKS]
    for name in GE_CHECKS:
        assert f"PASS           {name}: all rules passed" in summary
    # dbt's tests are summed up by their generic test, the project's own ones included.
    assert "PASS           1 dbt test: column_tests\n" in summary


def test_unresolved_attachment_4_rows_stay_unattributed(
    loaded_warehouse: tuple[Scratch, str],
) -> None:
    scratch, _ = loaded_warehouse

    rows = query(
        scratch,
        "select county_name, plan_attribution, unlifted_wan from counties.county_people "
        "where county_code in ('623025', '623026') order by county_code",
    )

    assert rows == [
        ("玛曲县", "ambiguous: 附件4 row 15|16", None),
        ("碌曲县", "ambiguous: 附件4 row 15|16", None),
    ]


def test_audit_reads_and_cannot_write(loaded_warehouse: tuple[Scratch, str]) -> None:
    scratch, _ = loaded_warehouse
    before = file_digest(scratch.published)

    read = scratch.dukan("audit", "select count(*) as n from counties.county_people", "--csv")
    write = scratch.dukan("audit", "delete from counties.county_people")
    export = scratch.dukan("audit", f"copy counties.county_people to '{scratch.root}/out.csv'")

    assert read.returncode == 0 and read.stdout.split() == ["n", "75"]
    assert write.returncode == 1 and "read-only" in write.stderr
    assert export.returncode == 1 and not (scratch.root / "out.csv").exists()
    assert file_digest(scratch.published) == before


def test_changed_figure_fails_the_right_checks_and_keeps_the_warehouse(
    loaded_warehouse: tuple[Scratch, str], tmp_path,
) -> None:
    scratch, _ = loaded_warehouse
    before = file_digest(scratch.published)
    scratch.edit_reference(
        "plan_county_figures.csv", "1,621223,宕昌县,1.994,0.72,", "1,621223,宕昌县,1.994,0.92,"
    )
    try:
        result = scratch.dukan("nightly")
    finally:
        scratch.edit_reference(
            "plan_county_figures.csv", "1,621223,宕昌县,1.994,0.92,", "1,621223,宕昌县,1.994,0.72,"
        )

    lines = [line.strip() for line in result.stdout.splitlines()]
    failed = [line for line in lines if line.startswith("FAIL (ERROR)")]
    warned = [line for line in lines if line.startswith("FAIL (WARN)")]
    assert result.returncode == 1
    assert len(failed) == 2, result.stdout
    # dbt's own tolerance test only warns, so that dbt finishes and GE names the county.
    assert len(warned) == 1 and "within_tolerance_int_plan__county_figures" in warned[0]
    assert (
        "plan_county_rows_reconcile: a4_row_parts failed "
        "(宕昌县 tolerance_wan=0.0155 abs_gap_wan=0.206)" in failed[0]
    )
    assert (
        "province_targets_match_counties: a1_target_equals_a4 failed "
        "(宕昌县 target_unlifted_wan=0.72 county_unlifted_wan=0.92)" in failed[1]
    )
    assert "Nothing published" in result.stdout
    assert file_digest(scratch.published) == before


def test_bad_reference_file_stops_the_load_and_keeps_the_warehouse(
    loaded_warehouse: tuple[Scratch, str],
) -> None:
    scratch, _ = loaded_warehouse
    before = file_digest(scratch.published)
    scratch.edit_reference("counties.csv", "620122,皋兰县", "620121,皋兰县")
    try:
        result = scratch.dukan("nightly")
    finally:
        scratch.edit_reference("counties.csv", "620121,皋兰县", "620122,皋兰县")

    assert result.returncode == 1
    assert (
        "counties.csv, line 4, column county_code: duplicate 620121: line 3 has the same key"
        in result.stdout
    )
    assert file_digest(scratch.published) == before


def test_a_run_that_fails_after_publishing_says_what_it_published(scratch: Scratch) -> None:
    """The county feedback, the Parquet exports and the report come after the publish: a run
    stopped among them must not tell the operator that nothing was published."""
    simulated = scratch.dukan("simulate", "--months", "2020-03..2020-03")
    assert simulated.returncode == 0, simulated.stderr
    (scratch.warehouse / "feedback").write_text("a file where the feedback folder goes")

    result = scratch.dukan("nightly")

    assert result.returncode == 1, result.stdout
    assert "county_feedback:" in result.stdout, result.stdout
    assert f"Published {scratch.published}, but the run did not finish" in result.stdout
    assert "Nothing published" not in result.stdout
    assert scratch.published.exists()
