"""The warehouse file's life cycle: build a private copy, write it, publish it in one step.

DuckDB allows one writing process per file, and a read-only reader in another process blocks
that writer. So nothing ever writes the published file: the nightly load writes
``build/<run id>/dukan.duckdb`` and, once every blocking check has passed, renames it over
the published path. A reader holds either the old file or the new one, never a half-built one,
and a load that dies leaves the last published warehouse untouched.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchestration.lib.paths import ProjectPaths


class WarehouseNotBuilt(RuntimeError):
    """Raised when a reader asks for a warehouse that has never been published."""


def begin_build(paths: ProjectPaths, run_id: str) -> Path:
    """Start this run's build file from the published warehouse (or from nothing).

    Takes the load lock first, so no other load is alive; only then are the builds of
    earlier runs (killed, or failed a check) removed. A process that outlived its killed run
    keeps writing a deleted file in its own folder and can never reach this run's file. The
    published file is the only state a new run trusts, which is what makes a crashed load
    converge on the next run.
    """
    acquire_load_lock(paths)
    build_db = paths.build_db(run_id)
    _remove_stale_builds(paths, keep=build_db.parent)
    build_db.parent.mkdir(parents=True, exist_ok=True)
    build_db.unlink(missing_ok=True)
    build_db.with_name(build_db.name + ".wal").unlink(missing_ok=True)

    if paths.published_db.exists():
        shutil.copy2(paths.published_db, build_db)
    return build_db


def _remove_stale_builds(paths: ProjectPaths, keep: Path) -> None:
    if not paths.build_dir.exists():
        return
    for entry in paths.build_dir.iterdir():
        if entry == keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)  # the single build file of earlier versions


@contextmanager
def build_connection(paths: ProjectPaths, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writing connection to this run's build file, closed (and checkpointed) on exit.

    Python steps must not hold the file while dbt runs, so every writer opens and closes
    its own connection instead of sharing a long-lived one.
    """
    build_db = paths.build_db(run_id)
    if not build_db.parent.exists():
        raise FileNotFoundError(f"no build in progress: {build_db} (run the nightly job)")
    connection = duckdb.connect(str(build_db))
    try:
        yield connection
        connection.execute("checkpoint")
    finally:
        connection.close()


def publish(paths: ProjectPaths, run_id: str) -> Path:
    """Replace the published warehouse with this run's finished build in one rename.

    Readers that opened the old file keep it; readers that open after the rename get the
    new one; nobody ever sees a file that is still being written.
    """
    if paths.warehouse_dir not in _LOAD_LOCKS:
        raise RuntimeError("publishing without the load lock: another load could be running")
    build_db = paths.build_db(run_id)
    with build_connection(paths, run_id) as connection:
        connection.execute("checkpoint")

    wal = build_db.with_name(build_db.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} still exists after checkpoint; refusing to publish")

    _fsync(build_db)
    os.replace(build_db, paths.published_db)
    _fsync(paths.warehouse_dir)
    shutil.rmtree(build_db.parent, ignore_errors=True)
    release_load_lock(paths)
    return paths.published_db


def connect_readonly(paths: ProjectPaths) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse so that no statement can change it."""
    if not paths.published_db.exists():
        raise WarehouseNotBuilt(
            f"{paths.published_db} does not exist yet: run `make nightly` first"
        )
    # Read-only stops writes to the warehouse; no external access also stops COPY TO,
    # ATTACH and reading other files, so an audit query can only read these tables.
    connection = duckdb.connect(
        str(paths.published_db),
        read_only=True,
        config={"enable_external_access": False},
    )
    # Receipt times and deadlines are Beijing time; show them so.
    connection.execute("set TimeZone = 'Asia/Shanghai'")
    # And nothing after this can loosen the settings above (threads, memory, ...) for the
    # query that follows: the audit command's SQL is whatever the user typed.
    connection.execute("set lock_configuration = true")
    return connection


_LOAD_LOCKS: dict[Path, object] = {}


def acquire_load_lock(paths: ProjectPaths) -> None:
    """Hold the load lock for the rest of this process so two loads never build at once.

    A run executes its steps in one process, so the lock taken by the first step covers
    the whole run. It is an advisory file lock: the kernel drops it when the process exits,
    so a killed run never leaves the warehouse locked.
    """
    if paths.warehouse_dir in _LOAD_LOCKS:
        return
    paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
    handle = open(paths.warehouse_dir / ".load.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        handle.close()
        raise RuntimeError(
            f"another nightly load is running on {paths.warehouse_dir}; try again when it ends"
        ) from error
    _LOAD_LOCKS[paths.warehouse_dir] = handle


def release_load_lock(paths: ProjectPaths) -> None:
    handle = _LOAD_LOCKS.pop(paths.warehouse_dir, None)
    if handle is not None:
        handle.close()


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` is in the file (a first load, or a load that failed early,
    has not made every table yet)."""
    return bool(scalar(
        connection,
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, table],
    ))


def scalar(connection: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> object:
    """The single value a query returns.

    Fetches the whole result: duckdb 2.0 refuses the next statement on a connection whose
    last result was not read to the end, which `fetchone()` on one row does not do.
    """
    rows = connection.execute(sql, params).fetchall() if params is not None else (
        connection.execute(sql).fetchall()
    )
    return rows[0][0]


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
