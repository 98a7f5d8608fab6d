"""Where the project keeps its files.

Every location can be moved with an environment variable so that tests and benchmarks run
against a scratch copy without touching the bundled data or the published warehouse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


@dataclass(frozen=True)
class ProjectPaths:
    """The folders one nightly load reads from and writes to."""

    raw_dir: Path
    warehouse_dir: Path

    @classmethod
    def from_env(cls) -> ProjectPaths:
        raw = os.environ.get("DUKAN_RAW_DIR", str(PROJECT_ROOT / "raw"))
        warehouse = os.environ.get("DUKAN_WAREHOUSE_DIR", str(PROJECT_ROOT / "warehouse"))
        return cls(raw_dir=Path(raw).resolve(), warehouse_dir=Path(warehouse).resolve())

    @property
    def reference_dir(self) -> Path:
        return self.raw_dir / "reference"

    @property
    def published_db(self) -> Path:
        """The warehouse that auditors and reports open, read-only."""
        return self.warehouse_dir / "dukan.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.warehouse_dir / "build"

    def build_db(self, run_id: str) -> Path:
        """The only file a run writes; published by a rename when its checks pass.

        One folder per run: a process left over from a killed run (a dbt that outlived its
        parent) can only write its own run's file, never the next run's build.
        """
        if not run_id or "/" in run_id or run_id.startswith("."):
            raise ValueError(f"not a run id: {run_id!r}")
        return self.build_dir / run_id / "dukan.duckdb"
