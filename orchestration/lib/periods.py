"""Reporting months as the warehouse writes them: 'YYYY-MM' text."""

from __future__ import annotations

import re

# The name of a month's drop folder, raw/submissions/YYYY-MM/.
MONTH_FOLDER = re.compile(r"\d{4}-\d{2}")
# A reporting month as a command or a build is given it (fullmatch): January to December.
REPORTING_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def require_reporting_month(text: str) -> str:
    """`text` if it is a reporting month; a month often names a folder or goes into SQL."""
    if not REPORTING_MONTH.fullmatch(text):
        raise ValueError(f"月份格式应为 YYYY-MM: {text!r} is not a reporting month")
    return text


def shift_month(period: str, months: int) -> str:
    """`period` moved by `months` (negative for earlier): shift_month('2020-12', 1) is
    '2021-01'."""
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
