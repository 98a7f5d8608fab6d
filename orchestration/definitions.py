"""Everything Dagster loads: assets, checks, the nightly job and its schedule, resources."""


from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)

from orchestration.publish.assets import published_warehouse_asset, warehouse_build
from orchestration.quality.checks import build_plan_checks
from orchestration.reference.assets import reference_tables
from orchestration.lib.resources import WarehouseResource
from orchestration.tiers.assets import dbt_models, dbt_resource

published_warehouse = published_warehouse_asset(upstream=sorted(dbt_models.keys))

# One process runs the whole load: the steps share DuckDB's single writer anyway, the
# load lock lives as long as the run, and process start-up is not paid per step.
nightly_load = define_asset_job(
    name="nightly_load",
    description="每晚装载 Rebuild the warehouse from raw/ and publish it if every check passes.",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    tags={"dagster/max_concurrent_runs": 1},
)

nightly_schedule = ScheduleDefinition(
    name="nightly_load_schedule",
    job=nightly_load,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.RUNNING,
)

defs = Definitions(
    assets=[warehouse_build, reference_tables, dbt_models, published_warehouse],
    asset_checks=build_plan_checks(),
    jobs=[nightly_load],
    schedules=[nightly_schedule],
    resources={"warehouse": WarehouseResource.from_env(), "dbt": dbt_resource()},
)
