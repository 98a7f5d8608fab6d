"""The event log storage the project's dagster.yaml selects: Dagster's SQLite one, with each
database's connection kept between events. What the UI and other processes rely on must hold:
they see every event, a live run's watcher is woken, old run files are closed, wipe works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    DagsterInstance,
    Definitions,
    asset,
    asset_check,
    define_asset_job,
)

from orchestration.lib.dagster_storage import (
    OPEN_RUN_DATABASES,
    KeptConnectionSqliteEventLogStorage,
)
from orchestration.lib.resources import WAREHOUSE_POOL
from orchestration.nightly import repair_pool

ROOT = Path(__file__).resolve().parents[1]


@asset
def tally() -> int:
    return 3


@asset_check(asset=tally)
def tally_positive() -> AssetCheckResult:
    return AssetCheckResult(passed=True)


@asset(pool=WAREHOUSE_POOL)
def pooled_tally() -> int:
    return 4


POOLED_JOB = Definitions(
    assets=[pooled_tally], jobs=[define_asset_job("pooled_job")]
).resolve_job_def("pooled_job")

JOB = Definitions(
    assets=[tally], asset_checks=[tally_positive], jobs=[define_asset_job("tally_job")]
).resolve_job_def("tally_job")

COUNT_EVENTS = """
import sys
from dagster import DagsterInstance
with DagsterInstance.get() as instance:
    print(len(instance.all_logs(sys.argv[1])))
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster"
    home.mkdir()
    shutil.copyfile(ROOT / "warehouse" / "dagster" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def test_the_project_config_selects_the_kept_connection_storage(home: Path) -> None:
    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, KeptConnectionSqliteEventLogStorage)
        result = JOB.execute_in_process(instance=instance)
        assert result.success
    # The stock folder: run history from before this storage stays readable.
    assert (home / "storage" / f"{result.run_id}.db").exists()
    assert (home / "storage" / "index.db").exists()


def test_another_process_sees_every_event_while_the_writer_keeps_its_connection(
    home: Path,
) -> None:
    with DagsterInstance.get() as instance:
        result = JOB.execute_in_process(instance=instance)
        stored = len(instance.all_logs(result.run_id))
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [result.get_asset_check_evaluations()[0].asset_check_key]
        )
        assert stored > 10 and check
        # The writer's connections are still open: the reader must find the events committed.
        reader = subprocess.run(
            [sys.executable, "-c", COUNT_EVENTS, result.run_id],
            capture_output=True, text=True, env=dict(os.environ), timeout=120, check=True,
        )
        assert int(reader.stdout.strip().splitlines()[-1]) == stored


def test_a_watcher_of_a_live_run_is_woken_by_each_new_event(home: Path) -> None:
    """The UI follows a run by watching its database file; events stay in the WAL while the
    writer's connection is open, so the storage touches the file after each one."""
    with DagsterInstance.get() as writer:
        result = JOB.execute_in_process(instance=writer)
        run = writer.get_run_by_id(result.run_id)
        assert run is not None
        with DagsterInstance.get() as watcher_instance:
            seen: list[str] = []
            arrived = threading.Event()

            def on_event(entry, _cursor) -> None:  # type: ignore[no-untyped-def]
                seen.append(entry.message)
                if "second look" in entry.message:
                    arrived.set()

            storage = watcher_instance.event_log_storage
            cursor = str(writer.get_records_for_run(result.run_id).cursor)
            storage.watch(result.run_id, cursor, on_event)
            try:
                writer.report_engine_event("second look", run)
                assert arrived.wait(timeout=20), f"the watcher saw only {seen}"
            finally:
                storage.end_watch(result.run_id, on_event)


def test_run_databases_beyond_the_recent_few_are_closed(home: Path) -> None:
    with DagsterInstance.get() as instance:
        for _ in range(OPEN_RUN_DATABASES + 3):
            assert JOB.execute_in_process(instance=instance).success
        open_files = set(_open_databases(home / "storage"))
        runs = open_files - {"index.db"}
        assert "index.db" in open_files
        assert len(runs) == OPEN_RUN_DATABASES, open_files


def test_deleting_a_run_and_wiping_leave_a_working_storage(home: Path) -> None:
    with DagsterInstance.get() as instance:
        first = JOB.execute_in_process(instance=instance)
        instance.delete_run(first.run_id)
        assert instance.all_logs(first.run_id) == []
        instance.wipe()
        assert not (home / "storage" / f"{first.run_id}.db").exists()
        again = JOB.execute_in_process(instance=instance)
        assert again.success and len(instance.all_logs(again.run_id)) > 10


def _open_databases(folder: Path) -> list[str]:
    """Names of the SQLite database files this process holds open in `folder`."""
    names = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = Path(os.readlink(fd))
        except OSError:
            continue
        if target.parent == folder and target.suffix == ".db":
            names.append(target.name)
    return sorted(names)


def test_a_wiped_event_log_gets_the_warehouse_pool_its_slots_back(home: Path) -> None:
    """A wipe deletes the pool's slots and keeps its limit; a load would then wait for a
    slot for ever. The nightly command restores them before it runs."""
    with DagsterInstance.get() as instance:
        assert repair_pool(instance) is None  # a new instance: Dagster makes the pool itself
        assert POOLED_JOB.execute_in_process(instance=instance).success
        assert repair_pool(instance) is None  # whole
        instance.wipe()
        storage = instance.event_log_storage
        assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 0

        said = repair_pool(instance)

        assert said and "0 of its 1 slot" in said
        info = storage.get_concurrency_info(WAREHOUSE_POOL)
        assert (info.slot_count, info.limit, info.using_default_limit) == (1, 1, True)
        assert POOLED_JOB.execute_in_process(instance=instance).success
