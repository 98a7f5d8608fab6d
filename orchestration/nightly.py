"""Run the nightly job in this process and print what it built and what every check found.

The run is recorded in Dagster's instance (DAGSTER_HOME), so the same run shows in the UI
with its lineage, metadata and check results.

Before anything heavy is imported, the inputs are compared with those the published
warehouse was built from (``orchestration.lib.fingerprint``): when nothing changed, the
run stops there, in well under a second, without parsing or dbt. ``force`` runs anyway.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from orchestration.lib import fingerprint
from orchestration.lib.paths import DBT_PROJECT_DIR, ProjectPaths
from orchestration.lib.stopping import take_sigterm
from orchestration.lib.workers import remove_dead_load_folders
from orchestration.tiers import dbt_warm

if TYPE_CHECKING:
    from dagster import DagsterInstance, ExecuteInProcessResult


@dataclass(frozen=True)
class CheckLine:
    asset: str
    name: str
    passed: bool
    severity: str
    description: str


def run_nightly(paths: ProjectPaths, force: bool = False) -> int:
    # What a killed load left in the temporary directory goes first, even on a night with
    # nothing to load: one folder may hold a clerk's workbook in clear text.
    remove_dead_load_folders()
    decision = fingerprint.compare(paths)
    log_path = _log_path(paths)
    if decision.unchanged and not force:
        _log_decision(log_path, decision, "skipped: nothing changed")
        print(_unchanged_message(paths, decision, log_path))
        return 0
    return _run_job(paths, decision, log_path, force)


def _run_job(paths: ProjectPaths, decision: fingerprint.Decision, log_path: Path,
             force: bool) -> int:
    from orchestration.lib.dbt_manifest import manifest_is_stale, parse_project
    from orchestration.lib.warehouse import acquire_load_lock

    # Before anything is started for the load: a refused second load costs nothing.
    try:
        acquire_load_lock(paths)
    except RuntimeError as error:
        print(error)
        return 1
    if manifest_is_stale():
        print("dbt's manifest is missing, cut short or older than the project: parsing it",
              flush=True)
        if parse_project() != 0:
            print("dbt parse failed: see the message above; nothing was loaded")
            return 1

    # dbt's imports, on the core Dagster's imports leave idle (orchestration.tiers.dbt_warm).
    prepared = dbt_warm.start(log_path)
    try:
        return _load(paths, decision, log_path, force)
    finally:
        prepared.close()


def _load(paths: ProjectPaths, decision: fingerprint.Decision, log_path: Path,
          force: bool) -> int:
    from orchestration.lib.personal import load_key
    from orchestration.submissions import parse_ahead
    from orchestration.submissions.archive import drop_months
    from orchestration.submissions.months import nightly_months, nightly_range

    # The run creates the personal-data key if there is none; digest it as the run will
    # find it, or the next run would see a "new" key.
    load_key()
    decision = fingerprint.compare(paths)
    reason = "forced (--force)" if force else "changed: " + ", ".join(decision.changed)
    _log_decision(log_path, decision, f"running: {reason}")
    print(f"inputs {reason}")
    if force:
        start, end = nightly_range(paths.raw_dir)
        why = "every month (forced)"
    else:
        start, end, why = nightly_months(paths.raw_dir, decision.changed,
                                         decision.changed_months)
    print(f"months {start}..{end}: {why}")
    # The months' files, parsed on the idle core while Dagster starts (parse_ahead).
    months = [month for month in drop_months(paths.raw_dir) if start <= month <= end]
    parse_ahead.start(paths.raw_dir, paths.warehouse_dir, months, log_path)
    try:
        return _execute(paths, decision, log_path, (start, end))
    finally:
        parse_ahead.stop()  # a run that failed before its parse step


def _execute(paths: ProjectPaths, decision: fingerprint.Decision, log_path: Path,
             months: tuple[str, str]) -> int:
    # Imported here: Dagster alone takes seconds to import, which a run with nothing new
    # to load does not pay.
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.quality.gx_runner import stop_worker
    from orchestration.submissions.automation import month_range_tags

    job = defs.resolve_job_def("nightly_load")
    print(f"running nightly_load; step-by-step log in {log_path}", flush=True)

    # dbt's and Dagster's own output goes to the log file; the terminal gets the summary.
    with open(log_path, "a") as log, redirect_stdout(log), redirect_stderr(log), _into(log):
        with DagsterInstance.get() as instance:
            released = release_dead_runs(instance)
            repaired = repair_pool(instance)
            started = time.time()
            try:
                result = job.execute_in_process(
                    instance=instance, raise_on_error=False, tags=month_range_tags(*months)
                )
            finally:
                take_sigterm()  # Dagster left SIGTERM as SIGINT was: maybe ignored
                stop_worker()  # the checks' worker (quality.gx_runner), if the run started one

    if result.success:
        # Only now, with the exports, reports and feedback written too: a run killed
        # anywhere before this point leaves no record, and the next run loads again.
        fingerprint.record_publish(paths, decision.current, result.run_id, decision.months)
    else:
        fingerprint.forget(paths)
    for run_id in released:
        print(f"run {run_id} had died mid-load: marked failed, its pool slot freed")
    for line in repaired:
        print(line)
    print(render(result, paths, started))
    return 0 if result.success else 1


@contextmanager
def _into(log: TextIO) -> Iterator[None]:
    """Standard output and error, as file descriptors, into ``log`` meanwhile: what the
    run's subprocesses print (Dagster's helpers, on a Ctrl-C a traceback each) goes there,
    not to the terminal, which gets the summary."""
    for stream in (sys.stdout, sys.stderr, log):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        yield
    finally:
        log.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in saved:
            os.close(descriptor)


def _log_decision(log_path: Path, decision: fingerprint.Decision, verdict: str) -> None:
    """The decision and the digests it rests on, first in the run's log."""
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"{datetime.now().isoformat(timespec='seconds')} nightly: {verdict}\n")
        log.write(f"published at: {decision.published_at or 'never'}\n")
        log.write("inputs now: " + json.dumps(decision.current, indent=2, sort_keys=True) + "\n")


def _unchanged_message(paths: ProjectPaths, decision: fingerprint.Decision,
                       log_path: Path) -> str:
    return "\n".join([
        "Nothing changed since the last publish: no new or changed file under "
        f"{paths.raw_dir / 'submissions'}, and the reference data, code, dbt project and "
        "expectations are as they were.",
        f"The published warehouse stands: {paths.published_db} "
        f"(published {decision.published_at}).",
        "Nothing was parsed and dbt did not run; `dukan nightly --force` reruns everything. "
        f"Decision logged in {log_path}",
    ])


def release_dead_runs(instance: DagsterInstance) -> list[str]:
    """Fail the runs that storage still calls running, and free their pool slots.

    Only called while this process holds the load lock, which the kernel releases when a
    process dies: so no other load is alive, and a "started" run is one whose process was
    killed. Left alone, it would hold the duckdb_warehouse slot for ever and every later
    load would wait on it.
    """
    from dagster import DagsterRunStatus, RunsFilter

    alive = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]
    dead = instance.get_runs(filters=RunsFilter(job_name="nightly_load", statuses=alive))
    for run in dead:
        instance.report_run_failed(run, "the process running this load died before it ended")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return [run.run_id for run in dead]


def repair_pool(instance: DagsterInstance) -> list[str]:
    """Put the warehouse's pool right, so that the load cannot wait for a slot for ever.

    Called under the load lock after dead runs are released, when no load of this command
    can hold a slot. Two faults are mended, a line said for each:

    - a slot still held by a run that has ended: its release was lost (a power cut may
      roll back the last commits of Dagster's event log, see
      ``orchestration.lib.dagster_storage``); a run still going keeps its slot;
    - fewer slots than the limit: ``dagster run wipe`` deletes a pool's slots but keeps its
      limit, so Dagster believes the slots exist and waits, at full CPU.

    A pool not made yet is left to Dagster, which makes it on first use.
    """
    from orchestration.lib.resources import WAREHOUSE_POOL

    storage = instance.event_log_storage
    if WAREHOUSE_POOL not in storage.get_concurrency_keys():
        return []
    said = []
    info = storage.get_concurrency_info(WAREHOUSE_POOL)
    for run_id in sorted(info.active_run_ids):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            said.append(f"pool {WAREHOUSE_POOL}: run {run_id} had ended and still held a "
                        "slot: freed")
    if info.limit is not None and info.slot_count < info.limit:
        if info.using_default_limit:
            storage.delete_concurrency_limit(WAREHOUSE_POOL)
            storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        else:
            storage.set_concurrency_slots(WAREHOUSE_POOL, info.limit)
        said.append(f"pool {WAREHOUSE_POOL} had {info.slot_count} of its {info.limit} slot(s), "
                    "as after a wipe of Dagster's event log: its slots are restored")
    return said


def _log_path(paths: ProjectPaths) -> Path:
    logs = paths.warehouse_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"nightly-{datetime.now().strftime('%Y%m%dT%H%M%S')}.log"


def render(result: ExecuteInProcessResult, paths: ProjectPaths, started: float = 0.0) -> str:
    """The run's summary as plain text: assets built, checks by asset, failures in full."""
    built = _materializations(result)
    checks = _checks(result)
    failures = _step_failures(result)

    lines = [f"nightly_load run {result.run_id}: {'SUCCESS' if result.success else 'FAILED'}", ""]
    lines.append(f"Built {len(built)} assets:")
    lines.extend(f"  {asset:<55} {detail}" for asset, detail in built)

    passed = sum(check.passed for check in checks)
    failing_rows = dbt_failing_rows(
        DBT_PROJECT_DIR / "target" / "run_results.json", _database(paths, result.run_id),
        {check.name for check in checks if not check.passed}, since=started,
    )
    lines.append("")
    lines.append(f"Checks: {passed} passed, {len(checks) - passed} failed")
    by_asset: dict[str, list[CheckLine]] = defaultdict(list)
    for check in checks:
        by_asset[check.asset].append(check)
    for asset, asset_checks in sorted(by_asset.items()):
        lines.append(f"  {asset}")
        quiet = [check for check in asset_checks if check.passed and not check.description]
        for check in asset_checks:
            if check in quiet:
                continue
            verdict = "PASS" if check.passed else f"FAIL ({check.severity})"
            lines.append(f"    {verdict:<14} {check.name}: {check.description}")
            lines.extend(f"    {'':<14}   {row}" for row in failing_rows.get(check.name, []))
        if quiet:
            # dbt's structural tests (unique, not null, ...) say nothing more than their name.
            tests = "dbt test" if len(quiet) == 1 else "dbt tests"
            lines.append(f"    {'PASS':<14} {len(quiet)} {tests}: {', '.join(_short(quiet))}")

    ignored = _ignored(result)
    if ignored:
        lines.append("")
        lines.append(f"Not loaded, links or not regular files ({len(ignored)}): "
                     + ", ".join(ignored))

    quarantined = _quarantined(result)
    if quarantined:
        lines.append("")
        lines.append(
            f"Quarantined {quarantined} file(s) of the months loaded, earlier nights' included: "
            "nothing from them reaches the tiers; a report "
            f"for the clerk is in {paths.warehouse_dir / 'quarantine'}/<month>/, and "
            "quality.submission_status lists them."
        )

    if checks:
        lines.extend(_findings_lines(paths, result.run_id))

    if failures:
        lines.append("")
        lines.append("Failed steps:")
        lines.extend(f"  {step}: {message}" for step, message in failures)

    lines.append("")
    lines.append(_outcome(result, paths, {asset for asset, _ in built}))
    return "\n".join(lines)


def _outcome(result: ExecuteInProcessResult, paths: ProjectPaths, built: set[str]) -> str:
    """What auditors now read. The publish is not the run's last step: the county feedback,
    the Parquet exports and the report follow it, and a run stopped among them has
    replaced the warehouse but not what is made from it."""
    if result.success:
        return f"Published {paths.published_db}"
    if "published_warehouse" in built:
        return (
            f"Published {paths.published_db}, but the run did not finish: the steps that "
            "failed above did not rewrite what they make from it (feedback, Parquet, "
            "report). The next `dukan nightly` loads every month again and writes them."
        )
    if not paths.published_db.exists():
        return f"Nothing published: there is no warehouse at {paths.published_db} yet."
    return f"Nothing published: {paths.published_db} is unchanged."


def dbt_failing_rows(run_results: Path, database: Path | None, names: set[str],
                     since: float, limit: int = 5) -> dict[str, list[str]]:
    """The first rows each failed dbt test returns, by test name: what a test's name alone
    does not say (which column of a model holds nulls, which key repeats).

    The tests' SQL is the one this run's dbt compiled (its run_results.json, written after
    the run began); it is run read-only on the run's build.
    """
    import duckdb

    if not names or database is None or not run_results.exists():
        return {}
    if run_results.stat().st_mtime < since:
        return {}  # dbt did not finish: these results are an earlier run's
    results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    failed = {
        result["unique_id"].split(".")[2]: result.get("compiled_code")
        for result in results
        if result.get("status") in ("fail", "warn") and result["unique_id"].startswith("test.")
    }
    rows: dict[str, list[str]] = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        for name in sorted(names & failed.keys()):
            if not failed[name]:
                continue
            try:
                cursor = connection.execute(f"select * from ({failed[name]}) limit {limit}")
            except duckdb.Error as error:
                rows[name] = [f"(its rows could not be read: {error})"]
                continue
            columns = [column[0] for column in cursor.description]
            rows[name] = [", ".join(f"{column}={value}" for column, value in zip(columns, row))
                          for row in cursor.fetchall()]
    return rows


def _database(paths: ProjectPaths, run_id: str) -> Path | None:
    """This run's build if it is still there (a failed run), else the published file."""
    for database in (paths.build_db(run_id), paths.published_db):
        if database.exists():
            return database
    return None


def _findings_lines(paths: ProjectPaths, run_id: str) -> list[str]:
    """What the submission rules found in this run's build (published or not), and where
    to look."""
    import duckdb

    database = _database(paths, run_id)
    if database is None:
        return []
    try:
        with duckdb.connect(str(database), read_only=True) as connection:
            counts = connection.execute(
                "select action, count(*), count(distinct file_sha256) "
                "from quality.rule_findings group by action order by action"
            ).fetchall()
    except duckdb.Error:
        return []  # no rule ran (a failed intake, say): the failures below say why
    if not counts:
        return ["", "Rule findings: none."]
    parts = [
        f"{files} files held ({count} findings)" if action == "file_held"
        else f"{count} blocking findings" if action == "blocks_publish"
        else f"{count} warnings"
        for action, count, files in counts
    ]
    return [
        "",
        f"Rule findings: {', '.join(parts)}. See quality.rule_findings, the county feedback "
        f"in {paths.warehouse_dir / 'feedback'}/<month>/ and the Data Docs at "
        f"{paths.warehouse_dir / 'data_docs' / 'index.html'}.",
    ]


# dbt's own generic tests; the project's are the files of dbt_project/tests/generic/.
_DBT_GENERIC_TESTS = ("not_null", "unique", "accepted_values", "relationships")


@lru_cache(maxsize=1)
def _generic_tests() -> tuple[str, ...]:
    """Longest name first, so that unique_combination is not taken for unique."""
    project = [path.stem.removeprefix("test_")
               for path in (DBT_PROJECT_DIR / "tests" / "generic").glob("test_*.sql")]
    return tuple(sorted((*_DBT_GENERIC_TESTS, *project), key=len, reverse=True))


def _short(checks: list[CheckLine]) -> list[str]:
    """The generic tests the checks are instances of: a test's name starts with its
    generic test's."""
    return sorted({
        next((test for test in _generic_tests() if check.name.startswith(test + "_")),
             check.name.split("_")[0])
        for check in checks
    })


def _materializations(result: ExecuteInProcessResult) -> list[tuple[str, str]]:
    """One line per asset; a monthly asset materialized for many months says how many."""
    by_asset: dict[str, list] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        by_asset.setdefault(materialization.asset_key.to_user_string(), []).append(materialization)

    rows = []
    for asset, materializations in by_asset.items():
        metadata = materializations[-1].metadata
        detail = ", ".join(
            f"{key}={metadata[key].value}"
            for key in ("rows_written", "rows_total", "files_parsed", "files_new", "table_count")
            if key in metadata
        )
        if len(materializations) > 1:
            detail = f"{len(materializations)} months; {detail}".rstrip("; ")
        rows.append((asset, detail))
    return rows


def _quarantined(result: ExecuteInProcessResult) -> int:
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if "files_quarantined" in materialization.metadata:
            return int(materialization.metadata["files_quarantined"].value)
    return 0


def _ignored(result: ExecuteInProcessResult) -> list[str]:
    """What the archive passed over in the drop zone (the first 50 are named)."""
    names: list[str] = []
    for event in result.get_asset_materialization_events():
        metadata = event.event_specific_data.materialization.metadata
        if metadata.get("ignored_files") and metadata["ignored_files"].value:
            names.extend(metadata["ignored_files"].value.splitlines())
    return names


def _checks(result: ExecuteInProcessResult) -> list[CheckLine]:
    from dagster import DagsterEventType

    lines = []
    for event in result.all_events:
        if event.event_type != DagsterEventType.ASSET_CHECK_EVALUATION:
            continue
        evaluation = event.event_specific_data
        description = evaluation.description or ""
        lines.append(
            CheckLine(
                asset=evaluation.asset_key.to_user_string(),
                name=evaluation.check_name,
                passed=evaluation.passed,
                severity=evaluation.severity.value,
                description=description.splitlines()[0] if description else "",
            )
        )
    return lines


def _step_failures(result: ExecuteInProcessResult) -> list[tuple[str, str]]:
    from dagster import DagsterEventType

    failures = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            failures.append((event.step_key or "", _failure_message(error)))
    return failures


def _failure_message(error: object) -> str:
    message = _root_message(error)
    if message.endswith("DagsterExecutionInterruptedError"):
        return "interrupted (Ctrl-C or SIGTERM)"
    return message


def _root_message(error: object) -> str:
    """The project's own error: Dagster wraps it in step errors; what it wraps (an OS error
    under a clear message, say) is detail the operator does not need."""
    while (
        error is not None
        and getattr(error, "cause", None) is not None
        and str(getattr(error, "cls_name", "")).startswith("Dagster")
    ):
        error = error.cause
    return getattr(error, "message", "").strip() if error is not None else ""
