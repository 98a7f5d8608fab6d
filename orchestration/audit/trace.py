"""溯源 From a figure of a tier back to the county files, sheets and cells it came from.

`audit.figure_lineage` says which submitted indicators a mart column reads, for which month
and whose submissions; this module turns one figure (a mart, a column and the row's keys)
into the cells in force, now or on a past date (`as_of`), with the files' SHA-256 and the
archive path that holds each file unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from orchestration.lib.periods import shift_month
from orchestration.submissions.form import TABLES

# Where the archive keeps a file: its hash and the extension it was delivered with.
ARCHIVED_AS = (
    "'raw/archive/' || file_sha256 || '.' || "
    "lower(regexp_extract(original_name, '\\.([A-Za-z0-9]{1,8})$', 1)) as archived_as"
)

# Filters a trace accepts, and the mart column each one selects rows by.
KEY_COLUMNS = ("period", "county_code", "prefecture_code", "target_id")


class TraceError(ValueError):
    """The figure asked for cannot be traced; the message says what can."""


@dataclass(frozen=True)
class Figure:
    model: str
    column: str
    period: str
    county_code: str | None = None
    prefecture_code: str | None = None
    target_id: str | None = None
    as_of: str | None = None

    def keys(self) -> dict[str, str]:
        values = {
            "period": self.period, "county_code": self.county_code,
            "prefecture_code": self.prefecture_code, "target_id": self.target_id,
        }
        return {key: value for key, value in values.items() if value}


@dataclass
class Trace:
    figure: Figure
    mart_rows: pd.DataFrame
    lineage: pd.DataFrame
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def trace(connection: duckdb.DuckDBPyConnection, figure: Figure) -> Trace:
    lineage = _lineage(connection, figure)
    mart_rows = _mart_rows(connection, figure)
    counties = _scope_counties(connection, figure, lineage["scope"].iloc[0])
    parts = [
        _sources_for(connection, figure, entry, counties)
        for entry in _resolved_entries(connection, figure, lineage)
    ]
    sources = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    notes = []
    if figure.as_of:
        notes.append(
            f"sources as in force on {figure.as_of}; the figure shown is today's published one"
        )
        if sources.empty:
            notes.append(f"no version was in force on {figure.as_of} (none received, or held)")
    if mart_rows.empty:
        notes.append(f"{figure.model} has no row for {figure.keys()}")
    return Trace(figure, mart_rows, lineage, sources, notes)


def _lineage(connection: duckdb.DuckDBPyConnection, figure: Figure) -> pd.DataFrame:
    frame = connection.execute(
        "select * from audit.figure_lineage where model = ? and column_name = ?",
        [figure.model, figure.column],
    ).df()
    if frame.empty:
        traceable = connection.execute(
            "select model, string_agg(distinct column_name, ', ' order by column_name) "
            "from audit.figure_lineage group by model order by model"
        ).fetchall()
        listing = "\n".join(f"  {model}: {columns}" for model, columns in traceable)
        raise TraceError(
            f"{figure.model}.{figure.column} is not a traceable monthly figure. "
            f"Traceable figures:\n{listing}"
        )
    return frame


def _mart_rows(connection: duckdb.DuckDBPyConnection, figure: Figure) -> pd.DataFrame:
    columns = _columns(connection, figure.model)
    keys = {key: value for key, value in figure.keys().items() if key in columns}
    where = " and ".join(f'"{key}" = ?' for key in keys) or "true"
    shown = [key for key in (*KEY_COLUMNS, "county_name", "prefecture_name", "label_zh")
             if key in columns]
    select = ", ".join(f'"{name}"' for name in dict.fromkeys([*shown, figure.column]))
    return connection.execute(
        f"select {select} from {figure.model} where {where}", list(keys.values())
    ).df()


def _columns(connection: duckdb.DuckDBPyConnection, model: str) -> set[str]:
    schema, table = model.split(".")
    rows = connection.execute(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {name for (name,) in rows}


def _scope_counties(
    connection: duckdb.DuckDBPyConnection, figure: Figure, scope: str
) -> list[str]:
    if scope == "county":
        if not figure.county_code:
            raise TraceError(f"{figure.model}.{figure.column} is a county figure: give --county")
        return [figure.county_code]
    query, params = {
        "prefecture": (
            "select county_code from staging.stg_reference__counties where prefecture_code = ?",
            [figure.prefecture_code],
        ),
        "department": (
            "select county_code from staging.stg_reference__plan_department_counties "
            "where plan_row = (select plan_row from staging.stg_reference__plan_department_targets"
            " where target_id = ?)",
            [figure.target_id],
        ),
        "focus": ("select county_code from staging.stg_reference__plan_province_counties", []),
        "province": ("select county_code from staging.stg_reference__counties", []),
    }[scope]
    if scope == "prefecture" and not figure.prefecture_code:
        raise TraceError(f"{figure.model}.{figure.column} is a prefecture figure: give --prefecture")
    if scope == "department" and not figure.target_id:
        raise TraceError(f"{figure.model}.{figure.column} is a department figure: give --target")
    return [code for (code,) in connection.execute(query, params).fetchall()]


def _resolved_entries(
    connection: duckdb.DuckDBPyConnection, figure: Figure, lineage: pd.DataFrame
) -> list[tuple[str, str | None, int]]:
    """(form table, indicator, month offset) per lineage row; '*target' becomes the
    indicator of the department target asked for."""
    entries = []
    for row in lineage.itertuples():
        if row.indicator == "*target":
            indicator = _target_indicator(connection, figure.target_id)
            for name in _target_indicators(indicator):
                entries.append((_form_table(name), name, int(row.period_offset)))
        else:
            entries.append((row.form_table, row.indicator, int(row.period_offset)))
    return entries


def _target_indicator(connection: duckdb.DuckDBPyConnection, target_id: str | None) -> str:
    rows = connection.execute(
        "select indicator from staging.stg_reference__plan_department_targets "
        "where target_id = ?", [target_id],
    ).fetchall()
    if not rows:
        known = connection.execute(
            "select string_agg(target_id, ', ' order by target_id) "
            "from staging.stg_reference__plan_department_targets"
        ).fetchall()[0][0]
        raise TraceError(f"no department target {target_id!r}; targets: {known}")
    return rows[0][0]


def _target_indicators(indicator: str) -> list[str]:
    # The plan counts outstanding frozen pipes; the form reports hazards and fixes.
    if indicator == "frozen_pipe_outstanding":
        return ["frozen_pipe_hazards", "frozen_pipe_fixed"]
    return [indicator]


def _form_table(indicator: str) -> str:
    for table in TABLES:
        if table.indicator(indicator):
            return table.id
    raise TraceError(f"indicator {indicator} is not on the form")


def _sources_for(
    connection: duckdb.DuckDBPyConnection, figure: Figure,
    entry: tuple[str, str | None, int], counties: Sequence[str],
) -> pd.DataFrame:
    form_table, indicator, offset = entry
    period = shift_month(figure.period, offset)
    if form_table == "file":
        return _file_sources(connection, figure, period, counties)
    # 'infinity' selects the versions still in force: the current ones.
    as_of = figure.as_of or "infinity"
    return connection.execute(
        f"""
        select county_code, county_name, period, form_table, row_key, indicator,
            coalesce(
                -- 173.0000 (the column's scale) reads as 173; 2.5000 as 2.5
                rtrim(rtrim(cast(value_decimal as varchar), '0'), '.'),
                case value_bool when true then '是' when false then '否' end,
                value_text
            ) as value,
            sheet, cell, original_name, version, received_at, file_sha256,
            {ARCHIVED_AS},
        from audit.values_as_of(cast(? as timestamptz))
        where period = ? and form_table = ? and indicator = ?
            and county_code in (select unnest(?::varchar[]))
        order by county_code, row_key
        """,
        [as_of, period, form_table, indicator, list(counties)],
    ).df()


def _file_sources(
    connection: duckdb.DuckDBPyConnection, figure: Figure, period: str, counties: Sequence[str]
) -> pd.DataFrame:
    return connection.execute(
        f"""
        select county_code, county_name, period, 'file' as form_table, null as row_key,
            null as indicator, case when is_held then 'held' else 'version' end as value,
            null as sheet, null as cell, original_name, version, received_at, file_sha256,
            {ARCHIVED_AS},
        from audit.submission_history
        where period = ? and county_code in (select unnest(?::varchar[]))
            and (cast(? as timestamptz) is null or received_at <= cast(? as timestamptz))
        order by county_code, version
        """,
        [period, list(counties), figure.as_of, figure.as_of],
    ).df()


def source_total(trace_result: Trace) -> object:
    """The sum of the traced cells when the figure is one indicator summed over counties."""
    sources = trace_result.sources
    if sources.empty or len(trace_result.lineage) != 1:
        return None
    numbers = pd.to_numeric(sources["value"], errors="coerce")
    return None if numbers.isna().any() else numbers.sum()
