"""The roll-up a user would write instead of the warehouse: pandas + openpyxl, one script.

Reads sheet 表1 of every workbook under a folder, sums its figures per prefecture and for
the province, month by month, and prints the totals. No archive, no checks, no findings,
no versions, no report: the baseline the warehouse's full rebuild is measured against.

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


def read_table1(path: Path) -> pd.DataFrame:
    sheet = pd.read_excel(path, sheet_name=0, header=HEADER_ROW, nrows=1, engine="openpyxl")
    numbers = sheet.apply(pd.to_numeric, errors="coerce").dropna(axis=1, how="all")
    numbers["county_code"] = path.name[:6]
    numbers["month"] = path.parent.name
    return numbers


def rollup(folders: list[Path]) -> tuple[pd.DataFrame, int]:
    files = sorted(
        p for folder in folders for p in folder.rglob("*.xlsx")
        if p.name[:6].isdigit() and "汇总" not in p.name
    )
    counties = pd.concat([read_table1(p) for p in files], ignore_index=True)
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
