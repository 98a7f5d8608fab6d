"""Reporting months as the warehouse writes them: 'YYYY-MM' text."""

from __future__ import annotations


def shift_month(period: str, months: int) -> str:
    """`period` moved by `months` (negative for earlier): shift_month('2020-12', 1) is
    '2021-01'."""
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
