"""GE's context, built in the background while dbt runs, is the one the checks then use;
a warm-up that fails leaves the first check to build it and report why."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pytest

from orchestration.quality import gx_runner
from tests.quality.test_rule_suites import frame


@pytest.fixture
def scratch_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUKAN_WAREHOUSE_DIR", str(tmp_path))
    context = gx_runner._context  # a test may replace it
    context.cache_clear()
    yield tmp_path
    context.cache_clear()


def test_the_checks_use_the_context_built_in_the_background(scratch_warehouse: Path) -> None:
    # GE imported here, not in the thread: under pytest, its import makes pytest's assertion
    # rewriter parse a scipy module (`_page_trend_test.py`), and CPython 3.11's AST
    # conversion in a second thread, with finalizers of earlier tests' objects run by the
    # collector meanwhile, can fail with "AST constructor recursion depth mismatch". Without
    # pytest nothing is rewritten; the nightly load imports GE in the thread.
    import great_expectations  # noqa: F401

    gc.collect()
    thread = gx_runner.start_warm_up()
    thread.join(timeout=300)
    assert not thread.is_alive(), "the warm-up had not ended after 300 s"
    assert gx_runner.warm_up_failure is None, gx_runner.warm_up_failure
    assert gx_runner._context.cache_info().currsize == 1
    warmed = gx_runner._context()
    outcome = gx_runner.run_checkpoint("submission_file_rules",
                                       frame("flow_balance", [("exact", 0, 0)]))
    assert outcome.success
    assert gx_runner._context() is warmed
    assert gx_runner._context.cache_info().misses == 1  # built once, by the warm-up
    assert list((scratch_warehouse / "gx" / "validations").glob("submission_file_rules/*/*"))


def test_a_failed_warm_up_is_silent_and_the_check_reports_the_error(
    scratch_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    escaped: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: escaped.append(args.exc_value))

    def broken() -> None:
        raise RuntimeError("great_expectations.yml: no such store")

    monkeypatch.setattr(gx_runner, "_context", broken)
    gx_runner.start_warm_up().join(timeout=60)
    assert escaped == []
    assert "no such store" in (gx_runner.warm_up_failure or "")
    with pytest.raises(RuntimeError, match="no such store"):
        gx_runner.run_checkpoint("submission_file_rules", frame("flow_balance", [("x", 0, 0)]))


def test_the_environment_is_set_before_the_thread_starts(
    scratch_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt's environment is copied from this process's as the warm-up starts: the variables
    GE reads must not be added by the thread meanwhile."""
    monkeypatch.delenv("DUKAN_GX_RESULTS_DIR", raising=False)
    monkeypatch.delenv("DUKAN_GX_DOCS_DIR", raising=False)
    started = threading.Event()
    monkeypatch.setattr(gx_runner, "_warm_up", started.wait)  # the thread does nothing yet
    thread = gx_runner.start_warm_up()
    assert os.environ["DUKAN_GX_RESULTS_DIR"] == str(scratch_warehouse / "gx" / "validations")
    assert os.environ["DUKAN_GX_DOCS_DIR"] == str(scratch_warehouse / "data_docs")
    started.set()
    thread.join(timeout=10)
