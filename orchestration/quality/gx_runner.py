"""Run a Great Expectations checkpoint of the file context in `expectations/` on a frame.

GE 1.x has no DuckDB data source, so callers read the table from DuckDB themselves and hand
GE a pandas frame. Suites, validation definitions and checkpoints are files under
`expectations/gx/`, reviewed like code; this module only loads and runs them.
"""

from __future__ import annotations

import os
import shutil
import threading
import traceback
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.lib.paths import EXPECTATIONS_DIR, ProjectPaths
from orchestration.quality.data_docs import make_offline

# Analytics are also off in great_expectations.yml; the variable covers contexts built
# before the file is read.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# Runs of a suite whose results stay in GE's store; older ones move to gx/archive/. GE's
# Data Docs action lists the whole store and loads every result in it for its index, on
# every checkpoint: with a year of nightly loads (some 4,000 results) that cost about 1 s a
# checkpoint, 13 s a run, and it grew with every run. Every result is also a row of
# quality.expectation_results, and its page stays in the Data Docs.
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


# Held while the context is built, so a warm-up thread and a check do not build two.
_context_lock = threading.Lock()


def start_warm_up() -> threading.Thread:
    """Build GE's data context in a background thread of this process.

    Importing GE and reading its project take 2 to 3 s, which the first check of a run
    paid. The dbt step calls this before dbt starts: dbt runs in its own process for
    several seconds while this one mostly waits, so the context is ready when the checks
    begin. A failure here is left for the first check to meet and report.
    """
    # Set here, not in the thread: the dbt step copies this process's environment for
    # dbt's, and adding a variable while another thread copies it is a race.
    _set_gx_environment()
    thread = threading.Thread(target=_warm_up, name="gx-warm-up", daemon=True)
    thread.start()
    return thread


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
    paths = ProjectPaths.from_env()
    os.environ["DUKAN_GX_RESULTS_DIR"] = str(results_dir(paths))
    os.environ["DUKAN_GX_DOCS_DIR"] = str(data_docs_dir(paths))


def run_checkpoint(name: str, frame: pd.DataFrame) -> SuiteOutcome:
    """Validate `frame` with the checkpoint `name` and translate GE's result."""
    paths = ProjectPaths.from_env()
    archive_old_results(results_dir(paths) / name, results_archive_dir(paths) / name)
    with _context_lock:
        context = _context()
    checkpoint = context.checkpoints.get(name)
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    # The checkpoint's action has just written its Data Docs pages: no remote references.
    make_offline(data_docs_dir(paths))

    rules: list[RuleOutcome] = []
    for run_result in result.run_results.values():
        for expectation_result in run_result.results:
            rules.append(_outcome(expectation_result))
    return SuiteOutcome(suite=name, rules=rules)


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
