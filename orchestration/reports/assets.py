"""The monthly dispatch report as the last asset of the nightly graph.

Lineage in the UI then runs from the county files through the tiers to the report
officials read. Each night it is written for the latest month with data; `dukan report
--month` writes any other month on demand.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from orchestration.lib.resources import WarehouseResource
from orchestration.lib.warehouse import connect_readonly
from orchestration.reports.dispatch import write_dispatch_report


@asset(group_name="reports", deps=["published_warehouse"], kinds={"html", "xlsx"})
def dispatch_report(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """月调度报告 The dispatch report (HTML and xlsx) of the latest month with data."""
    paths = warehouse.paths
    month = _latest_month(paths)
    if month is None:
        context.log.info("no county report loaded yet: no dispatch report to write")
        return MaterializeResult(metadata={"files_written": 0})

    files = write_dispatch_report(paths, month, paths.warehouse_dir / "reports")
    context.log.info(f"dispatch report {month}: {files.html}, {files.xlsx}")
    return MaterializeResult(
        metadata={
            "month": month,
            "files_written": 2,
            "html": MetadataValue.path(str(files.html)),
            "xlsx": MetadataValue.path(str(files.xlsx)),
        }
    )


def _latest_month(paths) -> str | None:
    with connect_readonly(paths) as connection:
        exists = connection.execute(
            "select count(*) from duckdb_tables() where schema_name = 'dispatch' "
            "and table_name = 'dispatch_monthly_overview'"
        ).fetchall()[0][0]
        if not exists:
            return None
        return connection.execute(
            "select max(period) from dispatch.dispatch_monthly_overview"
        ).fetchall()[0][0]
