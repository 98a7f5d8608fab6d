"""Dagster resources shared by every asset that touches the warehouse."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from orchestration.lib.paths import ProjectPaths

# Every step that opens the build file for writing runs in this pool of one slot, so two
# writers never hold the DuckDB file at once (dbt and Python steps included).
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(ConfigurableResource):
    """Where raw files are read from and where the warehouse is built and published."""

    raw_dir: str
    warehouse_dir: str

    @classmethod
    def from_env(cls) -> WarehouseResource:
        paths = ProjectPaths.from_env()
        return cls(raw_dir=str(paths.raw_dir), warehouse_dir=str(paths.warehouse_dir))

    @property
    def paths(self) -> ProjectPaths:
        return ProjectPaths(raw_dir=Path(self.raw_dir), warehouse_dir=Path(self.warehouse_dir))
