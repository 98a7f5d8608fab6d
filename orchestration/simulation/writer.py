"""``simulate``: the simulated monthly submissions of a year, written as files.

For each reporting month the 75 county workbooks go to ``out_dir/<YYYY-MM>/`` (names like
``621223_宕昌县_2020-03.xlsx``; a correction adds ``_更正``) and the prefecture summaries to
``out_dir/<YYYY-MM>/summaries/`` (a subfolder, so a reader of county files does not take
them for county files). ``out_dir/simulation_manifest.csv`` lists every file written with
its hash, kind, county, prefecture, period, version, scenario, seed and receipt time: the
warehouse marks every row from a listed file as simulated. Each file's modification time is
its simulated receipt time.

Nothing here is real data: titles, footers and document properties of every file say so.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .baseline import Baseline, build_baseline
from .content import form_values, signatories
from .county_file import CountyFileSpec, WrittenFile, write_county_file
from .faults import InjectedFault
from .messy import Delivery, MessyOptions, Planner, on_time
from .plan import Plan, load_plan
from .registry import Village, build_registry
from .rng import rng_for
from .summary import SummaryRowSpec, SummarySpec, write_prefecture_summary
from .trajectory import MONTHS, CountyMonth, simulate_states

MANIFEST_NAME = "simulation_manifest.csv"
MANIFEST_COLUMNS = (
    "file_name", "relative_path", "sha256", "kind", "county_code", "prefecture_code", "period",
    "version", "scenario", "seed", "received_at",
)
SUMMARY_FOLDER = "summaries"
SERIAL_BELOW = 24  # fewer files than this are not worth starting worker processes for


@dataclass(frozen=True)
class World:
    """The simulated world of one seed: the plan, the villages, the baseline, the months."""

    plan: Plan
    villages: tuple[Village, ...]
    baseline: Baseline
    states: dict[tuple[str, str], CountyMonth]
    seed: int


def build_world(seed: int = 2020, reference_dir: Path | None = None) -> World:
    plan = load_plan(reference_dir)
    villages = build_registry(plan)
    baseline = build_baseline(plan, villages)
    return World(plan, villages, baseline, simulate_states(baseline, seed), seed)


@dataclass(frozen=True)
class ManifestRow:
    file_name: str
    relative_path: str
    sha256: str
    kind: str  # county | prefecture_summary
    county_code: str
    prefecture_code: str
    period: str
    version: int
    scenario: str
    seed: int
    received_at: str

    def as_csv(self) -> list[str]:
        return [str(getattr(self, name)) for name in MANIFEST_COLUMNS]


@dataclass
class MonthCount:
    county_files: int = 0
    summaries: int = 0
    missing: int = 0
    late: int = 0
    resubmissions: int = 0
    faults: int = 0


@dataclass(frozen=True)
class SimulationResult:
    out_dir: Path
    manifest_path: Path
    files: tuple[ManifestRow, ...]
    per_month: dict[str, MonthCount]
    faults: tuple[InjectedFault, ...]
    missing: tuple[tuple[str, str], ...]  # (county_code, period) with no file
    seconds: float
    world: World = field(repr=False)

    @property
    def unloadable(self) -> tuple[InjectedFault, ...]:
        return tuple(f for f in self.faults if f.unloadable)


def simulate(
    out_dir: Path,
    *,
    seed: int = 2020,
    months: Sequence[str] | None = None,
    messy: MessyOptions | None = None,
    workers: int | None = None,
    progress: Callable[[str, MonthCount], None] | None = None,
) -> SimulationResult:
    """Write the simulated submissions of ``months`` (default 2020-02 … 2020-12)."""
    started = time.perf_counter()
    chosen = _months(months)
    options = messy or MessyOptions()
    scenario = "messy" if options.enabled else "clean"
    world = build_world(seed)
    out_dir.mkdir(parents=True, exist_ok=True)

    planner = Planner(seed, options)
    rows: list[ManifestRow] = []
    faults: list[InjectedFault] = []
    missing: list[tuple[str, str]] = []
    per_month: dict[str, MonthCount] = {}
    with _pool(workers) as pool:
        for period in chosen:
            jobs, meta, gone = _month_jobs(world, planner, period, options)
            written = _run(pool, jobs, out_dir)
            count = MonthCount(missing=len(gone))
            for result, facts in zip(written, meta, strict=True):
                kind, county, prefecture, version, received = facts
                _touch(out_dir / result.relative_path, received)
                rows.append(_manifest_row(result, kind, county, prefecture, period, version,
                                          scenario, seed, received))
                faults.extend(result.faults)
                _count(count, kind, version, received, result)
            missing.extend((code, period) for code in gone)
            per_month[period] = count
            if progress:
                progress(period, count)

    manifest = write_manifest(out_dir, rows)
    return SimulationResult(out_dir, manifest, tuple(rows), per_month, tuple(faults),
                            tuple(missing), time.perf_counter() - started, world)


def _months(months: Sequence[str] | None) -> list[str]:
    chosen = list(months) if months is not None else list(MONTHS)
    unknown = [m for m in chosen if m not in MONTHS]
    if unknown:
        raise ValueError(f"months outside 2020-02 … 2020-12: {unknown}")
    return chosen


_Meta = tuple[str, str, str, int, datetime]  # kind, county, prefecture, version, received


def _month_jobs(
    world: World, planner: Planner, period: str, options: MessyOptions
) -> tuple[list[CountyFileSpec | SummarySpec], list[_Meta], list[str]]:
    jobs: list[CountyFileSpec | SummarySpec] = []
    meta: list[_Meta] = []
    gone: list[str] = []
    for county in world.plan.counties:
        has_villages = bool(world.baseline.villages_of(county.code))
        deliveries = planner.deliveries(county.code, period, has_villages=has_villages)
        if not deliveries:
            gone.append(county.code)
        for delivery in deliveries:
            jobs.append(_county_spec(world, county.code, period, delivery))
            meta.append(("county", county.code, county.prefecture_code, delivery.version,
                         delivery.received_at))

    for prefecture in world.plan.prefectures:
        spec, received = _summary_spec(world, prefecture.code, period, options)
        jobs.append(spec)
        meta.append(("prefecture_summary", "", prefecture.code, 1, received))
    return jobs, meta, gone


def _county_spec(world: World, code: str, period: str, delivery: Delivery) -> CountyFileSpec:
    county = world.plan.county(code)
    villages = world.baseline.villages_of(code)
    suffix = ".csv" if delivery.file_format.startswith("csv") else ".xlsx"
    if delivery.unloadable == "xls_extension":
        suffix = ".xls"  # an .xlsx saved under the old extension: refused by its name
    correction = "_更正" if delivery.version > 1 else ""
    return CountyFileSpec(
        relative_path=f"{period}/{code}_{county.name}_{period}{correction}{suffix}",
        county_code=code,
        county_name=county.name,
        period=period,
        villages=villages,
        values=form_values(world.states[(code, period)], villages),
        people=signatories(code, county.prefecture_code),
        filled=delivery.filled,
        stamp=_utc(delivery.received_at),
        attribution_simulated=world.baseline.county(code).attribution_simulated,
        file_format=delivery.file_format,
        layout_faults=delivery.layout_faults,
        cell_faults=delivery.cell_faults,
        unloadable=delivery.unloadable,
        other_county_code=_neighbour(world, code),
        typo=delivery.typo,
        seed=world.seed,
    )


def _neighbour(world: World, code: str) -> str:
    codes = [c.code for c in world.plan.counties]
    return codes[(codes.index(code) + 1) % len(codes)]


def _summary_spec(
    world: World, prefecture: str, period: str, options: MessyOptions
) -> tuple[SummarySpec, datetime]:
    """The prefecture's compilation of its counties' 表1, from the counties' true figures."""
    info = world.plan.prefecture(prefecture)
    counties = [c for c in world.plan.counties if c.prefecture_code == prefecture]
    rows = tuple(SummaryRowSpec(c.code, c.name, world.states[(c.code, period)].t1)
                 for c in counties)
    received = on_time(world.seed, prefecture, period)
    rng_share = _share(world.seed, prefecture, period)
    disagreements = 1 if rng_share < options.summary_disagreement_rate else 0
    spec = SummarySpec(
        relative_path=f"{period}/{SUMMARY_FOLDER}/{prefecture}_{info.name}_汇总_{period}.xlsx",
        prefecture_code=prefecture,
        prefecture_name=info.name,
        period=period,
        rows=rows,
        people=signatories(prefecture, prefecture),
        filled=received.date(),
        stamp=_utc(received),
        disagreements=disagreements,
        seed=world.seed,
    )
    return spec, received


def _share(seed: int, prefecture: str, period: str) -> float:
    return rng_for(seed, "summary_disagrees", prefecture, period).random()


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


# --- running the jobs --------------------------------------------------------------------


class _Serial:
    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _pool(workers: int | None) -> ProcessPoolExecutor | _Serial:
    count = workers if workers is not None else min(4, os.cpu_count() or 1)
    return ProcessPoolExecutor(max_workers=count) if count > 1 else _Serial()


def _write(job: CountyFileSpec | SummarySpec, out_dir: Path) -> WrittenFile:
    if isinstance(job, SummarySpec):
        return write_prefecture_summary(job, out_dir)
    return write_county_file(job, out_dir)


def _run(pool: ProcessPoolExecutor | _Serial, jobs: list, out_dir: Path) -> list[WrittenFile]:
    if isinstance(pool, _Serial) or len(jobs) < SERIAL_BELOW:
        return [_write(job, out_dir) for job in jobs]
    return list(pool.map(_write, jobs, [out_dir] * len(jobs), chunksize=8))


def _touch(path: Path, received: datetime) -> None:
    stamp = received.timestamp()
    os.utime(path, (stamp, stamp))


def _count(count: MonthCount, kind: str, version: int, received: datetime,
           result: WrittenFile) -> None:
    if kind == "prefecture_summary":
        count.summaries += 1
    else:
        count.county_files += 1
        count.late += received.day > 25
        count.resubmissions += version > 1
    count.faults += len(result.faults)


# --- the manifest -------------------------------------------------------------------------


def _manifest_row(result: WrittenFile, kind: str, county: str, prefecture: str, period: str,
                  version: int, scenario: str, seed: int, received: datetime) -> ManifestRow:
    return ManifestRow(
        file_name=result.relative_path.rsplit("/", 1)[-1],
        relative_path=result.relative_path,
        sha256=result.sha256,
        kind=kind,
        county_code=county,
        prefecture_code=prefecture,
        period=period,
        version=version,
        scenario=scenario,
        seed=seed,
        received_at=received.isoformat(),
    )


def read_manifest(out_dir: Path) -> list[dict[str, str]]:
    path = out_dir / MANIFEST_NAME
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_manifest(out_dir: Path, rows: list[ManifestRow]) -> Path:
    """Write the manifest, keeping every earlier run's rows, so no simulated file ever loses
    its mark: the warehouse marks rows by the file's digest, and a file renamed or moved in
    the drop zone, or rewritten with other bytes, may already be archived and loaded under
    the digest an earlier row gives. Only ``--clean`` (``remove_simulated``) forgets them."""
    new_rows = {(row.relative_path, row.sha256) for row in rows}
    kept = [r for r in read_manifest(out_dir)
            if (r["relative_path"], r["sha256"]) not in new_rows]
    lines = [[r[name] for name in MANIFEST_COLUMNS] for r in kept] + [r.as_csv() for r in rows]
    lines.sort(key=lambda line: (line[6], line[3] != "county", line[1]))

    path = out_dir / MANIFEST_NAME
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(lines)
    return path


def remove_simulated(out_dir: Path) -> int:
    """Delete the files an earlier run listed in the manifest, then the manifest; other
    files (real submissions) are never touched. Returns the number of files removed."""
    removed = 0
    for row in read_manifest(out_dir):
        path = out_dir / row["relative_path"]
        if path.is_file():
            path.unlink()
            removed += 1
        for folder in (path.parent, path.parent.parent):
            if folder != out_dir and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
    return removed
