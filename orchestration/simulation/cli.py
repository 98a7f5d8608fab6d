"""``main(argv)``: write the simulated submissions from the command line.

    --out DIR        where to write (default: the project's raw/submissions)
    --seed N         the seed of the monthly path and the faults (default 2020)
    --months A..B    a range or a comma list within 2020-02..2020-12 (default all)
    --messy          turn on the messy preset (late, missing, corrected files, faults)
    --clean          first remove the files an earlier run listed in the manifest
    --registry       also (re)write raw/reference/villages.csv from the plan

Every file written is simulated data and is listed in ``simulation_manifest.csv``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from orchestration.lib.paths import ProjectPaths

from .messy import MessyOptions
from .plan import load_plan
from .registry import build_registry, write_registry
from .trajectory import MONTHS
from .writer import MonthCount, remove_simulated, simulate


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    paths = ProjectPaths.from_env()
    out = Path(args.out) if args.out else paths.raw_dir / "submissions"
    try:
        months = parse_months(args.months)
    except ValueError as exc:
        print(f"--months: {exc}", file=sys.stderr)
        return 2

    if args.if_missing and (out / "simulation_manifest.csv").exists():
        print(f"simulated data already in {out}; nothing written (drop --if-missing to rewrite)")
        return 0
    if args.registry:
        target = paths.reference_dir / "villages.csv"
        write_registry(target, build_registry(load_plan(paths.reference_dir)))
        print(f"village registry written: {target}")
    if args.clean:
        print(f"removed {remove_simulated(out)} previously simulated files from {out}")

    result = simulate(out, seed=args.seed, months=months,
                      messy=MessyOptions.preset() if args.messy else None, progress=_progress)
    _summary(result)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dukan simulate",
                                     description="write simulated monthly submissions")
    parser.add_argument("--out", help="output folder (default: raw/submissions)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--months", default=f"{MONTHS[0]}..{MONTHS[-1]}")
    parser.add_argument("--messy", action="store_true", help="inject the faults of real files")
    parser.add_argument("--clean", action="store_true",
                        help="remove previously simulated files listed in the manifest first")
    parser.add_argument("--if-missing", action="store_true",
                        help="do nothing when the output folder already has simulated data")
    parser.add_argument("--registry", action="store_true",
                        help="also rewrite raw/reference/villages.csv")
    return parser


def parse_months(text: str) -> list[str]:
    """'2020-02..2020-12' (inclusive) or '2020-03,2020-05'."""
    if ".." in text:
        first, last = (part.strip() for part in text.split("..", 1))
        if first not in MONTHS or last not in MONTHS or first > last:
            raise ValueError(f"{text!r} is not a range within {MONTHS[0]}..{MONTHS[-1]}")
        return [m for m in MONTHS if first <= m <= last]

    months = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [m for m in months if m not in MONTHS]
    if unknown or not months:
        raise ValueError(f"not reporting months of 2020: {unknown or text!r}")
    return months


def _progress(period: str, count: MonthCount) -> None:
    extra = f", {count.missing} missing, {count.late} late, {count.resubmissions} corrected, " \
        f"{count.faults} faults" if count.missing or count.late or count.faults else ""
    print(f"{period}: {count.county_files} county files, {count.summaries} summaries{extra}",
          flush=True)


def _summary(result) -> None:
    files = len(result.files)
    print(f"simulated data: {files} files in {result.out_dir} "
          f"({result.seconds:.1f} s), manifest {result.manifest_path.name}")
    if result.faults:
        kinds = Counter(f.fault for f in result.faults)
        print("faults: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        print(f"unloadable files: {len(result.unloadable)}; missing county-months: "
              f"{len(result.missing)}")


if __name__ == "__main__":
    raise SystemExit(main())
