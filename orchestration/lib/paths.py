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

    @property
    def build_db(self) -> Path:
        """The only file the nightly load writes; published by a rename when checks pass."""
        return self.build_dir / "dukan.duckdb"
