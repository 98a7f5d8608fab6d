"""Arrow tables of a parsed submission, with fixed schemas (they become Parquet and DuckDB).

``VALUES_SCHEMA`` — one row per value:

=================  ==================  ==================================================
column             type                meaning
=================  ==================  ==================================================
file_sha256        string, not null    the delivered file
county_code        string              from the content (null when it could not be read)
period             string              'YYYY-MM', from the content
table              string, not null    t1 … t4
row_key            string, not null    '' (t1, t3), village code (t2), source (t4)
indicator          string, not null    indicator id of ``form``
kind               string, not null    count | decimal | percent | yes_no | text
value_decimal      decimal128(18, 4)   counts, decimals, percents
value_bool         bool                yes_no
value_text         string              text
is_reported        bool, not null      false for blank / — / - / /
sheet              string, not null    sheet name ('' for CSV)
cell               string, not null    A1 reference (CSV: the cell a spreadsheet shows)
line               int32               CSV line number (null for workbooks)
raw                string, not null    the text as written
=================  ==================  ==================================================

``FINDINGS_SCHEMA`` — one row per finding: file_sha256, file_name, county_code, period,
severity (error | warning | info), code, table, row_key, indicator, sheet, cell, line
(int32), expected, found, message_zh, message_en; all strings except ``line``, and all not
null except county_code, period and line.

``SUBMISSION_SCHEMA`` — one row per file (``submission_record``): file_sha256, file_name,
format, county_code, county_name, period, declared_period, filled_date (date32),
filer_hash, phone_hash, reviewer_hash, accepted (bool), values, errors, warnings (int32).
"""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa

from . import form
from .model import Finding, ParsedSubmission

DECIMAL_TYPE = pa.decimal128(18, 4)

VALUES_SCHEMA = pa.schema(
    [
        pa.field("file_sha256", pa.string(), nullable=False),
        pa.field("county_code", pa.string()),
        pa.field("period", pa.string()),
        pa.field("table", pa.string(), nullable=False),
        pa.field("row_key", pa.string(), nullable=False),
        pa.field("indicator", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("value_decimal", DECIMAL_TYPE),
        pa.field("value_bool", pa.bool_()),
        pa.field("value_text", pa.string()),
        pa.field("is_reported", pa.bool_(), nullable=False),
        pa.field("sheet", pa.string(), nullable=False),
        pa.field("cell", pa.string(), nullable=False),
        pa.field("line", pa.int32()),
        pa.field("raw", pa.string(), nullable=False),
    ]
)

_FINDING_TEXT = (
    "severity", "code", "table", "row_key", "indicator", "sheet", "cell",
)
FINDINGS_SCHEMA = pa.schema(
    [
        pa.field("file_sha256", pa.string(), nullable=False),
        pa.field("file_name", pa.string(), nullable=False),
        pa.field("county_code", pa.string()),
        pa.field("period", pa.string()),
        *(pa.field(name, pa.string(), nullable=False) for name in _FINDING_TEXT),
        pa.field("line", pa.int32()),
        pa.field("expected", pa.string(), nullable=False),
        pa.field("found", pa.string(), nullable=False),
        pa.field("message_zh", pa.string(), nullable=False),
        pa.field("message_en", pa.string(), nullable=False),
    ]
)

SUBMISSION_SCHEMA = pa.schema(
    [
        pa.field("file_sha256", pa.string(), nullable=False),
        pa.field("file_name", pa.string(), nullable=False),
        pa.field("format", pa.string(), nullable=False),
        pa.field("county_code", pa.string()),
        pa.field("county_name", pa.string()),
        pa.field("period", pa.string()),
        pa.field("declared_period", pa.string()),
        pa.field("filled_date", pa.date32()),
        pa.field("filer_hash", pa.string()),
        pa.field("phone_hash", pa.string()),
        pa.field("reviewer_hash", pa.string()),
        pa.field("accepted", pa.bool_(), nullable=False),
        pa.field("values", pa.int32(), nullable=False),
        pa.field("errors", pa.int32(), nullable=False),
        pa.field("warnings", pa.int32(), nullable=False),
    ]
)


def to_arrow(parsed: ParsedSubmission, file_sha256: str) -> tuple[pa.Table, pa.Table]:
    """(values, findings) of one submission, in ``VALUES_SCHEMA`` and ``FINDINGS_SCHEMA``."""
    findings = [_finding_row(parsed, file_sha256, f) for f in parsed.findings]
    return (
        _values_table(parsed, file_sha256),
        pa.Table.from_pylist(findings, schema=FINDINGS_SCHEMA),
    )


def _values_table(parsed: ParsedSubmission, sha: str) -> pa.Table:
    """Built column by column: a national workbook holds some 2,300 values, and a dict per
    value cost more than reading the workbook. ``zip(*values)`` turns the value tuples into
    columns in one pass in C; the columns that repeat one value, and the kind (one per
    indicator), are made by Arrow rather than a Python list per value."""
    count = len(parsed.values)
    if count == 0:
        return VALUES_SCHEMA.empty_table()
    tables, row_keys, indicators, typed, sheets, cells, raws, lines = zip(*parsed.values)
    indicator_array = pa.array(indicators, pa.string())
    columns = {
        "file_sha256": _repeat(sha, count),
        "county_code": _repeat(parsed.county_code, count),
        "period": _repeat(parsed.period, count),
        "table": pa.array(tables, pa.string()),
        "row_key": pa.array(row_keys, pa.string()),
        "indicator": indicator_array,
        "kind": _kinds(indicator_array),
        "value_decimal": pa.array([t if type(t) is Decimal else None for t in typed],
                                  DECIMAL_TYPE),
        "value_bool": pa.array([t if type(t) is bool else None for t in typed], pa.bool_()),
        "value_text": pa.array([t if type(t) is str else None for t in typed], pa.string()),
        "is_reported": pa.array([t is not None for t in typed], pa.bool_()),
        "sheet": pa.array(sheets, pa.string()),
        "cell": pa.array(cells, pa.string()),
        "line": pa.array(lines, pa.int32()),
        "raw": pa.array(raws, pa.string()),
    }
    return pa.Table.from_arrays([columns[f.name] for f in VALUES_SCHEMA], schema=VALUES_SCHEMA)


def _repeat(value: str | None, count: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), count)


def _kinds(indicators: pa.Array) -> pa.Array:
    """Each value's kind, looked up once per distinct indicator (ids are unique in the form)."""
    encoded = indicators.dictionary_encode()
    kinds = [_KIND_BY_INDICATOR.get(i, "text") for i in encoded.dictionary.to_pylist()]
    return pa.array(kinds, pa.string()).take(encoded.indices)


def submission_record(parsed: ParsedSubmission, file_sha256: str) -> pa.Table:
    """The one-row table describing the file itself, in ``SUBMISSION_SCHEMA``."""
    row = {
        "file_sha256": file_sha256,
        "file_name": parsed.file_name,
        "format": parsed.format,
        "county_code": parsed.county_code,
        "county_name": parsed.county_name,
        "period": parsed.period,
        "declared_period": parsed.declared_period,
        "filled_date": parsed.filled_date,
        "filer_hash": parsed.personal.filer,
        "phone_hash": parsed.personal.phone,
        "reviewer_hash": parsed.personal.reviewer,
        "accepted": parsed.accepted,
        "values": len(parsed.values),
        "errors": sum(f.severity == "error" for f in parsed.findings),
        "warnings": sum(f.severity == "warning" for f in parsed.findings),
    }
    return pa.Table.from_pylist([row], schema=SUBMISSION_SCHEMA)


_KIND_BY_INDICATOR = {
    indicator.id: str(indicator.kind) for tbl in form.TABLES for indicator in tbl.indicators
}


def _finding_row(parsed: ParsedSubmission, sha: str, finding: Finding) -> dict[str, object]:
    return {
        "file_sha256": sha,
        "file_name": finding.file_name,
        "county_code": parsed.county_code,
        "period": parsed.period,
        "severity": finding.severity,
        "code": finding.code,
        "table": finding.table,
        "row_key": finding.row_key,
        "indicator": finding.indicator,
        "sheet": finding.sheet,
        "cell": finding.cell,
        "line": finding.line,
        "expected": finding.expected,
        "found": finding.found,
        "message_zh": finding.message_zh,
        "message_en": finding.message_en,
    }
