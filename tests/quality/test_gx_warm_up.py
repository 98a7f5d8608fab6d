"""GE's context, built in a process of its own while dbt runs, runs the checks of the
warehouse it was started for; without it (another warehouse, a worker that died, a failed
warm-up) the checks run in the load's own process and report what they meet."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.lib.workers import _alive
from orchestration.quality import gx_runner
from tests.quality.test_rule_suites import frame


@pytest.fixture
def scratch_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUKAN_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    context = gx_runner._context  # a test may replace it
    context.cache_clear()
    yield tmp_path / "warehouse"
    gx_runner.stop_worker()
    context.cache_clear()


def _results(warehouse: Path) -> list[Path]:
    return list((warehouse / "gx" / "validations").glob("submission_file_rules/*/*"))


def _worker_pids() -> list[int]:
    running = gx_runner._Worker._running
    return [] if running is None else list(running[1]._processes)


def test_the_checks_run_in_the_worker_started_for_this_warehouse(
    scratch_warehouse: Path,
) -> None:
    gx_runner.start_warm_up()
    outcome = gx_runner.run_checkpoint("submission_file_rules",
                                       frame("flow_balance", [("exact", 0, 0)]))
    assert outcome.success
    assert _results(scratch_warehouse)  # written by the worker, for this warehouse
    assert len(_worker_pids()) == 1 and _worker_pids()[0] != os.getpid()
    # GE was never imported into a context here: the worker validated the frame.
    assert gx_runner._context.cache_info().currsize == 0
    failing = gx_runner.run_checkpoint("submission_file_rules",
                                       frame("flow_balance", [("off by two", 10, 8)]))
    assert not failing.success
    assert [rule.rule_id for rule in failing.failed()] == ["flow_balance"]


def _pages(warehouse: Path, suite: str) -> list[Path]:
    return list((warehouse / "data_docs" / "validations" / suite).rglob("*.html"))


def test_the_workers_data_docs_pages_are_written_once_the_checks_pause(
    scratch_warehouse: Path,
) -> None:
    gx_runner.start_warm_up()
    gx_runner.run_checkpoint("submission_file_rules", frame("flow_balance", [("exact", 0, 0)]))
    index = scratch_warehouse / "data_docs" / "index.html"

    def written() -> bool:  # the page, then the offline index that lists it
        return index.exists() and "submission_file_rules" in index.read_text(encoding="utf-8")

    deadline = time.monotonic() + 60
    while not written() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert written()
    assert len(_pages(scratch_warehouse, "submission_file_rules")) == 1


def test_stopping_the_worker_writes_the_pages_it_still_owes(
    scratch_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pause longer than the test: only the stop can have written the pages.
    monkeypatch.setenv("DUKAN_GX_DOCS_QUIET_S", "3600")
    gx_runner.start_warm_up()
    for name in ("first", "second"):
        gx_runner.run_checkpoint("submission_file_rules", frame("flow_balance", [(name, 0, 0)]))
    assert _pages(scratch_warehouse, "submission_file_rules") == []
    gx_runner.stop_worker()
    assert len(_pages(scratch_warehouse, "submission_file_rules")) == 2


def test_a_worker_for_another_warehouse_is_not_used(
    scratch_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gx_runner.start_warm_up()
    other = tmp_path / "other"
    monkeypatch.setenv("DUKAN_WAREHOUSE_DIR", str(other))
    outcome = gx_runner.run_checkpoint("submission_file_rules",
                                       frame("flow_balance", [("exact", 0, 0)]))
    assert outcome.success
    assert gx_runner._context.cache_info().currsize == 1  # run here
    assert _results(other) and not _results(scratch_warehouse)


def test_a_worker_that_died_leaves_the_checks_to_this_process(scratch_warehouse: Path) -> None:
    gx_runner.start_warm_up()
    (pid,) = _worker_pids()
    os.kill(pid, 9)
    outcome = gx_runner.run_checkpoint("submission_file_rules",
                                       frame("flow_balance", [("exact", 0, 0)]))
    assert outcome.success
    assert gx_runner._Worker._running is None
    assert gx_runner._context.cache_info().currsize == 1


def test_pages_a_dead_worker_owed_are_written_by_this_process(
    scratch_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUKAN_GX_DOCS_QUIET_S", "3600")  # the worker keeps its pages owed
    gx_runner.start_warm_up()
    gx_runner.run_checkpoint("submission_file_rules", frame("flow_balance", [("a", 0, 0)]))
    assert _pages(scratch_warehouse, "submission_file_rules") == []
    (pid,) = _worker_pids()
    os.kill(pid, 9)
    gx_runner.run_checkpoint("submission_file_rules", frame("flow_balance", [("b", 0, 0)]))
    # The dead worker's page and this check's own.
    assert len(_pages(scratch_warehouse, "submission_file_rules")) == 2
    assert gx_runner._Worker.owed == []


def test_a_failed_warm_up_is_silent_and_the_check_reports_the_error(
    scratch_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("great_expectations.yml: no such store")

    monkeypatch.setattr(gx_runner, "_context", broken)
    gx_runner._warm_up()  # what the worker runs first
    assert "no such store" in (gx_runner.warm_up_failure or "")
    with pytest.raises(RuntimeError, match="no such store"):
        gx_runner.run_checkpoint("submission_file_rules", frame("flow_balance", [("x", 0, 0)]))


def test_the_environment_is_set_before_the_worker_starts(
    scratch_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker, and dbt after it, take this process's environment as they start."""
    monkeypatch.delenv("DUKAN_GX_RESULTS_DIR", raising=False)
    monkeypatch.delenv("DUKAN_GX_DOCS_DIR", raising=False)
    seen: list[tuple[str | None, str | None]] = []
    monkeypatch.setattr(gx_runner._Worker, "start", classmethod(lambda cls: seen.append(
        (os.environ.get("DUKAN_GX_RESULTS_DIR"), os.environ.get("DUKAN_GX_DOCS_DIR")))))
    gx_runner.start_warm_up()
    assert seen == [(str(scratch_warehouse / "gx" / "validations"),
                     str(scratch_warehouse / "data_docs"))]


def test_the_worker_ends_when_the_load_is_killed(tmp_path: Path) -> None:
    """A load killed mid-run (SIGKILL) cannot stop its worker; the worker goes by itself."""
    code = (
        "import os, sys\n"
        f"os.environ['DUKAN_WAREHOUSE_DIR'] = {str(tmp_path)!r}\n"
        "from orchestration.quality import gx_runner\n"
        "gx_runner.start_warm_up()\n"
        "(pid,) = gx_runner._Worker._running[1]._processes\n"
        "print(pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    load = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert load.returncode == -9
    worker = int(load.stdout.split()[0])
    deadline = time.monotonic() + 60
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker)
