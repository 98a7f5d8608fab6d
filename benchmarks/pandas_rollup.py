"""The roll-up a user would write instead of the warehouse: pandas + openpyxl, one script.

Reads the four sheets of every workbook under a folder (the tier marts need all four: the
counties' people from 表1, the villages from 表2, the departments' figures from 表3 and
表4), sums each sheet's figures per prefecture and for the province, month by month, and
prints the totals. No archive, no checks, no findings, no versions, no report: the
baseline the warehouse's full rebuild is measured against.

    .venv/bin/python benchmarks/pandas_rollup.py DIR [DIR ...]

County workbooks are named ``<county code>_…xlsx`` (simulated and synthetic alike); the
prefecture is the code's first four digits followed by 00.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

HEADER_ROW = 2  # 0-based: title, info line, then the header of 表1


def read_workbook(path: Path) -> dict[str, float]:
    """Every numeric column of every sheet, summed over the sheet's rows (the footer's text
    rows fall out as not numbers)."""
    sheets = pd.read_excel(path, sheet_name=None, header=HEADER_ROW, engine="openpyxl")
    figures: dict[str, float] = {}
    for number, sheet in enumerate(sheets.values(), start=1):
        numbers = sheet.apply(pd.to_numeric, errors="coerce").dropna(axis=1, how="all")
        for column, total in numbers.sum().items():
            figures[f"表{number} {column}"] = float(total)
        figures[f"表{number} rows"] = float(len(numbers.dropna(how="all")))
    figures["county_code"] = path.name[:6]  # type: ignore[assignment]
    figures["month"] = path.parent.name  # type: ignore[assignment]
    return figures


def rollup(folders: list[Path]) -> tuple[pd.DataFrame, int]:
    files = sorted(
        p for folder in folders for p in folder.rglob("*.xlsx")
        if p.name[:6].isdigit() and "汇总" not in p.name
    )
    counties = pd.DataFrame([read_workbook(p) for p in files])
    counties["prefecture_code"] = counties["county_code"].str[:4] + "00"
    figures = [c for c in counties.columns if c not in ("county_code", "month", "prefecture_code")]
    prefectures = counties.groupby(["month", "prefecture_code"])[figures].sum()
    province = counties.groupby("month")[figures].sum()
    province["prefecture_code"] = "province"
    both = pd.concat([prefectures.reset_index(), province.reset_index()], ignore_index=True)
    return both, len(files)


def main(argv: list[str]) -> None:
    started = time.perf_counter()
    totals, files = rollup([Path(a) for a in argv])
    seconds = time.perf_counter() - started
    print(totals.to_string(max_rows=20))
    print(f"pandas + openpyxl: {files} workbooks in {seconds:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
