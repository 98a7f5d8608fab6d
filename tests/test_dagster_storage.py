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
    AssetKey,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    asset,
    asset_check,
    define_asset_job,
)

from dagster._core.storage.event_log import SqliteEventLogStorage

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


def test_runs_recorded_before_keep_their_events_and_history(home: Path) -> None:
    """The class reads and writes the stock event log's folder: a run recorded with Dagster's
    own storage keeps its events, materializations and checks once the project's is used."""
    project_config = (home / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with DagsterInstance.get() as stock:
        assert type(stock.event_log_storage) is SqliteEventLogStorage
        before = JOB.execute_in_process(instance=stock)
        events = len(stock.all_logs(before.run_id))

    (home / "dagster.yaml").write_text(project_config)
    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, KeptConnectionSqliteEventLogStorage)
        assert len(instance.all_logs(before.run_id)) == events > 10
        materialization = instance.get_latest_materialization_event(AssetKey("tally"))
        assert materialization is not None and materialization.run_id == before.run_id
        check = before.get_asset_check_evaluations()[0].asset_check_key
        [execution] = instance.event_log_storage.get_asset_check_execution_history(check, 5)
        assert execution.run_id == before.run_id
        after = JOB.execute_in_process(instance=instance)
    assert (home / "history" / "runs" / f"{after.run_id}.db").exists()
    assert not (home / "storage" / "index.db").exists()


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
        open_files = set(_open_databases(home / "history" / "runs"))
        runs = open_files - {"index.db"}
        assert "index.db" in open_files
        assert len(runs) == OPEN_RUN_DATABASES, open_files


def test_deleting_a_run_and_wiping_leave_a_working_storage(home: Path) -> None:
    with DagsterInstance.get() as instance:
        first = JOB.execute_in_process(instance=instance)
        instance.delete_run(first.run_id)
        assert instance.all_logs(first.run_id) == []
        instance.wipe()
        assert not (home / "history" / "runs" / f"{first.run_id}.db").exists()
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
        assert repair_pool(instance) == []  # a new instance: Dagster makes the pool itself
        assert POOLED_JOB.execute_in_process(instance=instance).success
        assert repair_pool(instance) == []  # whole
        instance.wipe()
        storage = instance.event_log_storage
        assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 0

        [said] = repair_pool(instance)

        assert "0 of its 1 slot" in said
        info = storage.get_concurrency_info(WAREHOUSE_POOL)
        assert (info.slot_count, info.limit, info.using_default_limit) == (1, 1, True)
        assert POOLED_JOB.execute_in_process(instance=instance).success


def test_a_slot_kept_by_an_ended_run_is_freed_and_a_running_one_kept(home: Path) -> None:
    """A release lost to a power cut leaves an ended run holding the pool's one slot."""
    with DagsterInstance.get() as instance:
        ended = POOLED_JOB.execute_in_process(instance=instance)
        storage = instance.event_log_storage
        claim = storage.claim_concurrency_slot(WAREHOUSE_POOL, ended.run_id, "pooled_tally")
        assert claim.is_claimed
        running = instance.create_run_for_job(POOLED_JOB)  # a load still going
        instance.handle_run_event(
            running.run_id,
            DagsterEvent(DagsterEventType.RUN_START.value, POOLED_JOB.name),
        )
        assert instance.get_run_by_id(running.run_id).status == DagsterRunStatus.STARTED

        [said] = repair_pool(instance)

        assert ended.run_id in said
        assert storage.get_concurrency_info(WAREHOUSE_POOL).active_run_ids == set()
        # A run still going is not robbed of its slot.
        assert storage.claim_concurrency_slot(
            WAREHOUSE_POOL, running.run_id, "pooled_tally"
        ).is_claimed
        assert repair_pool(instance) == []
        assert storage.get_concurrency_info(WAREHOUSE_POOL).active_run_ids == {running.run_id}
