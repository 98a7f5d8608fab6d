"""A fingerprint of every table of a warehouse file, to prove that two builds hold the same data.

``table_hashes`` gives one SHA-256 per base table over its column names and types and its
rows in a fixed order. Two warehouses with equal hashes hold the same tables with the same
rows, whatever order DuckDB stored them in. Views are not hashed: their rows are a function
of the tables they read.

Some columns record *when* the load handled something, not *what* it holds; they differ
between two runs over the same files and are left out (``RUN_BOOKKEEPING_COLUMNS``). Tables
that log every run grow by one run's rows per load (``RUN_LOG_TABLES``); only their latest
run's rows are hashed, so two loads in a row compare equal when both found the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from pathlib import Path

import duckdb

# Columns that name a run or the moment the load handled a file; dropped from every table.
RUN_BOOKKEEPING_COLUMNS: frozenset[str] = frozenset({
    "run_id",  # quality.expectation_results: the Dagster run that checked
    "checked_at",  # quality.expectation_results: when it checked
    "archived_at",  # submissions.receipts and what reads it: when the archive copied a file
})

# Run logs: table -> the column whose latest value marks the latest run's rows.
RUN_LOG_TABLES: Mapping[str, str] = {"quality.expectation_results": "checked_at"}

_BATCH_ROWS = 50_000


def table_hashes(
    db_path: Path | str,
    *,
    ignore_columns: Collection[str] = RUN_BOOKKEEPING_COLUMNS,
    run_logs: Mapping[str, str] = RUN_LOG_TABLES,
    without_files: Collection[str] = (),
) -> dict[str, str]:
    """``schema.table`` -> SHA-256 of its columns and rows, for every base table in the file.

    ``without_files`` leaves out the rows of those file hashes from every table with a
    ``file_sha256`` column: what the warehouse says about everything else.
    """
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        # Timestamps print in the session's zone; fix it so the text of a row is stable.
        connection.execute("set TimeZone = 'UTC'")
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary "
            "order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{table}": _table_hash(
                connection, schema, table, ignore_columns, run_logs, without_files
            )
            for schema, table in tables
        }
    finally:
        connection.close()


def _table_hash(
    connection: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    ignore_columns: Collection[str],
    run_logs: Mapping[str, str],
    without_files: Collection[str],
) -> str:
    name = f"{schema}.{table}"
    columns = connection.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    kept = [(column, kind) for column, kind in columns if column not in ignore_columns]
    digest = hashlib.sha256(repr(kept).encode())
    if not kept:
        return digest.hexdigest()

    selected = ", ".join(_quote(column) for column, _ in kept)
    where, params = _row_filter(name, columns, run_logs, without_files)
    # to_json gives every row one unambiguous text (DECIMALs exact, NULL distinct from '');
    # sorting by that text makes the hash independent of storage order.
    sql = (
        f"select to_json(r)::varchar as row_text from (select {selected} from "
        f"{_quote(schema)}.{_quote(table)} {where}) as r order by row_text"
    )
    result = connection.execute(sql, params)
    while rows := result.fetchmany(_BATCH_ROWS):
        for (text,) in rows:
            digest.update(text.encode())
            digest.update(b"\n")
    return digest.hexdigest()


def _row_filter(
    name: str,
    columns: list[tuple[str, str]],
    run_logs: Mapping[str, str],
    without_files: Collection[str],
) -> tuple[str, list[object]]:
    names = {column for column, _ in columns}
    conditions, params = [], []
    if name in run_logs and run_logs[name] in names:
        marker = _quote(run_logs[name])
        conditions.append(f"{marker} = (select max({marker}) from {name})")
    if without_files and "file_sha256" in names:
        conditions.append("(file_sha256 is null or file_sha256 not in (select unnest(?)))")
        params.append(sorted(without_files))
    return ("where " + " and ".join(conditions) if conditions else ""), params


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def differing(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The tables whose hash differs, or that exist in only one of the two."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
