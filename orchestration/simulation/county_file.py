"""Writing one county's monthly report: the form's workbook, or the long CSV.

The workbook is laid out by the submission template (``orchestration.submissions.template``)
so the simulated files look exactly like the blank form the counties receive; values, the
footer and a note saying the data are simulated are then filled in. In a messy run the
layout and single cells are then changed the way clerks change them (see ``faults``);
every change is returned as an ``InjectedFault`` with the cell it is in.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from orchestration.submissions import template
from orchestration.submissions.form import FORM_TITLE, SOURCES, TABLES, Kind, Table
from orchestration.submissions.longcsv import HEADER as CSV_HEADER

from . import faults as F
from .baseline import ATTRIBUTION_NOTE
from .content import (
    SIMULATED_NOTE, FormKey, FormValue, Signatories, cell_value, date_label, text_value,
)
from .faults import InjectedFault
from .registry import Village
from .rng import rng_for
from .xlsxsave import CachedValues, save_workbook

CSV_ENCODINGS = {"csv_utf8": "utf-8", "csv_utf8_bom": "utf-8-sig", "csv_gb18030": "gb18030"}
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class CountyFileSpec:
    """Everything needed to write one file; plain data so it can go to a worker process."""

    relative_path: str
    county_code: str
    county_name: str
    period: str  # the period the file is delivered for
    villages: tuple[Village, ...]
    values: dict[FormKey, FormValue]
    people: Signatories
    filled: date
    stamp: datetime  # UTC, for the workbook's document properties
    attribution_simulated: bool = False
    file_format: str = "xlsx"  # xlsx, csv_utf8, csv_utf8_bom, csv_gb18030
    layout_faults: tuple[str, ...] = ()
    cell_faults: tuple[str, ...] = ()
    unloadable: str = ""  # truncated_file, xls_extension
    other_county_code: str = ""  # for inconsistent_county
    typo: bool = False
    seed: int = 2020


@dataclass(frozen=True)
class WrittenFile:
    relative_path: str
    sha256: str
    faults: tuple[InjectedFault, ...] = ()


def write_county_file(spec: CountyFileSpec, out_dir: Path) -> WrittenFile:
    path = out_dir / spec.relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    values, found = _with_typo(spec)

    if spec.file_format in CSV_ENCODINGS:
        data = _long_csv(spec, values).encode(CSV_ENCODINGS[spec.file_format])
        path.write_bytes(data)
        found.append(F.tolerated(spec.relative_path, spec.file_format, None,
                                 written=CSV_ENCODINGS[spec.file_format]))
        return WrittenFile(spec.relative_path, sha256_hex(data), tuple(found))

    workbook, sheets = _workbook(spec, values)
    rng = rng_for(spec.seed, "cells", spec.relative_path)
    for fault in spec.layout_faults:
        found.extend(_layout_fault(fault, sheets, spec, rng))
    cached: CachedValues = {}
    taken: set[tuple[str, str]] = set()
    for fault in spec.cell_faults:
        found.extend(_cell_fault(fault, sheets, spec, values, rng, cached, taken))

    data = save_workbook(workbook, path, stamp=spec.stamp, cached=cached)
    if spec.unloadable:
        data = _unloadable(spec, path, data, found)
    return WrittenFile(spec.relative_path, sha256_hex(data), tuple(found))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _with_typo(spec: CountyFileSpec) -> tuple[dict[FormKey, FormValue], list[InjectedFault]]:
    """A file later corrected by a resubmission carries one mistyped figure (the reason for
    the 更正): the unlifted people with two digits swapped or one dropped."""
    if not spec.typo:
        return spec.values, []

    key = ("t1", "", "unlifted_persons")
    true = int(spec.values[key])  # type: ignore[arg-type]
    text = str(true)
    wrong = int(text[1] + text[0] + text[2:]) if len(text) > 1 and text[0] != text[1] \
        else true + 10
    values = dict(spec.values)
    values[key] = Decimal(wrong)
    fault = F.tolerated(spec.relative_path, "typo", Decimal(wrong), table="t1",
                        indicator="unlifted_persons", written=str(wrong))
    return values, [fault]


# --- the workbook ------------------------------------------------------------------------


@dataclass
class SheetLayout:
    """Where a table's parts are in its sheet; kept up to date by the layout faults."""

    table: Table
    ws: Worksheet
    columns: dict[str, int]
    header_top: int
    header_bottom: int
    rows: dict[str, int]  # row key ('' in one-row tables) → sheet row
    footer: int
    has_total: bool = False
    extra: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.ws.title

    def ref(self, row_key: str, indicator: str) -> str:
        return f"{get_column_letter(self.columns[indicator])}{self.rows[row_key]}"


def _workbook(
    spec: CountyFileSpec, values: dict[FormKey, FormValue]
) -> tuple[Workbook, dict[str, SheetLayout]]:
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.creator = "模拟数据"
    workbook.properties.title = f"{spec.county_name}{FORM_TITLE}（模拟数据）"
    workbook.properties.description = "Simulated data: not a real county submission."

    prefilled = [template.TemplateVillage(v.village_code, v.township, v.village_name)
                 for v in spec.villages]
    sheets = {}
    for tbl in TABLES:
        ws = workbook.create_sheet(tbl.sheet_name)
        _template_sheet(ws, tbl, spec, prefilled)
        layout = _locate(ws, tbl, spec.villages)
        _fill(layout, values)
        _title_and_footer(layout, spec)
        sheets[tbl.id] = layout
    return workbook, sheets


def _template_sheet(ws: Worksheet, tbl: Table, spec: CountyFileSpec,
                    villages: list[template.TemplateVillage]) -> None:
    """One sheet exactly as ``write_template`` lays it out.

    ``write_template`` only saves to a path, and reopening 825 saved templates would double
    the run time; its per-sheet layout function is used on the workbook in memory instead.
    """
    template.write_template_sheet(
        ws, tbl, county_code=spec.county_code, county_name=spec.county_name,
        period=spec.period, villages=villages,
    )


def _locate(ws: Worksheet, tbl: Table, villages: tuple[Village, ...]) -> SheetLayout:
    two_rows = any(i.group for i in tbl.indicators)
    bottom = template.HEADER_ROW + (1 if two_rows else 0)
    columns = {i.id: col for col, i in enumerate(tbl.indicators, start=1)}
    if tbl.key == "village_code":
        keys = [v.village_code for v in villages]
    elif tbl.key == "source":
        keys = list(SOURCES)
    else:
        keys = [""]
    rows = {key: bottom + 1 + offset for offset, key in enumerate(keys)}
    footer = bottom + 1 + len(keys) + 1
    if ws.cell(footer, 1).value != "填报人：":
        raise RuntimeError(f"the template layout changed: no footer at {ws.title}!A{footer}")
    return SheetLayout(tbl, ws, columns, template.HEADER_ROW, bottom, rows, footer)


def _fill(layout: SheetLayout, values: dict[FormKey, FormValue]) -> None:
    for row_key, row in layout.rows.items():
        for indicator in layout.table.value_indicators:
            value = values[(layout.table.id, row_key, indicator.id)]
            layout.ws.cell(row, layout.columns[indicator.id], cell_value(value))


def _title_and_footer(layout: SheetLayout, spec: CountyFileSpec) -> None:
    """Say on every sheet that the data are simulated, and sign the footer."""
    ws = layout.ws
    suffix = "（模拟数据；基期人数归属系模拟，见表尾注）" if spec.attribution_simulated else "（模拟数据）"
    ws.cell(template.TITLE_ROW, 1, f"{spec.county_name}{FORM_TITLE}{suffix}")

    for col, text in ((2, spec.people.filer), (4, spec.people.phone), (6, spec.people.reviewer),
                      (8, date_label(spec.filled))):
        ws.cell(layout.footer, col, text)
    note = SIMULATED_NOTE + (ATTRIBUTION_NOTE if spec.attribution_simulated else "")
    ws.cell(layout.footer + 1, 1, note)


# --- layout faults ----------------------------------------------------------------------


def _layout_fault(fault: str, sheets: dict[str, SheetLayout], spec: CountyFileSpec,
                  rng: random.Random) -> list[InjectedFault]:
    path = spec.relative_path
    if fault == "one_row_header":
        return _one_row_header(sheets[rng.choice(("t1", "t3"))], path)
    if fault == "column_order":
        return _swap_columns(sheets["t1"], "return_risk_persons", "marginal_risk_persons", path)
    if fault == "extra_column":
        return _extra_column(sheets["t1"], path)
    if fault == "total_row_t2" and sheets["t2"].rows:
        return _total_row(sheets["t2"], path, wrong=False)
    if fault in ("total_row_t2", "total_row_t4"):
        return _total_row(sheets["t4"], path, wrong=False)
    if fault == "total_row_wrong":
        return _total_row(sheets["t4"], path, wrong=True)
    if fault == "wrong_period":
        return _wrong_period(sheets, spec)
    if fault == "inconsistent_county":
        return _other_county(sheets["t3"], spec)
    raise ValueError(f"unknown layout fault {fault}")


def _one_row_header(layout: SheetLayout, path: str) -> list[InjectedFault]:
    """A clerk retyped the header as one row: no group cells, no merges, no validation."""
    ws = layout.ws
    for merged in [m for m in ws.merged_cells.ranges if m.min_row >= layout.header_top]:
        ws.unmerge_cells(str(merged))
    for indicator_id, col in layout.columns.items():
        label = layout.table.indicator(indicator_id).label  # type: ignore[union-attr]
        ws.cell(layout.header_top, col, label)
    ws.delete_rows(layout.header_bottom)
    ws.data_validations.dataValidation = []
    ws.freeze_panes = None

    layout.header_bottom = layout.header_top
    layout.rows = {key: row - 1 for key, row in layout.rows.items()}
    layout.footer -= 1
    return [F.tolerated(path, "one_row_header", None, sheet=layout.name, table=layout.table.id,
                        cell=f"A{layout.header_top}")]


def _swap_columns(layout: SheetLayout, first: str, second: str, path: str) -> list[InjectedFault]:
    ws = layout.ws
    a, b = layout.columns[first], layout.columns[second]
    for row in [layout.header_bottom, *layout.rows.values()]:
        left, right = ws.cell(row, a).value, ws.cell(row, b).value
        ws.cell(row, a, right)
        ws.cell(row, b, left)
    layout.columns[first], layout.columns[second] = b, a
    return [F.tolerated(path, "column_order", None, sheet=layout.name, table=layout.table.id,
                        cell=f"{get_column_letter(a)}{layout.header_bottom}")]


def _extra_column(layout: SheetLayout, path: str) -> list[InjectedFault]:
    ws = layout.ws
    col = max(layout.columns.values()) + 1
    ws.cell(layout.header_bottom, col, "备注")
    for row in layout.rows.values():
        ws.cell(row, col, "模拟")
    layout.extra.append(col)
    return [F.reported(path, "extra_column", sheet=layout.name, table=layout.table.id,
                       cell=f"{get_column_letter(col)}{layout.header_bottom}", written="备注")]


def _total_row(layout: SheetLayout, path: str, *, wrong: bool) -> list[InjectedFault]:
    """A 合计 row in the blank row between the data and the footer."""
    ws = layout.ws
    row = layout.footer - 1
    ws.cell(row, 1, "合计")
    where = ""
    for indicator in layout.table.value_indicators:
        if indicator.kind not in (Kind.COUNT, Kind.DECIMAL):
            continue
        col = layout.columns[indicator.id]
        total = sum(Decimal(str(ws.cell(r, col).value)) for r in layout.rows.values())
        if wrong and not where:
            total += 1
            where = f"{get_column_letter(col)}{row}"
        ws.cell(row, col, int(total) if indicator.kind is Kind.COUNT else total)
    layout.has_total = True

    if wrong:
        return [F.reported(path, "total_row_wrong", sheet=layout.name, table=layout.table.id,
                           cell=where)]
    fault = "total_row_t2" if layout.table.id == "t2" else "total_row_t4"
    return [F.tolerated(path, fault, None, sheet=layout.name, table=layout.table.id,
                        cell=f"A{row}")]


def _info_cell(layout: SheetLayout, label: str) -> tuple[int, int]:
    for col in range(1, layout.ws.max_column + 1):
        value = layout.ws.cell(template.INFO_ROW, col).value
        if isinstance(value, str) and value.startswith(label):
            return template.INFO_ROW, col
    raise RuntimeError(f"no {label} on {layout.name}")


def _wrong_period(sheets: dict[str, SheetLayout], spec: CountyFileSpec) -> list[InjectedFault]:
    """The clerk copied last month's workbook and left its 报告期 on every sheet."""
    year, month = (int(p) for p in spec.period.split("-"))
    previous = f"{year}-{month - 1:02d}" if month > 1 else f"{year - 1}-12"
    for layout in sheets.values():
        row, col = _info_cell(layout, "报告期")
        layout.ws.cell(row, col, f"报告期：{template.period_label(previous)}")
    row, col = _info_cell(sheets["t1"], "报告期")
    return [F.reported(spec.relative_path, "wrong_period", sheet=sheets["t1"].name,
                       cell=f"{get_column_letter(col)}{row}", written=previous)]


def _other_county(layout: SheetLayout, spec: CountyFileSpec) -> list[InjectedFault]:
    """One sheet pasted from a neighbouring county's workbook keeps that county's code."""
    row, col = _info_cell(layout, "行政区划代码")
    layout.ws.cell(row, col, f"行政区划代码：{spec.other_county_code}")
    return [F.reported(spec.relative_path, "inconsistent_county", sheet=layout.name,
                       cell=f"{get_column_letter(col)}{row}", written=spec.other_county_code)]


# --- cell faults --------------------------------------------------------------------------


def _cell_fault(
    fault: str,
    sheets: dict[str, SheetLayout],
    spec: CountyFileSpec,
    values: dict[FormKey, FormValue],
    rng: random.Random,
    cached: CachedValues,
    taken: set[tuple[str, str]],
) -> list[InjectedFault]:
    """Rewrite one cell the way the fault writes it; fall back to a plain number stored as
    text when the file has no cell the fault fits (e.g. 无 needs a zero)."""
    if fault in ("formula_cached", "formula_uncached"):
        return _formula(fault, sheets["t1"], spec, values, cached, taken)

    candidates = [c for c in _candidates(fault, sheets, values) if (c[0].name, c[1]) not in taken]
    if not candidates:
        if fault == "number_as_text":
            return []
        return _cell_fault("number_as_text", sheets, spec, values, rng, cached, taken)

    layout, ref, key = rng.choice(candidates)
    taken.add((layout.name, ref))
    value = values[key]
    written, expected = _written(fault, value, rng)
    layout.ws[ref].value = written
    where = dict(sheet=layout.name, cell=ref, table=key[0], row_key=key[1], indicator=key[2],
                 written=str(written))
    if fault in F.EXPECTED_FINDINGS:
        return [F.reported(spec.relative_path, fault, **where)]
    return [F.tolerated(spec.relative_path, fault, expected, **where)]


def _candidates(fault: str, sheets: dict[str, SheetLayout],
                values: dict[FormKey, FormValue]) -> list[tuple[SheetLayout, str, FormKey]]:
    out = []
    for layout in sheets.values():
        if layout.has_total:  # a blank or an error there would also upset the 合计 check
            continue
        for row_key in layout.rows:
            for indicator in layout.table.value_indicators:
                key = (layout.table.id, row_key, indicator.id)
                if _fits(fault, indicator.kind, values[key]):
                    out.append((layout, layout.ref(row_key, indicator.id), key))
    return out


def _fits(fault: str, kind: Kind, value: FormValue) -> bool:
    if fault == "check_marks":
        return kind is Kind.YES_NO and value is not None
    if fault == "percent_sign":
        return kind is Kind.PERCENT
    if kind is not Kind.COUNT or not isinstance(value, Decimal):
        return False
    if fault == "zero_as_wu":
        return value == 0
    if fault == "thousands_separator":
        return value >= 1000
    return True


def _written(fault: str, value: FormValue, rng: random.Random) -> tuple[object, FormValue]:
    """(what the cell now holds, what the reader should take from it)."""
    simple: dict[str, tuple[object, FormValue]] = {
        "blank": (None, None), "em_dash": ("—", None), "hyphen": ("-", None),
        "slash": ("/", None), "zero_as_wu": ("无", Decimal(0)),
        "text_in_number": (rng.choice(("待核实", "见附件", "约30")), None),
    }
    if fault in simple:
        return simple[fault]
    if fault == "thousands_separator":
        return f"{int(value):,}", value  # type: ignore[arg-type]
    if fault == "full_width_digits":
        return str(value).translate(_FULL_WIDTH), value
    if fault == "padded_spaces":
        return f"  {value} ", value
    if fault == "check_marks":
        return ("√" if value else "×"), value
    if fault == "percent_sign":
        return f"{value}%", value
    if fault == "number_as_text":
        return str(value), value
    if fault == "negative_count":
        return -max(1, int(value)), None  # type: ignore[arg-type]
    raise ValueError(f"unknown cell fault {fault}")


def _formula(fault: str, layout: SheetLayout, spec: CountyFileSpec,
             values: dict[FormKey, FormValue], cached: CachedValues,
             taken: set[tuple[str, str]]) -> list[InjectedFault]:
    """累计脱贫人口 as a formula: registered minus unlifted, as many county sheets do."""
    ref = layout.ref("", "lifted_cumulative")
    if (layout.name, ref) in taken:
        return []
    taken.add((layout.name, ref))
    formula = f"={layout.ref('', 'registered_poor_total')}-{layout.ref('', 'unlifted_persons')}"
    layout.ws[ref].value = formula
    where = dict(sheet=layout.name, cell=ref, table="t1", indicator="lifted_cumulative",
                 written=formula)
    if fault == "formula_uncached":
        return [F.reported(spec.relative_path, fault, **where)]

    value = values[("t1", "", "lifted_cumulative")]
    cached.setdefault(layout.name, {})[ref] = str(value)
    return [F.tolerated(spec.relative_path, fault, value, **where)]


def _unloadable(spec: CountyFileSpec, path: Path, data: bytes,
                found: list[InjectedFault]) -> bytes:
    """A file the reader cannot open: cut off in transfer, or named as an old .xls."""
    if spec.unloadable == "truncated_file":
        data = data[: len(data) // 2]
        path.write_bytes(data)
    found.append(F.reported(spec.relative_path, spec.unloadable))
    return data


# --- the long CSV -------------------------------------------------------------------------


def _long_csv(spec: CountyFileSpec, values: dict[FormKey, FormValue]) -> str:
    """The export of a county system: one line per figure, t1 … t4."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for (table, row_key, indicator), value in values.items():
        writer.writerow([spec.county_code, spec.period, table, row_key, indicator,
                         text_value(value)])
    return out.getvalue()
