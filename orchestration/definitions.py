"""Everything Dagster loads: assets, checks, the nightly job, its schedule and sensor."""

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from orchestration.lib.resources import WarehouseResource
from orchestration.publish.assets import published_warehouse_asset, warehouse_build
from orchestration.publish.parquet import tier_parquet
from orchestration.quality.checks import build_plan_checks
from orchestration.quality.rule_checks import build_rule_checks
from orchestration.reference.assets import reference_tables
from orchestration.reports.assets import county_feedback, dispatch_report
from orchestration.submissions.assets import (
    submission_archive,
    submission_parses,
    submission_rows,
)
from orchestration.submissions.automation import build_automation
from orchestration.tiers.assets import dbt_models, dbt_resource

published_warehouse = published_warehouse_asset(upstream=sorted(dbt_models.keys))

# One process runs the whole load: the steps share DuckDB's single writer anyway, the
# load lock lives as long as the run, and process start-up is not paid per step.
nightly_load = define_asset_job(
    name="nightly_load",
    description="每晚装载 Archive and parse new county files, rebuild the tiers, publish if "
    "every check passes. Runs cover a range of reporting months.",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
)

nightly_schedule, new_files_sensor = build_automation(nightly_load)

defs = Definitions(
    assets=[
        warehouse_build,
        reference_tables,
        submission_archive,
        submission_parses,
        submission_rows,
        dbt_models,
        published_warehouse,
        tier_parquet,
        dispatch_report,
        county_feedback,
    ],
    asset_checks=[*build_plan_checks(), *build_rule_checks()],
    jobs=[nightly_load],
    schedules=[nightly_schedule],
    sensors=[new_files_sensor],
    resources={"warehouse": WarehouseResource.from_env(), "dbt": dbt_resource()},
)
