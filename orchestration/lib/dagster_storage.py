"""Dagster's SQLite event log, keeping each database's connection open between events.

The stock ``SqliteEventLogStorage`` builds an engine, connects and disconnects for every
event it stores or reads. Closing the last connection to a WAL database checkpoints it, so
each event paid a checkpoint and its fsyncs, and a new connection re-reads the schema. A
nightly load stores about 1,100 events (every dbt model and test is one, each recorded in
the run's database and in the index), which took 10 s of a 30 s provincial run; with the
connections kept, 2 to 3 s.

What changes, and why it is safe here:

- One connection per database file, used under the storage's own lock as before. Run
  databases beyond the few most recent are closed again, so a long-lived UI process does
  not hold a file open for every run it has shown.
- Commits use ``synchronous=NORMAL``, SQLite's recommended setting with WAL: a power cut
  may lose the last events committed, never the file's consistency. The warehouse itself
  does not depend on these events: what was published is recorded beside the warehouse.
  The pool's slots live here too; a release lost this way is put right by
  ``orchestration.nightly.repair_pool`` before the next load.
- The events sit in ``<file>-wal`` until SQLite checkpoints them (when the last
  connection closes, or every 1,000 pages): a backup of ``history/runs/`` copies the
  ``-wal`` files too, or is made with Dagster stopped.
- The UI follows a running run by watching the run's ``<run id>.db`` for changes. With the
  connection open, new events stay in the ``-wal`` file until a checkpoint, so after each
  event stored the run's file is touched, as the stock storage's checkpoint did.

``warehouse/dagster/dagster.yaml`` selects this class. ``_connect`` is a private method
of the pinned Dagster (the SQLite storage stores a batch of events one ``store_event`` at
a time, so the touch covers batches too); ``tests/test_dagster_storage.py`` fails if an
upgrade breaks the connections, the watch, the closing of old runs or a wipe.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import Field, StringSource
from dagster._core.event_api import EventLogEntry
from dagster._core.instance.ref import _event_logs_directory
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

# Run databases kept open besides the index: the running run's, and a few the UI shows.
OPEN_RUN_DATABASES = 4


class KeptConnectionSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose databases keep their connection between events."""

    def __init__(self, base_dir: str | None = None,
                 inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir or default_base_dir(), inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Field]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptConnectionSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            with self._engine(shard).connect() as connection:
                with connection.begin():
                    yield connection

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, made on first use; called under ``_db_lock``."""
        if self._engines_pid != os.getpid():
            # A forked child must not share its parent's SQLite handles: start afresh, and
            # leave the inherited ones unclosed (closing them is the parent's business).
            self._engines = OrderedDict()
            self._engines_pid = os.getpid()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = _kept_engine(self.conn_string_for_shard(shard))
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        self._close_least_recent()
        return engine

    def _close_least_recent(self) -> None:
        runs = [shard for shard in self._engines if shard != INDEX_SHARD_NAME]
        for shard in runs[: max(0, len(runs) - OPEN_RUN_DATABASES)]:
            self._engines.pop(shard).dispose()

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def store_event(self, event: EventLogEntry) -> None:
        super().store_event(event)
        self._announce(event.run_id)

    def _announce(self, run_id: str) -> None:
        """Touch the run's database, which is what the UI's watcher of a live run sees."""
        try:
            os.utime(self.path_for_shard(run_id))
        except FileNotFoundError:
            pass  # a run-less event, or a run whose events were deleted meanwhile

    def delete_events(self, run_id: str) -> None:
        super().delete_events(run_id)
        with self._db_lock:
            engine = self._engines.pop(run_id, None)
        if engine is not None:
            engine.dispose()

    def wipe(self) -> None:
        self._close_all()  # wipe deletes the files: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


def default_base_dir() -> str:
    """The stock event log's folder, ``$DAGSTER_HOME/history/runs``: the runs recorded
    before this class was chosen keep their events."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise RuntimeError(
            "DAGSTER_HOME is not set, so the event log has no folder: set it to the folder "
            "of dagster.yaml, or give event_log_storage a base_dir there"
        )
    return _event_logs_directory(home)


def _kept_engine(conn_string: str) -> Engine:
    # One connection, reused: callers hold the storage's lock while they use it, from
    # whichever thread they run on.
    engine = create_engine(
        conn_string,
        poolclass=StaticPool,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )
    event.listen(engine, "connect", _synchronous_normal)
    return engine


def _synchronous_normal(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
