"""The messy knobs: how often delivery goes wrong and which faults the files carry.

Everything is off by default (a clean run). ``MessyOptions.preset()`` is what ``--messy``
turns on: every kind of fault at a modest rate. The choice of which county-month gets
which fault is deterministic for the seed; fault kinds are handed out in turn (from a
seeded order) rather than drawn independently, so a run of a few months already shows
every kind.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from .faults import CELL_FAULTS, FILE_FORMATS, LAYOUT_FAULTS, UNLOADABLE
from .rng import rng_for

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
DUE_DAY = 25


@dataclass(frozen=True)
class MessyOptions:
    """Rates are shares of county-months (summaries for ``summary_disagreement_rate``)."""

    late_rate: float = 0.0
    missing_rate: float = 0.0
    resubmission_rate: float = 0.0
    summary_disagreement_rate: float = 0.0
    cell_fault_rate: float = 0.0
    cell_faults_per_file: int = 2
    layout_fault_rate: float = 0.0
    csv_rate: float = 0.0
    unloadable_rate: float = 0.0
    cell_faults: tuple[str, ...] = CELL_FAULTS
    layout_faults: tuple[str, ...] = LAYOUT_FAULTS

    @classmethod
    def preset(cls) -> MessyOptions:
        """The ``--messy`` preset: all faults on, at rates a real province would see."""
        return cls(
            late_rate=0.06, missing_rate=0.02, resubmission_rate=0.04,
            summary_disagreement_rate=0.3, cell_fault_rate=0.15, cell_faults_per_file=2,
            layout_fault_rate=0.12, csv_rate=0.04, unloadable_rate=0.012,
        )

    @property
    def enabled(self) -> bool:
        rates = (self.late_rate, self.missing_rate, self.resubmission_rate,
                 self.summary_disagreement_rate, self.cell_fault_rate, self.layout_fault_rate,
                 self.csv_rate, self.unloadable_rate)
        return any(rate > 0 for rate in rates)


@dataclass(frozen=True)
class Delivery:
    """One file a county sends for a period: when, in what form, with what faults."""

    version: int
    received_at: datetime
    filled: date
    file_format: str = "xlsx"
    layout_faults: tuple[str, ...] = ()
    cell_faults: tuple[str, ...] = ()
    unloadable: str = ""
    typo: bool = False

    @property
    def late(self) -> bool:
        return self.received_at.day > DUE_DAY


@dataclass
class Planner:
    """Decides, county-month by county-month, what arrives (in a fixed order)."""

    seed: int
    options: MessyOptions
    _turns: dict[str, int] = field(default_factory=dict)
    _orders: dict[str, list[str]] = field(default_factory=dict)

    def deliveries(self, county_code: str, period: str, *, has_villages: bool = True
                   ) -> list[Delivery]:
        """The files of one county-month: none (missing), one, or a file and its 更正.

        Only counties with supervised villages export the long CSV: the CSV has no way to
        say "表2 has no rows", and the reader takes a table without lines as missing.
        """
        opts = self.options
        rng = rng_for(self.seed, "messy", period, county_code)
        if rng.random() < opts.missing_rate:
            return []

        received = receipt_time(rng, period, late=rng.random() < opts.late_rate)
        unloadable = self._next("unloadable", UNLOADABLE) if rng.random() < opts.unloadable_rate \
            else ""
        corrected = bool(unloadable) or rng.random() < opts.resubmission_rate
        exports = rng.random() < opts.csv_rate and has_villages and not unloadable
        file_format = self._next("format", FILE_FORMATS) if exports else "xlsx"
        # Faults inside a file only where the reader can open it to find them.
        readable_xlsx = file_format == "xlsx" and not unloadable
        layout = (self._next("layout", opts.layout_faults),) \
            if readable_xlsx and rng.random() < opts.layout_fault_rate else ()
        cells = tuple(self._next("cell", opts.cell_faults)
                      for _ in range(opts.cell_faults_per_file)) \
            if readable_xlsx and rng.random() < opts.cell_fault_rate else ()

        first = Delivery(1, received, filled_date(rng, received), file_format, layout, cells,
                         unloadable, typo=corrected and not unloadable)
        if not corrected:
            return [first]
        again = received + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
        return [first, Delivery(2, again, again.date())]

    def _next(self, kind: str, choices: tuple[str, ...]) -> str:
        if kind not in self._orders:
            order = list(choices)
            rng_for(self.seed, "order", kind).shuffle(order)
            self._orders[kind] = order
        turn = self._turns.get(kind, 0)
        self._turns[kind] = turn + 1
        return self._orders[kind][turn % len(choices)]


def receipt_time(rng: random.Random, period: str, *, late: bool) -> datetime:
    """When the office received a file: by the 25th of the reporting month, or after."""
    year, month = (int(p) for p in period.split("-"))
    last = calendar.monthrange(year, month)[1]
    day = rng.randint(DUE_DAY + 1, last) if late else rng.randint(16, DUE_DAY)
    return datetime(year, month, day, rng.randint(8, 19), rng.randint(0, 59), rng.randint(0, 59),
                    tzinfo=SHANGHAI)


def filled_date(rng: random.Random, received: datetime) -> date:
    """填报日期: the day it was received or up to two days earlier."""
    day = received.date() - timedelta(days=rng.randint(0, 2))
    return day if day.month == received.month else received.date().replace(day=1)


def on_time(seed: int, key: str, period: str) -> datetime:
    return receipt_time(rng_for(seed, "receipt", key, period), period, late=False)
