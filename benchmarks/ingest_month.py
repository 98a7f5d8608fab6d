"""Benchmark: ingest one simulated month of county workbooks, and print the figures.

    .venv/bin/python benchmarks/ingest_month.py [--month 2020-06] [--repeat 3]

Writes the month's simulated files (75 county workbooks and the prefecture summaries) to a
scratch folder, then times each stage of the intake as the nightly load runs it: archive
(hash and copy), parse (all cores, cold cache), load into a scratch DuckDB, and a second
pass with everything cached. Also times python-calamine reading every sheet of the same
files, the floor any reader of these workbooks pays. Figures are printed, not asserted:
the target for a month is under 5 s of ingest on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.lib.paths import ProjectPaths  # noqa: E402
from orchestration.lib.warehouse import begin_build, build_connection  # noqa: E402
from orchestration.simulation.writer import simulate  # noqa: E402
from orchestration.submissions import assets as intake  # noqa: E402
from orchestration.submissions.archive import archive_months  # noqa: E402
from orchestration.submissions.parse_cache import cache_dir, parse_all  # noqa: E402


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def calamine_floor(files: list[Path]) -> float:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    for path in files:
        if path.suffix.lower() != ".xlsx":
            continue
        workbook = CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            workbook.get_sheet_by_name(name).to_python()
    return time.perf_counter() - started


def one_pass(month: str, scratch: Path) -> dict[str, float]:
    raw, warehouse = scratch / "raw", scratch / "warehouse"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(ROOT / "raw" / "reference", raw / "reference")
    simulate(raw / "submissions", months=[month])
    files = sorted(p for p in (raw / "submissions" / month).rglob("*") if p.is_file())
    os.environ["DUKAN_PII_KEY_FILE"] = str(scratch / "pii.key")
    from orchestration.lib.personal import load_key

    key = load_key()
    paths = ProjectPaths(raw_dir=raw, warehouse_dir=warehouse)
    figures: dict[str, float] = {"files": len(files)}

    figures["archive_s"], _ = timed(lambda: archive_months(raw, [month]))
    jobs = intake._parse_jobs(raw, [month])
    cache = cache_dir(warehouse, key)
    figures["parse_s"], outcomes = timed(lambda: parse_all(jobs, cache, key))
    figures["values"] = sum(o.values for o in outcomes)

    run_id = "benchmark"
    begin_build(paths, run_id)
    with build_connection(paths, run_id) as connection:
        from orchestration.reference.validate import load_reference

        for name, ref in load_reference(raw / "reference").items():
            connection.execute("create schema if not exists reference")
            connection.register("t", ref.to_arrow())
            connection.execute(f"create or replace table reference.{name} as select * from t")
            connection.unregister("t")
        figures["load_s"], _ = timed(
            lambda: intake._replace_months(connection, raw, [month], jobs, cache)
        )

    figures["cached_parse_s"], _ = timed(lambda: parse_all(jobs, cache, key))
    shutil.rmtree(cache)
    figures["warm_parse_s"], _ = timed(lambda: parse_all(jobs, cache, key))
    figures["calamine_s"] = calamine_floor(files)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2020-06")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.repeat):
            figures = one_pass(args.month, Path(tmp) / "scratch")
            runs.append(figures)
            print(f"pass {number + 1}: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float)
                                                     else f"{k}={v}" for k, v in figures.items()))

    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    ingest = median["archive_s"] + median["parse_s"] + median["load_s"]
    print()
    print(f"month {args.month}: {int(median['files'])} files, {int(median['values'])} values, "
          f"{os.cpu_count()} cores, median of {len(runs)} passes")
    print(f"  archive            {median['archive_s']:7.3f} s")
    print(f"  parse (cold)       {median['parse_s']:7.3f} s")
    print(f"  load into DuckDB   {median['load_s']:7.3f} s")
    print(f"  ingest total       {ingest:7.3f} s   (target < 5 s)")
    print(f"  parse (cached)     {median['cached_parse_s']:7.3f} s")
    print(f"  calamine floor     {median['calamine_s']:7.3f} s   (reading the same files only)")
    print(f"  throughput         {median['files'] / ingest:7.1f} workbooks/s, "
          f"{median['values'] / ingest:,.0f} values/s")


if __name__ == "__main__":
    main()
