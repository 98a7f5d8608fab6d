"""The prefecture summary (市州汇总表): writing the simulated one.

Each prefecture compiles its counties' 表1 figures into one sheet ``汇总``: a merged title,
the 填报单位 / 行政区划代码 / 报告期 line, a one-row header (县（市、区）, 行政区划代码 and the
表1 labels of ``form.T1``), one row per county, and the footer. The warehouse compares it
with the counties' own submissions; a clean simulated summary equals them, a messy one
disagrees in recorded cells.

The reader is ``orchestration.submissions.prefecture_summary.read_prefecture_summary``
(re-exported here), since the intake reads real summaries too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from orchestration.submissions import form
from orchestration.submissions.prefecture_summary import (
    CODE_LABEL,
    NAME_LABEL,
    SHEET_NAME,
    TITLE,
    PrefectureSummary,
    SummaryRow,
    read_prefecture_summary,
)

from . import faults as F
from .content import SIMULATED_NOTE, Signatories, date_label
from .county_file import WrittenFile, sha256_hex
from .faults import InjectedFault
from .rng import rng_for
from .xlsxsave import save_workbook



# --- writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRowSpec:
    county_code: str
    county_name: str
    t1: dict[str, int]


@dataclass(frozen=True)
class SummarySpec:
    relative_path: str
    prefecture_code: str
    prefecture_name: str
    period: str
    rows: tuple[SummaryRowSpec, ...]
    people: Signatories
    filled: date
    stamp: datetime
    disagreements: int = 0
    seed: int = 2020


def write_prefecture_summary(spec: SummarySpec, out_dir: Path) -> WrittenFile:
    path = out_dir / spec.relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    ws = workbook.active
    ws.title = SHEET_NAME
    workbook.properties.creator = "模拟数据"
    workbook.properties.title = f"{spec.prefecture_name}{TITLE}（模拟数据）"

    labels = [NAME_LABEL, CODE_LABEL] + [i.label for i in form.T1.indicators]
    width = len(labels)
    ws.cell(1, 1, f"{spec.prefecture_name}{TITLE}（模拟数据）").font = Font(size=16, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    for col, text in ((1, f"填报单位：{spec.prefecture_name}"), (6, f"行政区划代码：{spec.prefecture_code}"),
                      (11, f"报告期：{_period_label(spec.period)}")):
        ws.cell(2, col, text)
    for col, label in enumerate(labels, start=1):
        ws.cell(3, col, label).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = 14

    for offset, row in enumerate(spec.rows):
        ws.cell(4 + offset, 1, row.county_name)
        ws.cell(4 + offset, 2, row.county_code)
        for col, indicator in enumerate(form.T1.indicators, start=3):
            ws.cell(4 + offset, col, row.t1[indicator.id])

    found = _disagree(ws, spec)
    footer = 4 + len(spec.rows) + 1
    for col, text in ((1, f"填报人：{spec.people.filer}"), (3, f"联系电话：{spec.people.phone}"),
                      (5, f"审核人：{spec.people.reviewer}"),
                      (7, f"填报日期：{date_label(spec.filled)}")):
        ws.cell(footer, col, text)
    ws.cell(footer + 1, 1, SIMULATED_NOTE)

    data = save_workbook(workbook, path, stamp=spec.stamp)
    return WrittenFile(spec.relative_path, sha256_hex(data), tuple(found))


def _period_label(period: str) -> str:
    year, month = period.split("-")
    return f"{int(year)}年{int(month)}月"


def _disagree(ws, spec: SummarySpec) -> list[InjectedFault]:
    """The prefecture typed some counties' figures differently from what they reported:
    a slip of a few persons or a figure left over from last month."""
    rng: random.Random = rng_for(spec.seed, "summary", spec.relative_path)
    found = []
    cells = [(r, c) for r in range(len(spec.rows)) for c in range(len(form.T1.indicators))]
    for r, c in rng.sample(cells, min(spec.disagreements, len(cells))):
        indicator = form.T1.indicators[c]
        true = spec.rows[r].t1[indicator.id]
        wrong = true + rng.choice((1, 2, 10, -1, -10)) if true >= 10 else true + rng.randint(1, 3)
        ref = f"{get_column_letter(c + 3)}{4 + r}"
        ws[ref] = wrong
        found.append(F.tolerated(spec.relative_path, "summary_disagrees", Decimal(wrong),
                                 sheet=SHEET_NAME, cell=ref, table="t1",
                                 row_key=spec.rows[r].county_code, indicator=indicator.id,
                                 written=str(wrong)))
    return found

__all__ = ["PrefectureSummary", "SummaryRow", "read_prefecture_summary", "write_prefecture_summary"]
