"""When the load runs: a sensor for new files, a nightly schedule, and the months each covers.

Runs cover a range of reporting months (the partitioned assets take them in one step);
the rest of the graph (reference data, dbt, checks, publish) runs once per run.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    schedule,
    sensor,
)

from orchestration.lib.paths import ProjectPaths
from orchestration.submissions.archive import (
    delivered_files,
    delivered_path,
    drop_months,
    read_receipts,
    received_at,
)
from orchestration.submissions.months import nightly_range

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def month_range_tags(start: str, end: str) -> dict[str, str]:
    return {RANGE_START: start, RANGE_END: end}


def months_with_new_files(raw_dir: Path) -> list[str]:
    """Months whose folders hold a file the ledger has not seen, by path, size and time (to
    the second, as well, for a ledger's older receipts)."""
    seen = {(r.relative_path, r.size_bytes, r.received_at) for r in read_receipts(raw_dir)}
    touched = []
    for month in drop_months(raw_dir):
        for path in delivered_files(raw_dir / "submissions" / month):
            stat = path.stat()
            where = (delivered_path(path, raw_dir), stat.st_size)
            if not any((*where, time) in seen for time in received_at(stat.st_mtime)):
                touched.append(month)
                break
    return touched


def build_automation(job: JobDefinition):
    @schedule(
        name="nightly_load_schedule",
        job=job,
        cron_schedule="0 2 * * *",
        execution_timezone="Asia/Shanghai",
        default_status=DefaultScheduleStatus.RUNNING,
    )
    def nightly_schedule(context: ScheduleEvaluationContext) -> RunRequest:
        """每晚 02:00 Every month with a drop folder, then the tiers, checks and publish."""
        start, end = nightly_range(ProjectPaths.from_env().raw_dir)
        return RunRequest(tags=month_range_tags(start, end))

    @sensor(
        name="new_submission_files",
        job=job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def new_files_sensor(context: SensorEvaluationContext):
        """新文件 One run per month whose drop folder has a file not archived yet."""
        months = months_with_new_files(ProjectPaths.from_env().raw_dir)
        if not months:
            return SkipReason("no new files in raw/submissions/")
        return [
            # The run key makes the sensor ask once per month and state of its folder.
            RunRequest(run_key=f"{month}:{_folder_state(month)}", tags=month_range_tags(month, month))
            for month in months
        ]

    return nightly_schedule, new_files_sensor


def _folder_state(month: str) -> str:
    folder = ProjectPaths.from_env().raw_dir / "submissions" / month
    entries = sorted(
        (p.as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
        if p.is_file()
    )
    # hashlib, not hash(): string hashes differ between processes, and each sensor tick
    # may run in a new one.
    return hashlib.sha1(repr(entries).encode()).hexdigest()[:16]
