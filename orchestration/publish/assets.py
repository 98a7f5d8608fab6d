"""Open a private build copy of the warehouse, and publish it once everything has passed.

`warehouse_build` is the root of the graph, and `published_warehouse` depends on every
tier mart, so Dagster runs them first and last. The blocking checks on the marts stand in
between: if one fails, the publish step never runs and auditors keep yesterday's warehouse.
"""


from collections.abc import Sequence

import duckdb
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.lib import fingerprint
from orchestration.lib.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.lib.warehouse import begin_build, publish, scalar

# The schemas a reader of the published warehouse is meant to see.
PUBLISHED_SCHEMAS = (
    "province", "departments", "prefectures", "counties", "dispatch", "quality", "audit",
    "reference", "submissions",
)


@asset(group_name="publish", pool=WAREHOUSE_POOL, kinds={"duckdb"})
def warehouse_build(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """构建副本 A fresh private copy of the published warehouse that this run writes."""
    paths = warehouse.paths
    started_from_published = paths.published_db.exists()
    # Takes the load lock, then discards the builds of earlier runs.
    build = begin_build(paths, context.run_id)

    context.log.info(
        f"building {build} from {'the published warehouse' if started_from_published else 'empty'}"
    )
    return MaterializeResult(
        metadata={
            "build_file": MetadataValue.path(str(build)),
            "started_from_published": started_from_published,
        }
    )


def published_warehouse_asset(upstream: Sequence[AssetKey]):
    """The publish asset, depending on every asset whose table must be in the warehouse."""

    @asset(
        name="published_warehouse",
        group_name="publish",
        deps=[*upstream],
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
    )
    def published_warehouse(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> MaterializeResult:
        """发布 Replace the warehouse auditors read with this run's build, in one rename."""
        paths = warehouse.paths
        published = publish(paths, context.run_id)
        # The record of what the warehouse was built from no longer describes it; the
        # nightly command writes the new one when the whole run has ended well.
        fingerprint.forget(paths)
        tables = _table_counts(str(published))

        context.log.info(f"published {published}: {len(tables)} tables")
        return MaterializeResult(
            metadata={
                "published_file": MetadataValue.path(str(published)),
                "size_bytes": published.stat().st_size,
                "tables": MetadataValue.md(_tables_markdown(tables)),
                "table_count": len(tables),
            }
        )

    return published_warehouse


def _table_counts(path: str) -> list[tuple[str, int]]:
    with duckdb.connect(path, read_only=True) as connection:
        names = connection.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name in ? order by 1",
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        return [
            (name, scalar(connection, f"select count(*) from {name}"))
            for (name,) in names
        ]


def _tables_markdown(tables: list[tuple[str, int]]) -> str:
    rows = "\n".join(f"| {name} | {count} |" for name, count in tables)
    return "| table | rows |\n|---|---|\n" + rows
