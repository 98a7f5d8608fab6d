"""``dukan report --month YYYY-MM [--out DIR]``: write the month's dispatch report.

Exit codes: 0 written, 2 no such month in the warehouse (or no warehouse yet).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestration.lib.paths import ProjectPaths
from orchestration.lib.warehouse import WarehouseNotBuilt

from .data import NoDataForMonth
from .dispatch import write_dispatch_report


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    paths = ProjectPaths.from_env()
    out_dir = args.out if args.out else paths.warehouse_dir / "reports"
    try:
        files = write_dispatch_report(paths, args.month, out_dir)
    except (NoDataForMonth, WarehouseNotBuilt) as error:
        print(f"dukan report: {error}", file=sys.stderr)
        return 2
    print(f"月调度报告 {files.month} written:")
    for path in files:
        print(f"  {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dukan report",
        description="write the monthly dispatch report (月调度报告): HTML page and workbook",
    )
    parser.add_argument("--month", required=True, help="reporting period YYYY-MM, e.g. 2020-06")
    parser.add_argument("--out", type=Path,
                        help="output folder (default: <warehouse_dir>/reports/)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
