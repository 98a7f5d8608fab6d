"""The warehouse file's life cycle: build a private copy, write it, publish it in one step.

DuckDB allows one writing process per file, and a read-only reader in another process blocks
that writer. So nothing ever writes the published file: the nightly load writes
``build/dukan.duckdb`` and, once every blocking check has passed, renames it over the
published path. A reader holds either the old file or the new one, never a half-built one,
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


def begin_build(paths: ProjectPaths) -> Path:
    """Start a fresh build file from the published warehouse (or from nothing).

    A build left behind by a killed run is discarded: the published file is the only state
    a new run trusts, which is what makes a crashed load converge on the next run.
    """
    shutil.rmtree(paths.build_dir, ignore_errors=True)
    paths.build_dir.mkdir(parents=True, exist_ok=True)

    if paths.published_db.exists():
        shutil.copy2(paths.published_db, paths.build_db)
    return paths.build_db


@contextmanager
def build_connection(paths: ProjectPaths) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writing connection to the build file, closed (and checkpointed) on exit.

    Python steps must not hold the file while dbt runs, so every writer opens and closes
    its own connection instead of sharing a long-lived one.
    """
    if not paths.build_db.parent.exists():
        raise FileNotFoundError(f"no build in progress: {paths.build_db} (run the nightly job)")
    connection = duckdb.connect(str(paths.build_db))
    try:
        yield connection
        connection.execute("checkpoint")
    finally:
        connection.close()


def publish(paths: ProjectPaths) -> Path:
    """Replace the published warehouse with the finished build in one rename."""
    with build_connection(paths) as connection:
        connection.execute("checkpoint")

    wal = paths.build_db.with_name(paths.build_db.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} still exists after checkpoint; refusing to publish")

    _fsync(paths.build_db)
    os.replace(paths.build_db, paths.published_db)
    _fsync(paths.warehouse_dir)
    shutil.rmtree(paths.build_dir, ignore_errors=True)
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
