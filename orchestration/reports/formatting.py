"""Numbers and labels as officials read them: 1,234 人, 17.5万人, 36.7%, 按时/逾期/更正/未报送."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MISSING_TEXT = "—"


@dataclass(frozen=True)
class Status:
    """One timeliness status: its id in the warehouse, its Chinese label, its colour."""

    id: str
    label_zh: str
    short_zh: str
    color: str
    text_color: str


# Ordered from best to worst; the colours are told apart without colour vision too,
# because every cell also carries its one-character label.
STATUSES: tuple[Status, ...] = (
    Status("on_time", "按时报送", "按", "#3a9d5d", "#ffffff"),
    Status("corrected", "更正重报", "更", "#4a78c2", "#ffffff"),
    Status("late", "逾期报送", "迟", "#f0a22e", "#1d1d1d"),
    Status("held", "报表暂扣", "扣", "#8e5bb5", "#ffffff"),
    Status("missing", "未报送", "缺", "#c9362f", "#ffffff"),
)
STATUS_BY_ID = {status.id: status for status in STATUSES}


def persons(value: object) -> str:
    """Whole persons with thousands separators: 12,345 人."""
    return MISSING_TEXT if value is None else f"{int(value):,} 人"


def count(value: object, unit: str = "") -> str:
    """A count with thousands separators and an optional unit (个, 村, 县)."""
    if value is None:
        return MISSING_TEXT
    return f"{int(value):,} {unit}".rstrip()


def wan(value: object, digits: int = 2) -> str:
    """A figure already in 万 (the plan's unit), trailing zeros dropped: 552万人, 17.5万人."""
    if value is None:
        return MISSING_TEXT
    text = f"{Decimal(str(value)):,.{digits}f}".rstrip("0").rstrip(".")
    return f"{text}万人"


def persons_as_wan(value: object) -> str:
    """Whole persons shown in 万人 where the plan speaks in 万: 100,456 → 10.05万人."""
    return MISSING_TEXT if value is None else wan(Decimal(int(value)) / 10000)


def percent(value: object) -> str:
    return MISSING_TEXT if value is None else f"{float(value):.1f}%"


def signed(value: object) -> str:
    """A change with its sign, for month-on-month deltas: +1,204 / −3,500 / 0."""
    if value is None:
        return MISSING_TEXT
    number = int(value)
    if number == 0:
        return "0"
    return f"+{number:,}" if number > 0 else f"−{-number:,}"


def yes_no(value: object) -> str:
    if value is None:
        return MISSING_TEXT
    return "是 yes" if value else "否 no"
