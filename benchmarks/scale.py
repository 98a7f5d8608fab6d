"""Benchmark the warehouse at province and national scale, and print every figure.

    .venv/bin/python benchmarks/scale.py --scale province|national|national60|all [--plot]
    .venv/bin/python benchmarks/scale.py --scale national60 --rebuild-only

For each scale, in one run:

- the floor: python-calamine reading every sheet of the same workbooks, on all cores;
- the baseline: ``pandas_rollup.py`` (pandas + openpyxl, what a user would write);
- ingest: archive, parse, normalise and stage into DuckDB, as the intake assets do, cold,
  with workbooks/s, rows/s and peak memory;
- the nightly load (``dukan nightly``, every step: dbt, checks, publish, Parquet, report):
  full rebuild, one new month, and a run with nothing new.

Scales: ``province`` is the simulated year (75 counties, 2020-02..2020-12, with the 13
prefecture summaries a month); ``national`` 832 synthetic counties and 128,000 villages for
12 months; ``national60`` the same for 60 months. Workbooks are written once into
benchmarks/.cache/ and reused. At national scale the reference data stay the plan's (its
checks are about the 75 counties); the synthetic counties are outside them, so the load
quarantines their files (unknown_county) after archiving, parsing and staging every value,
and their figures do not reach the tier marts. "One new month" is the last month arriving
at a warehouse that holds all the others. Results go to benchmarks/.cache/results/;
``--plot`` draws docs/images/scale.png from them. ``--rebuild-only`` measures the floor,
the full rebuild and a run with nothing new, no more (the other figures of the 60-month
series take hours on two cores). ``--ingest-only`` measures the floor and the ingest, and
prints them without storing them.

Beside the ingest it measures the archive floor (reading, hashing and writing a copy of each
file, nothing flushed) and the store alone: DuckDB writing the staged values again, as a
copy inside the same file, so with no reader, Parquet or Python in it. The two floors and
that store added up are the least any ingest into this warehouse could take (the bound).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import national  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
RESULTS = CACHE / "results"
DUKAN = str(Path(sys.executable).with_name("dukan"))
SCALES = ("province", "national", "national60")


# --- the workbooks -----------------------------------------------------------------------


def workbooks(scale: str) -> tuple[Path, list[str]]:
    """The drop-zone folder of a scale (written once) and its months."""
    if scale == "province":
        from orchestration.simulation.trajectory import MONTHS
        from orchestration.simulation.writer import simulate

        out = CACHE / "province"
        if not (out / "simulation_manifest.csv").exists():
            print("writing the simulated year (once)...", flush=True)
            simulate(out)
        return out, list(MONTHS)

    months = national.month_range("2020-01..2020-12" if scale == "national" else
                                  "2020-01..2024-12")
    out = CACHE / "national"
    started = time.perf_counter()
    written = national.generate(out, months)
    if written:
        print(f"wrote {written} national workbooks in {time.perf_counter() - started:.0f} s",
              flush=True)
    national.verify(out, months[0])
    return out, months


def files_of(folder: Path, months: list[str]) -> list[Path]:
    return sorted(p for m in months for p in (folder / m).rglob("*.xlsx"))


def link_months(source: Path, drop: Path, months: list[str], as_month: str | None = None) -> None:
    """Deliver months into a drop zone by hard links: real files, no copying."""
    for month in months:
        for path in (source / month).rglob("*"):
            if path.is_file():
                target = drop / (as_month or month) / path.relative_to(source / month)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, target)
    manifest = source / "simulation_manifest.csv"
    if manifest.exists() and not (drop / manifest.name).exists():
        os.link(manifest, drop / manifest.name)


# --- measuring ---------------------------------------------------------------------------


class PeakMemory:
    """Peak resident memory of this process and all its descendants, summed, polled."""

    def __init__(self, root: int | None = None) -> None:
        self.root = root or os.getpid()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, tree_rss(self.root))


def tree_rss(root: int) -> int:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def timed(action: Callable[[], object]) -> tuple[float, int, object]:
    with PeakMemory() as memory:
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    return seconds, memory.peak, result


def _calamine_chunk(paths: list[str]) -> int:
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in paths:
        with CalamineWorkbook.from_path(path) as workbook:
            for name in workbook.sheet_names:
                cells += sum(len(r) for r in workbook.get_sheet_by_name(name).to_python())
    return cells


def calamine_floor(files: list[Path]) -> float:
    """python-calamine alone reading every sheet of the files, on every core."""
    workers = os.cpu_count() or 1
    chunks = [[str(p) for p in files[i::workers * 8]] for i in range(workers * 8)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_calamine_chunk, chunks))
    return time.perf_counter() - started


def archive_floor(files: list[Path]) -> float:
    """Reading, hashing and writing a copy of every file, one process, nothing flushed: the
    least an archive that keeps each file under its digest can cost."""
    out = CACHE / "run" / "archive-floor"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        (out / hashlib.sha256(data).hexdigest()).write_bytes(data)
    seconds = time.perf_counter() - started
    shutil.rmtree(out)
    return seconds


def pandas_baseline(source: Path, months: list[str]) -> float:
    folders = [str(source / m) for m in months]
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "pandas_rollup.py"), *folders],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def scratch(scale: str) -> tuple[Path, Path, dict[str, str]]:
    root = CACHE / "run" / scale
    shutil.rmtree(root, ignore_errors=True)
    raw, warehouse = root / "raw", root / "warehouse"
    shutil.copytree(ROOT / "raw" / "reference", raw / "reference")
    (raw / "submissions").mkdir(parents=True)
    warehouse.mkdir(parents=True)
    env = {**os.environ, "DUKAN_RAW_DIR": str(raw), "DUKAN_WAREHOUSE_DIR": str(warehouse),
           "DAGSTER_HOME": str(warehouse / "dagster"), "DUKAN_PII_KEY_FILE": str(root / "pii.key")}
    return raw, warehouse, env


def ingest(scale: str, source: Path, months: list[str]) -> dict[str, float]:
    """Archive, parse (cold, every core), normalise and stage, as the intake assets do."""
    from orchestration.lib.paths import ProjectPaths
    from orchestration.lib.warehouse import begin_build, build_connection
    from orchestration.reference.validate import load_reference
    from orchestration.submissions import assets as intake
    from orchestration.submissions.archive import archive_months
    from orchestration.submissions.parse_cache import cache_dir, parse_all

    raw, warehouse, env = scratch(scale + "-ingest")
    os.environ["DUKAN_PII_KEY_FILE"] = env["DUKAN_PII_KEY_FILE"]
    from orchestration.lib.personal import load_key

    key = load_key()
    link_months(source, raw / "submissions", months)
    paths = ProjectPaths(raw_dir=raw, warehouse_dir=warehouse)
    begin_build(paths, "benchmark")
    with build_connection(paths, "benchmark") as connection:
        connection.execute("create schema if not exists reference")
        for name, ref in load_reference(raw / "reference").items():
            connection.register("t", ref.to_arrow())
            connection.execute(f"create or replace table reference.{name} as select * from t")
            connection.unregister("t")

    def run() -> dict[str, float]:
        stages = [time.perf_counter()]
        archive_months(raw, months)
        stages.append(time.perf_counter())
        jobs = intake._parse_jobs(raw, months)
        outcomes = parse_all(jobs, cache_dir(warehouse, key), key)
        stages.append(time.perf_counter())
        with build_connection(paths, "benchmark") as connection:
            intake._replace_months(connection, raw, months, jobs, cache_dir(warehouse, key))
        stages.append(time.perf_counter())
        archive_s, parse_s, stage_s = (b - a for a, b in zip(stages, stages[1:]))
        return {"files": len(jobs), "values": sum(o.values for o in outcomes),
                "archive_s": archive_s, "parse_s": parse_s, "stage_s": stage_s}

    seconds, peak, counts = timed(run)
    with build_connection(paths, "benchmark") as connection:
        stores = store_alone(connection)
    return {"ingest_s": seconds, "ingest_peak_bytes": peak, **counts,  # type: ignore[dict-item]
            **stores}


# The columns that differ from value to value, with a number for the file instead of its
# 64-character hash: the least a staged value can be and still lead back to its cell.
_VALUE_LEVEL = 'file_number, "table", row_key, indicator, value_decimal, cell, raw'


def store_alone(connection) -> dict[str, float]:
    """DuckDB writing the staged values again, with nothing parsed or read from Parquet.

    What any intake into this store must pay after its reader, however fast the reader:
    the staged table copied as it is, and its value-level columns only (the file's own
    columns left to a table of files), each committed to disk.
    """
    connection.execute(
        "create temp table numbered as select dense_rank() over (order by file_sha256)"
        "::integer as file_number, * from submissions.values")
    figures = {}
    for name, columns, source in (("store_s", "*", "submissions.values"),
                                  ("store_value_level_s", _VALUE_LEVEL, "numbered")):
        started = time.perf_counter()
        connection.execute(f"create table submissions.values_again as select {columns} "
                           f"from {source}")
        connection.execute("checkpoint")
        figures[name] = time.perf_counter() - started
        connection.execute("drop table submissions.values_again")
        connection.execute("checkpoint")
    connection.execute("drop table numbered")
    return figures


def nightly(env: dict[str, str]) -> tuple[float, int, str]:
    process = subprocess.Popen([DUKAN, "nightly"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    with PeakMemory(process.pid) as memory:
        started = time.perf_counter()
        output, _ = process.communicate()
        seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"dukan nightly failed:\n{output[-3000:]}")
    return seconds, memory.peak, output


def full_rebuild(scale: str, source: Path, months: list[str]) -> tuple[dict[str, float],
                                                                      dict[str, str]]:
    """Every month loaded into an empty warehouse; the figures and the warehouse's env."""
    raw, _, env = scratch(scale)
    link_months(source, raw / "submissions", months)
    full_s, full_peak, _ = nightly(env)
    return {"full_s": full_s, "full_peak_bytes": full_peak}, env


def nothing_new(env: dict[str, str]) -> float:
    """A nightly run on a warehouse just loaded; it must stop before any work."""
    noop_s, _, output = nightly(env)
    if "Nothing changed" not in output:
        raise RuntimeError(f"the run with nothing new did work:\n{output[-2000:]}")
    return noop_s


def loads(scale: str, source: Path, months: list[str]) -> dict[str, float]:
    """Full rebuild of every month; then, in a second warehouse holding all months but the
    last, the last month arriving, and a run with nothing new."""
    figures, _ = full_rebuild(scale, source, months)

    raw, _, env = scratch(scale)
    link_months(source, raw / "submissions", months[:-1])
    nightly(env)
    link_months(source, raw / "submissions", months[-1:])
    month_s, month_peak, _ = nightly(env)
    return {**figures, "new_month_s": month_s, "new_month_peak_bytes": month_peak,
            "noop_s": nothing_new(env)}


def rebuild_only(scale: str, source: Path, months: list[str]) -> dict[str, float]:
    figures, env = full_rebuild(scale, source, months)
    return {**figures, "noop_s": nothing_new(env)}


def measure(scale: str, with_pandas: bool, only_rebuild: bool = False,
            only_ingest: bool = False) -> dict[str, float]:
    source, months = workbooks(scale)
    files = files_of(source, months)
    print(f"\n{scale}: {len(files)} workbooks, {len(months)} months, {os.cpu_count()} cores",
          flush=True)
    figures: dict[str, float] = {"workbooks": len(files), "months": len(months)}
    figures["floor_s"] = calamine_floor(files)
    print(f"  calamine floor      {figures['floor_s']:8.1f} s", flush=True)
    if only_rebuild:
        figures.update(rebuild_only(scale, source, months))
        _save(scale, figures)
        return figures
    figures["archive_floor_s"] = archive_floor(files)
    figures.update(ingest(scale, source, months))
    print(f"  ingest              {figures['ingest_s']:8.1f} s (archive {figures['archive_s']:.1f}"
          f", parse {figures['parse_s']:.1f}, stage {figures['stage_s']:.1f}; the store alone "
          f"{figures['store_s']:.1f}, value-level {figures['store_value_level_s']:.1f})",
          flush=True)
    if only_ingest:
        return figures
    if with_pandas:
        figures["pandas_s"] = pandas_baseline(source, months)
        print(f"  pandas + openpyxl   {figures['pandas_s']:8.1f} s", flush=True)
    figures.update(loads(scale, source, months))
    _save(scale, figures)
    return figures


def _save(scale: str, figures: dict[str, float]) -> None:
    """Store a scale's figures. A run without the pandas baseline keeps the one measured
    before (it reads the same workbooks and does not depend on this project's code), marked
    as carried over so the report says so."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stored = RESULTS / f"{scale}.json"
    if "pandas_s" not in figures and stored.exists():
        earlier = json.loads(stored.read_text())
        if "pandas_s" in earlier and earlier.get("workbooks") == figures["workbooks"]:
            figures["pandas_s"] = earlier["pandas_s"]
            figures["pandas_carried_over"] = 1
    stored.write_text(json.dumps(figures, indent=2))


# --- reporting ---------------------------------------------------------------------------


def report(scale: str, f: dict[str, float]) -> str:
    gib = 1024**3
    pandas = f.get("pandas_s")
    earlier = " (from an earlier run)" if f.get("pandas_carried_over") else ""
    versus = (f"; pandas+openpyxl {pandas:.1f} s{earlier}, {pandas / f['full_s']:.2f}x the "
              "rebuild" if pandas else "")
    values = f"{int(f['values']):,} values, " if "values" in f else ""
    lines = [f"{scale}: {int(f['workbooks'])} workbooks, {values}{int(f['months'])} months"]
    if "full_s" in f:
        lines.append(f"  full rebuild        {f['full_s']:8.1f} s  peak "
                     f"{f['full_peak_bytes'] / gib:.2f} GiB   (floor {f['floor_s']:.1f} s{versus})")
    if "new_month_s" in f:
        lines.append(f"  one new month       {f['new_month_s']:8.1f} s  peak "
                     f"{f['new_month_peak_bytes'] / gib:.2f} GiB")
    if "noop_s" in f:
        lines.append(f"  nothing new         {f['noop_s']:8.2f} s")
    if "ingest_s" in f:
        lines += [
            f"  ingest              {f['ingest_s']:8.1f} s  peak "
            f"{f['ingest_peak_bytes'] / gib:.2f} GiB   = {f['ingest_s'] / f['floor_s']:.1f}x "
            f"the calamine floor ({f['floor_s']:.1f} s)",
            f"    archive {f['archive_s']:.1f} s, parse {f['parse_s']:.1f} s "
            f"({f['parse_s'] / f['floor_s']:.1f}x the floor), stage {f['stage_s']:.1f} s",
            f"  throughput          {f['workbooks'] / f['ingest_s']:8.0f} workbooks/s, "
            f"{f['values'] / f['ingest_s']:,.0f} rows/s",
        ]
    if "store_value_level_s" in f:
        # Hundredths: at province scale each part is under a tenth, and the sum must add up
        # as printed.
        parts = [round(f[k], 2) for k in ("archive_floor_s", "floor_s", "store_value_level_s")]
        bound = sum(parts)
        lines += [
            f"  archive floor       {parts[0]:8.2f} s  (reading, hashing and writing each file,"
            " nothing flushed)",
            f"  the store alone     {f['store_s']:8.2f} s  (DuckDB writing the staged values "
            f"again, nothing parsed); value-level columns only {parts[2]:.2f} s",
            f"  ingest bound        {bound:8.2f} s  = {bound:.2f} / {parts[1]:.2f} = "
            f"{bound / parts[1]:.2f}x the calamine floor: archive floor + calamine floor + "
            "value-level store, the reader's own work left out",
        ]
    return "\n".join(lines)


def stored(scales: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """The stored figures of the scales that have been measured (--ingest-only stores none)."""
    return {s: json.loads((RESULTS / f"{s}.json").read_text())
            for s in scales if (RESULTS / f"{s}.json").exists()}


def plot(out: Path) -> Path | None:
    """Time against size for the stored scales with a full rebuild; None when there are none."""
    results = {s: r for s, r in stored(SCALES).items() if "full_s" in r}
    if not results:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [("full_s", "full rebuild (dukan nightly)"), ("ingest_s", "ingest"),
              ("floor_s", "python-calamine floor"), ("pandas_s", "pandas + openpyxl")]
    figure, axis = plt.subplots(figsize=(7, 4.2), dpi=110)
    for key, label in series:
        points = sorted((r["workbooks"], r[key]) for r in results.values() if key in r)
        if points:
            axis.plot(*zip(*points), marker="o", label=label)
    largest = max(r["workbooks"] for r in results.values())
    for scale, r in results.items():
        last = r["workbooks"] == largest  # its label goes left of the point, inside the axes
        axis.annotate(scale, (r["workbooks"], r["full_s"]), textcoords="offset points",
                      xytext=(-6, -4) if last else (4, 6), ha="right" if last else "left",
                      fontsize=8)
    axis.set_xlabel("workbooks loaded")
    axis.set_ylabel("seconds (2 cores)")
    axis.set_title("Time against size")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=(*SCALES, "all"), default="province")
    parser.add_argument("--no-pandas", action="store_true",
                        help="skip the pandas baseline (keep the figure stored before)")
    parser.add_argument("--plot", action="store_true", help="draw docs/images/scale.png")
    parser.add_argument("--rebuild-only", action="store_true",
                        help="only the floor, the full rebuild and a run with nothing new")
    parser.add_argument("--ingest-only", action="store_true",
                        help="only the floor and the ingest, with the store alone; not saved")
    parser.add_argument("--report", action="store_true",
                        help="print the stored results of the scales and measure nothing")
    args = parser.parse_args()

    scales = SCALES if args.scale == "all" else (args.scale,)
    if args.report:
        figures = stored(scales)
        if not figures:
            print(f"no stored results for {', '.join(scales)} in {RESULTS}: run without "
                  "--report first (--ingest-only stores none)")
    else:
        figures = {scale: measure(scale, not args.no_pandas and not args.ingest_only,
                                  args.rebuild_only, args.ingest_only)
                   for scale in scales}
    print()
    for scale, f in figures.items():
        print(report(scale, f))
    if args.plot:
        drawn = plot(ROOT / "docs" / "images" / "scale.png")
        print(f"plot: {drawn}" if drawn else "plot: nothing drawn, no stored full rebuild")


if __name__ == "__main__":
    main()
