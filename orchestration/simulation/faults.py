"""The faults a messy run injects, and what the reader is expected to make of each.

A fault is either *tolerated* (a convention of the contract: "—" for not reported, 无 for
zero, thousands separators, full-width digits, padded spaces, √/×, "2.5%", numbers as text,
formulas with a cached value, other header layouts, 合计 rows, reordered columns, a long
CSV instead of a workbook) — then ``expected_value`` is what the reader must take — or it
is *reported* — then ``expected_code`` names the finding ``read_submission`` must give at
``sheet``/``cell``. ``unloadable`` marks files the reader cannot open at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from .content import FormValue

# Value faults on a single cell.
TOLERATED_CELL_FAULTS: tuple[str, ...] = (
    "blank", "em_dash", "hyphen", "slash", "zero_as_wu", "thousands_separator",
    "full_width_digits", "padded_spaces", "check_marks", "percent_sign", "number_as_text",
    "formula_cached",
)
REPORTED_CELL_FAULTS: tuple[str, ...] = ("formula_uncached", "text_in_number", "negative_count")
CELL_FAULTS = TOLERATED_CELL_FAULTS + REPORTED_CELL_FAULTS

# Faults of the layout of a sheet or of the whole file.
LAYOUT_FAULTS: tuple[str, ...] = (
    "one_row_header", "column_order", "extra_column", "total_row_t2", "total_row_t4",
    "total_row_wrong", "wrong_period", "inconsistent_county",
)
FILE_FORMATS: tuple[str, ...] = ("csv_utf8", "csv_utf8_bom", "csv_gb18030")
UNLOADABLE: tuple[str, ...] = ("truncated_file", "xls_extension")

# The finding each reported fault must produce: (code, severity).
EXPECTED_FINDINGS: dict[str, tuple[str, str]] = {
    "formula_uncached": ("formula_without_value", "error"),
    "text_in_number": ("not_a_number", "error"),
    "negative_count": ("negative_count", "error"),
    "extra_column": ("extra_column", "info"),
    "total_row_wrong": ("total_mismatch", "warning"),
    "wrong_period": ("period_mismatch", "warning"),
    "inconsistent_county": ("inconsistent_county", "error"),
    "truncated_file": ("corrupt_file", "error"),
    "xls_extension": ("unsupported_format", "error"),
    "summary_disagrees": ("", ""),
}


@dataclass(frozen=True)
class InjectedFault:
    """One fault in one file, placed as precisely as the reader places findings."""

    relative_path: str
    fault: str
    sheet: str = ""
    cell: str = ""
    table: str = ""
    row_key: str = ""
    indicator: str = ""
    written: str = ""
    expected_code: str = ""
    expected_severity: str = ""
    expected_value: FormValue = None
    has_expected_value: bool = False
    unloadable: bool = False

    @property
    def file_name(self) -> str:
        return self.relative_path.rsplit("/", 1)[-1]


def reported(relative_path: str, fault: str, **where: str) -> InjectedFault:
    code, severity = EXPECTED_FINDINGS[fault]
    return InjectedFault(relative_path, fault, expected_code=code, expected_severity=severity,
                         unloadable=fault in UNLOADABLE, **where)


def tolerated(relative_path: str, fault: str, value: FormValue, **where: str) -> InjectedFault:
    return InjectedFault(relative_path, fault, expected_value=value, has_expected_value=True,
                         **where)
