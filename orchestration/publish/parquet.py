"""Every tier mart published again as Parquet beside the warehouse, for tools that read files.

`warehouse/parquet/<schema>/<table>.parquet`, one file per mart, written from the
published warehouse after each publish. Each file carries its schema and, as Parquet
metadata, the model's description and every column's description from the dbt project,
Chinese label first, so a reader without SQL still knows what 未脱贫人口 means. Each file is
written under a temporary name and renamed, so a reader never opens half a file.
"""


import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from orchestration.lib.paths import ProjectPaths
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.warehouse import connect_readonly

TIER_SCHEMAS = ("province", "departments", "prefectures", "counties", "dispatch")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class ExportedTable:
    name: str
    path: Path
    rows: int


def export_tiers(paths: ProjectPaths, manifest_path: Path) -> list[ExportedTable]:
    """Write every table of the tier schemas to Parquet; return what was written."""
    docs = _model_docs(manifest_path)
    out = paths.warehouse_dir / "parquet"
    exported = []
    with connect_readonly(paths) as connection:
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in ? "
            "order by 1, 2",
            [list(TIER_SCHEMAS)],
        ).fetchall()
        for schema, table in tables:
            data = connection.execute(f"select * from {schema}.{table}").to_arrow_table()
            data = _with_labels(data, docs.get(table, {}))
            path = out / schema / f"{table}.parquet"
            _write_atomically(data, path)
            exported.append(ExportedTable(f"{schema}.{table}", path, data.num_rows))
    return exported


def _model_docs(manifest_path: Path) -> dict[str, dict]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def _with_labels(data: pa.Table, node: dict) -> pa.Table:
    columns = node.get("columns", {})
    fields = []
    for field in data.schema:
        description = columns.get(field.name, {}).get("description", "").strip()
        metadata = {"description": description, "label_zh": _label(description)}
        fields.append(field.with_metadata({k: v for k, v in metadata.items() if v}))
    table_metadata = {
        "description": " ".join((node.get("description") or "").split()),
        "label_zh": _label(node.get("description") or ""),
        "source": f"{node.get('schema', '')}.{node.get('name', '')} in warehouse/dukan.duckdb",
    }
    return data.cast(pa.schema(fields, metadata={k: v for k, v in table_metadata.items() if v}))


def _label(description: str) -> str:
    """The Chinese label a description starts with: '未脱贫人口 persons...' -> '未脱贫人口'."""
    first = description.split(" ", 1)[0] if description else ""
    return first if _CJK.search(first) else ""


def _write_atomically(data: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    pq.write_table(data, temporary)
    os.replace(temporary, path)


@asset(group_name="publish", deps=["published_warehouse"], kinds={"parquet"})
def tier_parquet(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """分层数据文件 Every tier mart as Parquet in warehouse/parquet/, with Chinese column labels."""
    from orchestration.tiers.assets import DBT_PROJECT

    exported = export_tiers(warehouse.paths, DBT_PROJECT.manifest_path)
    context.log.info(f"wrote {len(exported)} Parquet files to {warehouse.paths.warehouse_dir / 'parquet'}")
    listing = "\n".join(f"| {t.name} | {t.rows} | {t.path} |" for t in exported)
    return MaterializeResult(
        metadata={
            "files_written": len(exported),
            "rows_written": sum(t.rows for t in exported),
            "files": MetadataValue.md("| table | rows | file |\n|---|---|---|\n" + listing),
        }
    )
