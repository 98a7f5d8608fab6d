"""Reporting months as the warehouse writes them: 'YYYY-MM' text."""

from __future__ import annotations

import re

# The name of a month's drop folder, raw/submissions/YYYY-MM/.
MONTH_FOLDER = re.compile(r"\d{4}-\d{2}")


def shift_month(period: str, months: int) -> str:
    """`period` moved by `months` (negative for earlier): shift_month('2020-12', 1) is
    '2021-01'."""
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
