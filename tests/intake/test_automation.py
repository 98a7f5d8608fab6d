"""The sensor asks only for months with new files; the schedule covers every month."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dagster import RunRequest, SkipReason, build_schedule_context, build_sensor_context

from orchestration.definitions import defs
from orchestration.submissions.archive import archive_months
from orchestration.submissions.assets import MONTHS
from orchestration.submissions.automation import RANGE_END, RANGE_START


def drop(raw: Path, month: str, name: str, content: bytes = b"x") -> None:
    path = raw / "submissions" / month / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


@pytest.fixture
def raw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUKAN_RAW_DIR", str(tmp_path))
    return tmp_path


def evaluate_sensor() -> list[RunRequest] | SkipReason:
    sensor = defs.resolve_sensor_def("new_submission_files")
    result = sensor.evaluate_tick(build_sensor_context(instance=None))
    return result.skip_message or result.run_requests


def test_sensor_requests_only_the_months_with_new_files(raw: Path) -> None:
    drop(raw, "2020-03", "a.xlsx")
    drop(raw, "2020-05", "b.xlsx")
    archive_months(raw, ["2020-03", "2020-05"])
    drop(raw, "2020-05", "resubmitted.xlsx", b"y")
    drop(raw, "2020-07", "c.xlsx")

    requests = evaluate_sensor()

    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in requests] == [
        ("2020-05", "2020-05"), ("2020-07", "2020-07"),
    ]


def test_sensor_skips_when_everything_is_archived(raw: Path) -> None:
    drop(raw, "2020-03", "a.xlsx")
    archive_months(raw, ["2020-03"])

    assert "no new files" in evaluate_sensor()


def test_a_receipt_written_to_the_second_still_counts_as_seen(raw: Path) -> None:
    # Ledgers once kept delivery times to the second: a file with a fraction of a second
    # in its time is not new because of it.
    path = raw / "submissions" / "2020-03" / "a.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    os.utime(path, (1585000000.5, 1585000000.5))
    archive_months(raw, ["2020-03"])
    ledger = raw / "archive" / "receipts.csv"
    text = ledger.read_text(encoding="utf-8")
    assert "05:46:40.500000+08:00" in text
    ledger.write_text(text.replace("05:46:40.500000+08:00", "05:46:40+08:00"), encoding="utf-8")

    assert "no new files" in evaluate_sensor()


def test_a_changed_file_under_the_same_name_is_new(raw: Path) -> None:
    drop(raw, "2020-03", "a.xlsx", b"first")
    archive_months(raw, ["2020-03"])
    drop(raw, "2020-03", "a.xlsx", b"second, longer")

    requests = evaluate_sensor()

    assert [r.tags[RANGE_START] for r in requests] == ["2020-03"]


def test_schedule_covers_every_month_with_a_folder(raw: Path) -> None:
    drop(raw, "2020-02", "a.xlsx")
    drop(raw, "2020-12", "b.xlsx")
    schedule = defs.resolve_schedule_def("nightly_load_schedule")

    request = schedule.evaluate_tick(build_schedule_context()).run_requests[0]

    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2020-02", "2020-12")
    assert schedule.execution_timezone == "Asia/Shanghai"


def test_months_are_partitions_from_january_2020_in_beijing_time() -> None:
    keys = MONTHS.get_partition_keys()

    assert keys[:2] == ["2020-01", "2020-02"]
    assert MONTHS.timezone == "Asia/Shanghai"


def test_a_run_launched_without_months_says_how_to_launch_it(tmp_path: Path) -> None:
    """A run of the monthly assets without a partition range (the UI's launchpad left
    empty, a bare API call) fails at once, telling the operator what to do."""
    from dagster import Failure, build_asset_context

    from orchestration.lib.resources import WarehouseResource
    from orchestration.submissions.assets import submission_archive

    (tmp_path / "raw" / "submissions" / "2020-05").mkdir(parents=True)
    (tmp_path / "raw" / "submissions" / "2020-05" / "a.xlsx").write_bytes(b"x")
    warehouse = WarehouseResource(raw_dir=str(tmp_path / "raw"),
                                  warehouse_dir=str(tmp_path / "warehouse"))
    with pytest.raises(Failure, match="choose the months") as failure:
        submission_archive(build_asset_context(), warehouse)
    assert "dukan nightly" in str(failure.value.description)
    assert not (tmp_path / "raw" / "archive").exists()  # nothing was archived
