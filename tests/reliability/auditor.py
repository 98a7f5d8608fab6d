"""An auditor reading the published warehouse in a loop, run as its own process by the tests.

    python -m tests.reliability.auditor OUT.jsonl STOP_FILE

Each round opens the warehouse the way `dukan audit` does (``connect_readonly``), reads a
fingerprint of every table in one go, closes, and appends one JSON line: the fingerprint or
the error. It stops when STOP_FILE exists. The test compares each fingerprint with those of
the warehouse before and after the load: anything else would be a half-built state.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from orchestration.lib.paths import ProjectPaths
from orchestration.lib.warehouse import connect_readonly


def fingerprint(connection: duckdb.DuckDBPyConnection) -> dict[str, list[int]]:
    """Row count and an order-free digest of the rows of every base table."""
    tables = connection.execute(
        "select schema_name || '.' || table_name from duckdb_tables() order by 1"
    ).fetchall()
    return {
        name: list(connection.execute(
            f"select count(*), coalesce(bit_xor(hash(t)), 0) from {name} as t"
        ).fetchall()[0])
        for (name,) in tables
    }


def file_fingerprint(path: Path) -> dict[str, list[int]]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return fingerprint(connection)
    finally:
        connection.close()


def main(out: Path, stop: Path) -> int:
    paths = ProjectPaths.from_env()
    with open(out, "a", encoding="utf-8") as log:
        while not stop.exists():
            try:
                connection = connect_readonly(paths)
                try:
                    record = {"tables": fingerprint(connection)}
                finally:
                    connection.close()
            except Exception as error:  # noqa: BLE001 - every error is what the test looks for
                record = {"error": f"{type(error).__name__}: {error}"}
            log.write(json.dumps(record) + "\n")
            log.flush()
            time.sleep(0.05)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
