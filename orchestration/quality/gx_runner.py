"""Run a Great Expectations checkpoint of the file context in `expectations/` on a frame.

GE 1.x has no DuckDB data source, so callers read the table from DuckDB themselves and hand
GE a pandas frame. Suites, validation definitions and checkpoints are files under
`expectations/gx/`, reviewed like code; this module only loads and runs them.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.lib.paths import EXPECTATIONS_DIR, ProjectPaths
from orchestration.lib.workers import exit_with
from orchestration.quality.data_docs import make_offline

if TYPE_CHECKING:  # pandas is imported by the checks that run, not at start-up
    import pandas as pd

# Analytics are also off in great_expectations.yml; the variable covers contexts built
# before the file is read.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# Runs of a suite whose results stay in GE's store; older ones move to gx/archive/. GE's
# Data Docs index lists the whole store and loads every result in it, on every build:
# with a year of nightly loads (some 4,000 results) that cost about 1 s a build, 13 s a
# run when every checkpoint built it, and it grew with every run. Every result is also a
# row of quality.expectation_results, and its page stays in the Data Docs.
KEPT_RESULTS = 31


@dataclass(frozen=True)
class RuleOutcome:
    """One expectation's verdict, in the words an auditor reads."""

    rule_id: str
    description_zh: str
    description_en: str
    severity: str
    success: bool
    expectation_type: str
    observed: Any = None
    unexpected_rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    rules: list[RuleOutcome]

    @property
    def success(self) -> bool:
        return all(rule.success for rule in self.rules)

    def failed(self, severity: str | None = None) -> list[RuleOutcome]:
        return [
            rule
            for rule in self.rules
            if not rule.success and (severity is None or rule.severity == severity)
        ]


def data_docs_dir(paths: ProjectPaths) -> Path:
    """The static Data Docs site; open index.html in a browser."""
    return paths.warehouse_dir / "data_docs"


def results_dir(paths: ProjectPaths) -> Path:
    """GE's validation results store: <suite>/<run name>/<run time>/<batch>.json."""
    return paths.warehouse_dir / "gx" / "validations"


def results_archive_dir(paths: ProjectPaths) -> Path:
    """Results moved out of GE's store, in the store's own layout; never deleted."""
    return paths.warehouse_dir / "gx" / "archive"


# Held while GE's context is used: the warm-up, a check and the Data Docs thread take turns.
_context_lock = threading.Lock()


def start_warm_up() -> None:
    """Have Great Expectations ready for the checks, built while dbt runs.

    Importing GE and reading its project take 2 to 3 s of one core, which the first check
    of a run paid. The dbt step calls this before dbt starts, and a process of its own
    imports GE and builds the context (``_Worker``): dbt runs in another process for
    several seconds, so the context is ready when the checks begin, and the load's own
    process, which streams dbt's events meanwhile and then writes the feedback and the
    report, does not share its one interpreter with GE's imports. The checks of this
    process then run in that one, for the same warehouse. A failure there is left for the
    first check to meet: it runs the checkpoint here and reports what it meets.
    """
    # Set here, before the process starts: it takes this environment with it.
    _set_gx_environment()
    _Worker.start()


class _Worker:
    """One process, started by ``start_warm_up``, that runs this process's checkpoints for
    the warehouse it was started for."""

    _running: tuple[tuple[str, str], ProcessPoolExecutor] | None = None
    # The Data Docs pages of the checks it ran, as plain keys (``_page_keys``), until it
    # has written them: if it dies first, this process writes them.
    owed: list[tuple[str, tuple[str, ...]]] = []

    @classmethod
    def start(cls) -> None:
        cls.finish()
        # spawn, not the parse's forkserver: GE's modules are not the parse's, and the
        # forkserver keeps the modules of whichever pool started it first.
        pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"),
                                   initializer=_in_worker,
                                   initargs=(_log_file(), os.getpid()))
        pool.submit(_context_ready)  # start it now, not at the first check
        cls._running = (_gx_dirs(), pool)

    @classmethod
    def stop(cls) -> None:
        if cls._running is not None:
            cls._running[1].shutdown(wait=False, cancel_futures=True)
            cls._running = None
            cls.owed = []

    @classmethod
    def run(cls, name: str, frame: pd.DataFrame) -> SuiteOutcome | None:
        """The checkpoint's outcome from the worker; None when there is none to run it."""
        if cls._running is None or cls._running[0] != _gx_dirs():
            return None
        try:
            outcome, keys = cls._running[1].submit(_validate_in_worker, name, frame).result()
        except BrokenProcessPool:
            cls._died()  # this process runs the checks from now on
            return None
        cls.owed.extend(keys)
        return outcome

    @classmethod
    def finish(cls) -> None:
        """Write the Data Docs pages still owed, then end the worker."""
        if cls._running is None:
            return
        try:
            cls._running[1].submit(_PendingDocs.build).result()
        except BrokenProcessPool:
            cls._died()
            return
        cls.stop()

    @classmethod
    def _died(cls) -> None:
        """The worker is gone: write here the pages it may not have written."""
        owed, cls.owed = cls.owed, []
        cls.stop()
        print(f"gx_runner: the checks' worker died; writing {len(owed) // 2} checkpoints' "
              "Data Docs pages here, and running the next checks here", file=sys.stderr)
        with _context_lock:
            build_data_docs(_pages_from_keys(owed))


def _log_file() -> str | None:
    """Where this process's error output goes, when that is a file (the nightly load's log):
    GE's warnings from the worker go there too, not to the terminal."""
    name = getattr(sys.stderr, "name", None)
    return name if isinstance(name, str) and Path(name).is_file() else None


def _in_worker(log_file: str | None, load: int) -> None:
    exit_with(load)
    if log_file is not None:
        sys.stdout = sys.stderr = open(log_file, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    _warm_up()


def _context_ready() -> bool:
    return warm_up_failure is None


def stop_worker() -> None:
    """Finish and end the checks' worker process, if any (the nightly command, after its
    run): the Data Docs pages of its last checks are written first."""
    _Worker.finish()


def _validate_in_worker(
    name: str, frame: pd.DataFrame
) -> tuple[SuiteOutcome, list[tuple[str, tuple[str, ...]]]]:
    with _context_lock:
        outcome, pages = _validate(name, frame)
    _PendingDocs.add(pages)
    return outcome, _page_keys(pages)


def _page_keys(pages: list[Any]) -> list[tuple[str, tuple[str, ...]]]:
    """GE's page identifiers as plain tuples: unpickling GE's own classes in the load's
    process would import GE there, which the worker is for."""
    return [(type(page).__name__, tuple(page.to_tuple())) for page in pages]


def _pages_from_keys(keys: list[tuple[str, tuple[str, ...]]]) -> list[Any]:
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    kinds = {kind.__name__: kind for kind in (ExpectationSuiteIdentifier,
                                              ValidationResultIdentifier)}
    return [kinds[kind].from_tuple(key) for kind, key in keys]


class _PendingDocs:
    """In the checks' worker: Data Docs pages owed, written by a thread of the worker once
    the checks pause.

    The verdict goes back to the load as soon as GE has it; the pages (about 40 ms a
    checkpoint, most of it the site's index) are written together while the load goes on
    to the feedback and the report. A check that comes meanwhile waits for the context.
    """

    pages: list[Any] = []
    added = threading.Event()
    thread: threading.Thread | None = None
    # Longer than the load takes between two checks, shorter than the steps after them;
    # DUKAN_GX_DOCS_QUIET_S sets another (a very long one leaves the pages to the end).
    QUIET_S = float(os.environ.get("DUKAN_GX_DOCS_QUIET_S", "0.25"))

    @classmethod
    def add(cls, pages: list[Any]) -> None:
        cls.pages.extend(pages)
        cls.added.set()
        if cls.thread is None:
            cls.thread = threading.Thread(target=cls._when_quiet, name="gx-docs", daemon=True)
            cls.thread.start()

    @classmethod
    def _when_quiet(cls) -> None:
        while True:
            cls.added.wait()
            cls.added.clear()
            if cls.added.wait(cls.QUIET_S):
                continue  # another check came: wait for the next pause
            try:
                cls.build()
            except Exception:  # noqa: BLE001 - logged; the pages are built at the next pause
                traceback.print_exc()

    @classmethod
    def build(cls) -> None:
        with _context_lock:
            pages, cls.pages = cls.pages, []
            try:
                build_data_docs(pages)
            except BaseException:
                cls.pages[:0] = pages  # owed still
                raise


# What the last warm-up raised, as a traceback, for whoever looks into a slow first check.
warm_up_failure: str | None = None


def _warm_up() -> None:
    # A context that failed is not cached: the first check builds it again and says why.
    global warm_up_failure
    try:
        with _context_lock:
            _context()
        warm_up_failure = None
    except Exception:  # noqa: BLE001 - kept for diagnosis; the check reports it itself
        warm_up_failure = traceback.format_exc()


@lru_cache(maxsize=1)
def _context() -> Any:
    import great_expectations as gx  # slow import: paid once, and only by the checks

    _set_gx_environment()
    return gx.get_context(mode="file", project_root_dir=str(EXPECTATIONS_DIR))


def _set_gx_environment() -> None:
    """great_expectations.yml reads these: results and Data Docs live with the warehouse."""
    os.environ["DUKAN_GX_RESULTS_DIR"], os.environ["DUKAN_GX_DOCS_DIR"] = _gx_dirs()


def _gx_dirs() -> tuple[str, str]:
    paths = ProjectPaths.from_env()
    return str(results_dir(paths)), str(data_docs_dir(paths))


def run_checkpoint(name: str, frame: pd.DataFrame) -> SuiteOutcome:
    """Validate `frame` with the checkpoint `name` and translate GE's result; in the
    checks' worker when one was started for this warehouse (``start_warm_up``)."""
    outcome = _Worker.run(name, frame)
    return outcome if outcome is not None else _run_checkpoint_here(name, frame)


def _run_checkpoint_here(name: str, frame: pd.DataFrame) -> SuiteOutcome:
    with _context_lock:
        outcome, pages = _validate(name, frame)
        build_data_docs(pages)
    return outcome


def _validate(name: str, frame: pd.DataFrame) -> tuple[SuiteOutcome, list[Any]]:
    """The checkpoint's outcome, and the Data Docs pages it calls for (its validation
    result and its suite), which ``build_data_docs`` writes."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    paths = ProjectPaths.from_env()
    archive_old_results(results_dir(paths) / name, results_archive_dir(paths) / name)
    checkpoint = _context().checkpoints.get(name)
    result = checkpoint.run(batch_parameters={"dataframe": frame})

    rules: list[RuleOutcome] = []
    pages: list[Any] = []
    for identifier, run_result in result.run_results.items():
        pages += [identifier, ExpectationSuiteIdentifier(name=run_result.suite_name)]
        for expectation_result in run_result.results:
            rules.append(_outcome(expectation_result))
    return SuiteOutcome(suite=name, rules=rules), pages


def build_data_docs(pages: list[Any]) -> None:
    """Write these pages and the index of the Data Docs site, then strip the pages of
    remote references. (The checkpoints carry no Data Docs action: an index built once for
    a run's thirteen checkpoints costs what one built for each of them does.)"""
    if not pages:
        return
    _context().build_data_docs(resource_identifiers=pages, build_index=True)
    make_offline(data_docs_dir(ProjectPaths.from_env()))


def archive_old_results(suite_results: Path, suite_archive: Path,
                        keep: int = KEPT_RESULTS - 1) -> int:
    """Move all but the newest `keep` runs of one suite's results to its archive folder.

    Called before a checkpoint adds its own, so the store then holds KEPT_RESULTS runs.
    Run folders are named by their UTC time (20201205T060002.647924Z), so names sort in
    time order. Returns how many runs moved.
    """
    if not suite_results.is_dir():
        return 0
    moved = 0
    for run_name in sorted(path for path in suite_results.iterdir() if path.is_dir()):
        runs = sorted(path for path in run_name.iterdir() if path.is_dir())
        for run in runs[: max(0, len(runs) - keep)]:
            target = suite_archive / run_name.name / run.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():  # archived before under that name (put back by hand): keep both
                target = target.with_name(f"{run.name}.{os.getpid()}")
            shutil.move(run, target)
            moved += 1
    return moved


def _outcome(expectation_result: Any) -> RuleOutcome:
    config = expectation_result.expectation_config
    meta = config.meta or {}
    details = expectation_result.result or {}
    return RuleOutcome(
        rule_id=meta.get("rule_id", config.type),
        description_zh=meta.get("description_zh", ""),
        description_en=meta.get("description_en", ""),
        severity=_severity(config),
        success=bool(expectation_result.success),
        expectation_type=config.type,
        observed=_plain(details.get("observed_value")),
        unexpected_rows=[_plain(row) for row in details.get("unexpected_index_list") or []],
    )


def _severity(config: Any) -> str:
    """GE's own severity: `critical` blocks what is downstream, `warning` and `info` do not."""
    severity = getattr(config, "severity", None)
    return str(getattr(severity, "value", severity) or "critical")


def _plain(value: Any) -> Any:
    """numpy scalars and Decimals to plain JSON-able values, for metadata and tables."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item"):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Decimal):
        # Exact, without the trailing zeros of the column's scale: 0.015500 -> 0.0155.
        return format(value.normalize(), "f")
    return str(value)
