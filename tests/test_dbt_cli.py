"""dbt run the way the nightly load runs it: in the run's build folder, told the months by
DUKAN_BUILD_MONTHS, and parsing the project only once whatever the run's path and months."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.paths import DBT_PROJECT_DIR
from orchestration.nightly import dbt_failing_rows
from orchestration.tiers.assets import DBT_IN_BUILD_FOLDER
from tests.conftest import Scratch

BALANCE_SQL = Path("compiled/dukan/models/marts/counties/county_monthly_balance.sql")


def _dbt(build_db: Path, target: Path, *args: str, months: str | None = None,
         warehouse: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DUKAN_BUILD_DB": str(build_db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    if warehouse is not None:
        env["DUKAN_WAREHOUSE_DIR"] = warehouse
    env.pop("DUKAN_BUILD_MONTHS", None)
    if months is not None:
        env["DUKAN_BUILD_MONTHS"] = months
    command = [sys.executable, *DBT_IN_BUILD_FOLDER, *args, "--target-path", str(target),
               "--log-path", str(target)]
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def build_copy(loaded_warehouse: tuple[Scratch, str], tmp_path_factory) -> Path:
    """A run's build folder holding a copy of a loaded warehouse."""
    scratch, _ = loaded_warehouse
    build_db = tmp_path_factory.mktemp("build") / "run-1" / "dukan.duckdb"
    build_db.parent.mkdir()
    shutil.copyfile(scratch.published, build_db)
    return build_db


def test_dbt_builds_the_runs_file_and_narrows_the_marts_to_its_months(
    build_copy: Path, tmp_path: Path
) -> None:
    strays = {path for path in DBT_PROJECT_DIR.glob("*.duckdb*")}
    narrowed = _dbt(build_copy, tmp_path / "narrowed", "compile", "--select",
                    "county_monthly_balance", months="2020-05,2020-06")
    assert narrowed.returncode == 0, narrowed.stdout + narrowed.stderr
    # The mart exists in the run's file, so dbt compiled it as an incremental update of
    # those months; a dbt that opened any other file would have found no mart to update.
    sql = (tmp_path / "narrowed" / BALANCE_SQL).read_text()
    assert "period in ('2020-05', '2020-06')" in sql

    every = _dbt(build_copy, tmp_path / "every", "compile", "--select",
                 "county_monthly_balance")
    assert every.returncode == 0, every.stdout + every.stderr
    assert "period in (" not in (tmp_path / "every" / BALANCE_SQL).read_text()
    assert set(DBT_PROJECT_DIR.glob("*.duckdb*")) == strays  # nothing opened beside the project


def test_a_new_run_folder_and_new_months_keep_dbts_parse(tmp_path: Path) -> None:
    target = tmp_path / "target"
    first = tmp_path / "run-1" / "dukan.duckdb"
    second = tmp_path / "run-2" / "dukan.duckdb"
    first.parent.mkdir()
    second.parent.mkdir()
    parsed = _dbt(first, target, "parse", months="2020-03")
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    again = _dbt(second, target, "parse", months="2020-04,2020-05")
    assert again.returncode == 0, again.stdout + again.stderr
    log = (target / "dbt.log").read_text()
    assert "Unable to do partial parsing" in log  # the first parse had nothing saved
    second_run = log[log.rindex("Running with dbt"):]
    assert "Unable to do partial parsing" not in second_run, second_run[-3000:]
    assert "skipping partial parsing" in second_run


@pytest.mark.parametrize(("setting", "shown"), [(None, "1.8 GiB"), ("321MB", "306.1 MiB")])
def test_dbts_duckdb_has_a_memory_limit(tmp_path: Path, monkeypatch, setting, shown) -> None:
    """DuckDB's own default is 80 % of the machine: the tier marts of 60 months held 6.6 GiB."""
    if setting is None:
        monkeypatch.delenv("DUKAN_DBT_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("DUKAN_DBT_MEMORY_LIMIT", setting)
    build_db = tmp_path / "run" / "dukan.duckdb"
    build_db.parent.mkdir()

    result = _dbt(build_db, tmp_path / "target", "show", "--inline",
                  "select current_setting('memory_limit') as memory_limit")

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf"\| {re.escape(shown)} +\|", result.stdout), result.stdout


def test_dbt_refuses_to_start_without_the_runs_file(tmp_path: Path) -> None:
    missing = _dbt(tmp_path / "gone" / "dukan.duckdb", tmp_path / "t", "parse")
    assert missing.returncode != 0
    assert "the build folder does not exist" in missing.stderr
    renamed = tmp_path / "other.duckdb"
    wrong = _dbt(renamed, tmp_path / "t", "parse")
    assert wrong.returncode != 0
    assert "must name a file called dukan.duckdb" in wrong.stderr
    published = tmp_path / "warehouse" / "dukan.duckdb"
    published.parent.mkdir()
    published.write_bytes(b"")
    auditors = _dbt(published, tmp_path / "t", "parse",
                    warehouse=str(published.parent))
    assert auditors.returncode != 0
    assert "is the published warehouse auditors read" in auditors.stderr
    assert published.read_bytes() == b""


def test_a_models_column_tests_name_each_test_and_column_that_fails(
    loaded_warehouse: tuple[Scratch, str], tmp_path: Path
) -> None:
    scratch, _ = loaded_warehouse
    build_db = tmp_path / "run-1" / "dukan.duckdb"
    build_db.parent.mkdir()
    shutil.copyfile(scratch.published, build_db)
    with duckdb.connect(str(build_db)) as connection:
        connection.execute("update counties.county_people set plan_attribution = null "
                           "where county_code = '621223'")
        connection.execute("insert into counties.county_people select * "
                           "from counties.county_people where county_code = '621224'")
        connection.execute("update intermediate.int_plan__column_totals set county_rows = 74 "
                           "where rowid in (select rowid from intermediate.int_plan__column_totals "
                           "limit 2)")

    result = _dbt(build_db, tmp_path / "target", "test", "--select", "county_people",
                  "int_plan__column_totals")
    assert result.returncode != 0
    assert "FAIL 2 column_tests_county_people" in result.stdout
    assert "FAIL 1 column_tests_int_plan__column_totals" in result.stdout

    # The failing rows name the test and the column and count the rows, and the nightly
    # summary prints them under the failed check.
    target = tmp_path / "target" / "compiled"
    with duckdb.connect(str(build_db), read_only=True) as connection:
        (people,) = target.rglob("column_tests_county_people.sql")
        rows = connection.execute(people.read_text()).fetchall()
        assert sorted(rows) == [("not_null", "plan_attribution", 1),
                                ("unique", "county_code", 1)]
        (totals,) = target.rglob("column_tests_int_plan__column_totals.sql")
        rows = connection.execute(totals.read_text()).fetchall()
        assert rows == [("accepted_values", "county_rows", 2)]  # 74, not 75
    people = "column_tests_county_people"
    summary = dbt_failing_rows(tmp_path / "target" / "run_results.json", build_db,
                               {people}, since=0)
    assert sorted(summary[people]) == [
        "test=not_null, column_name=plan_attribution, failing_rows=1",
        "test=unique, column_name=county_code, failing_rows=1",
    ]
    late = dbt_failing_rows(tmp_path / "target" / "run_results.json", build_db, {people},
                            since=time.time() + 60)
    assert late == {}  # results older than the run are an earlier run's: not shown
