"""Checks shared by the workbook and the CSV reader, run after the values are read."""

from __future__ import annotations

from .model import FindingLog

# village code → (sheet, cell, line) where it was written
VillageCells = dict[str, tuple[str, str, int | None]]


def check_village_prefix(villages: VillageCells, county_code: str | None, log: FindingLog) -> None:
    """A village code starts with its county's code; another county's village is suspect.

    Run once the whole file is read, because the county code may come from a later sheet.
    """
    if county_code is None:
        return

    for code, (sheet, cell, line) in villages.items():
        if code.startswith(county_code):
            continue

        log.add(
            "warning", "village_outside_county", sheet=sheet, cell=cell, line=line,
            table="t2", row_key=code,
            zh=f"村代码{code}不属于本县（{county_code}）",
            en=f"the village code {code} is not in this county ({county_code})",
            expected=f"{county_code}xxxxxx", found=code,
        )
