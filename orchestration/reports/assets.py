"""The monthly dispatch report as the last asset of the nightly graph.

Lineage in the UI then runs from the county files through the tiers to the report
officials read. Each night it is written for the latest month with data; `dukan report
--month` writes any other month on demand.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from orchestration.lib.paths import ProjectPaths
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.warehouse import connect_readonly, table_exists
from orchestration.lib.workers import worker_count, worker_pool
from orchestration.reports.feedback import FeedbackRun, months_with_files, write_month_feedback


@asset(group_name="reports", deps=["published_warehouse"], kinds={"html", "xlsx"})
def dispatch_report(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """月调度报告 The dispatch report (HTML and xlsx) of the latest month with data."""
    paths = warehouse.paths
    month = _latest_month(paths)
    if month is None:
        context.log.info("no county report loaded yet: no dispatch report to write")
        return MaterializeResult(metadata={"files_written": 0})

    # Imported here: matplotlib and openpyxl are for this step alone, and were imported
    # while dbt ran (orchestration.lib.later_imports), not at the load's start.
    from orchestration.reports.dispatch import write_dispatch_report

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
        if not table_exists(connection, "dispatch", "dispatch_monthly_overview"):
            return None
        return connection.execute(
            "select max(period) from dispatch.dispatch_monthly_overview"
        ).fetchall()[0][0]


@asset(group_name="reports", deps=["published_warehouse"], kinds={"xlsx"})
def county_feedback(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """反馈表 Each county's feedback workbook for each month: what was wrong, where, and
    what is expected. Unchanged workbooks are not rewritten."""
    paths = warehouse.paths
    months = months_with_files(paths)
    runs = _write_feedback(paths, months)
    written = sum(len(run.written) for run in runs)
    unchanged = sum(run.unchanged for run in runs)
    folder = paths.warehouse_dir / "feedback"
    context.log.info(
        f"county feedback for {len(months)} months: {written} workbooks written, "
        f"{unchanged} unchanged, in {folder}"
    )
    return MaterializeResult(
        metadata={
            "months": len(months),
            "workbooks_written": written,
            "workbooks_unchanged": unchanged,
            "folder": MetadataValue.path(str(folder)),
        }
    )


# A month's feedback takes about 0.1 s (a query and 75 small workbooks); starting a worker
# per core costs about 0.8 s, worth it only past a year of months.
_POOL_FROM_MONTHS = 13


def _write_feedback(paths: ProjectPaths, months: list[str]) -> list[FeedbackRun]:
    """Each month's feedback; many months are shared among a worker per core.

    Months are independent (each its own folder and digests) and workers only read the
    published warehouse.
    """
    if len(months) < _POOL_FROM_MONTHS:
        with connect_readonly(paths) as connection:
            return [write_month_feedback(paths, month, connection=connection)
                    for month in months]
    with worker_pool(worker_count(len(months))) as pool:
        return list(pool.map(write_month_feedback, [paths] * len(months), months))


