"""A small real warehouse (six simulated messy months) and the 2020-06 report written from it."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pytest

from orchestration.lib.paths import ProjectPaths
from orchestration.reports import ReportFiles, write_dispatch_report
from tests.conftest import Scratch, make_scratch

REPORT_MONTH = "2020-06"
SIMULATED_MONTHS = "2020-02..2020-07"


@dataclass(frozen=True)
class Built:
    """The scratch warehouse and the report written from it."""

    scratch: Scratch
    files: ReportFiles

    @property
    def paths(self) -> ProjectPaths:
        return ProjectPaths(raw_dir=self.scratch.raw, warehouse_dir=self.scratch.warehouse)

    def query(self, sql: str, params: list[object] | None = None) -> list[tuple]:
        with duckdb.connect(str(self.scratch.published), read_only=True) as connection:
            connection.execute("set TimeZone = 'Asia/Shanghai'")
            return connection.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def dispatch_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    """`dukan simulate --messy` for six months, then `dukan nightly`, in a scratch folder."""
    scratch = make_scratch(tmp_path_factory.mktemp("report-warehouse"))
    simulated = scratch.dukan("simulate", "--messy", "--months", SIMULATED_MONTHS)
    assert simulated.returncode == 0, simulated.stdout + simulated.stderr
    loaded = scratch.dukan("nightly")
    assert loaded.returncode == 0, loaded.stdout[-4000:] + loaded.stderr[-4000:]
    assert scratch.published.exists()
    return scratch


@pytest.fixture(scope="session")
def built(dispatch_warehouse: Scratch, tmp_path_factory: pytest.TempPathFactory) -> Built:
    paths = ProjectPaths(raw_dir=dispatch_warehouse.raw, warehouse_dir=dispatch_warehouse.warehouse)
    out_dir = tmp_path_factory.mktemp("report")
    return Built(dispatch_warehouse, write_dispatch_report(paths, REPORT_MONTH, out_dir))


@pytest.fixture(scope="session")
def page(built: Built) -> str:
    return built.files.html.read_text(encoding="utf-8")
