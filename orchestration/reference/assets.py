"""Load the reference CSVs into the build warehouse, one asset per file, all or nothing."""


from collections.abc import Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration.lib.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.lib.warehouse import build_connection
from orchestration.reference.specs import TABLES
from orchestration.reference.validate import ReferenceDataError, ReferenceFile, load_reference

REFERENCE_SCHEMA = "reference"
BUILD_KEY = AssetKey("warehouse_build")


def reference_key(table: str) -> AssetKey:
    """The key dbt's `source('reference', table)` maps to, so lineage joins up."""
    return AssetKey([REFERENCE_SCHEMA, table])


REFERENCE_SPECS = [
    AssetSpec(
        key=reference_key(table.name),
        group_name="reference",
        description=f"{table.label_zh} — raw/reference/{table.file_name}, loaded as exact text.",
        deps=[BUILD_KEY],
        kinds={"csv", "duckdb"},
    )
    for table in TABLES
]


@multi_asset(specs=REFERENCE_SPECS, pool=WAREHOUSE_POOL, can_subset=False)
def reference_tables(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[MaterializeResult]:
    """Validate every reference file together, then replace all reference tables at once.

    Validation happens before the warehouse is opened, and the tables are replaced in one
    transaction, so a bad file leaves even the build copy as it was.
    """
    paths = warehouse.paths
    try:
        files = load_reference(paths.reference_dir)
    except ReferenceDataError as error:
        context.log.error(str(error))
        raise Failure(
            description=str(error),
            metadata={"problems": MetadataValue.md(_problems_markdown(error))},
        ) from error

    with build_connection(paths, context.run_id) as connection:
        connection.execute("begin transaction")
        connection.execute(f"create schema if not exists {REFERENCE_SCHEMA}")
        for name, ref in files.items():
            connection.register("incoming", ref.to_arrow())
            connection.execute(
                f"create or replace table {REFERENCE_SCHEMA}.{name} as select * from incoming"
            )
            connection.unregister("incoming")
        connection.execute("commit")

    context.log.info(
        f"loaded {len(files)} reference files, {sum(len(f.rows) for f in files.values())} rows, "
        f"from {paths.reference_dir}"
    )
    for name, ref in files.items():
        yield MaterializeResult(asset_key=reference_key(name), metadata=_metadata(ref))


def _metadata(ref: ReferenceFile) -> dict[str, object]:
    preview = ref.to_arrow().slice(0, 5).to_pandas()
    return {
        "rows_read": len(ref.rows),
        "rows_written": len(ref.rows),
        "file": MetadataValue.path(str(ref.path)),
        "sha256": ref.sha256,
        "table": f"{REFERENCE_SCHEMA}.{ref.spec.name}",
        "preview": MetadataValue.md(preview.to_markdown(index=False)),
    }


def _problems_markdown(error: ReferenceDataError) -> str:
    lines = ["| file | line | column | problem |", "|---|---|---|---|"]
    for problem in error.problems:
        line = "" if problem.line is None else str(problem.line)
        lines.append(f"| {problem.file} | {line} | {problem.column or ''} | {problem.message} |")
    return "\n".join(lines)
