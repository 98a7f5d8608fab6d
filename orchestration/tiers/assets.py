"""Every dbt model and source becomes an asset; every dbt test becomes an asset check.

Models are grouped by the tier an official would look for them under (province,
departments, prefectures, counties), so the lineage graph in the UI reads like the plan.
"""


import importlib.metadata
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from orchestration.lib.later_imports import import_later_modules
from orchestration.lib.paths import DBT_PROJECT_DIR
from orchestration.lib.periods import REPORTING_MONTH, shift_month
from orchestration.lib.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.lib.warehouse import table_exists
from orchestration.quality.gx_runner import start_warm_up
from orchestration.submissions.assets import MONTHS
from orchestration.submissions.automation import RANGE_END, RANGE_START

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# Folder under models/ -> asset group. Marts take the name of their tier.
_GROUPS = {
    "staging": "staging", "intermediate": "intermediate", "quality": "quality", "audit": "audit",
}


class TierTranslator(DagsterDbtTranslator):
    """Puts each model in the group of its tier; sources keep dbt's [source, table] keys."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] != "model":
            return super().get_group_name(dbt_resource_props)
        folders = dbt_resource_props["fqn"][1:-1]
        if folders and folders[0] == "marts" and len(folders) > 1:
            return folders[1]
        return _GROUPS.get(folders[0], "dbt") if folders else "dbt"


# dbt is run as `python -m orchestration.tiers.dbt_cli`, which starts dbt's own command line
# in the run's build folder; the profile's relative path then names the run's build copy.
DBT_IN_BUILD_FOLDER = ["-m", "orchestration.tiers.dbt_cli"]


class ProjectDbtCliResource(DbtCliResource):
    """dbt's CLI, without two start-up costs this project does not need.

    Before every command the stock resource runs ``dbt --version`` in a subprocess (about
    2 s: dbt imports everything to print its version) and builds a dbt adapter in this
    process, which is used only to fetch row counts and column metadata; this project asks
    for neither. The dbt run is the one beside this interpreter, so its version is the
    installed dbt-core's. Should a dagster-dbt upgrade rename these hooks, the overrides
    stop applying and the stock behaviour returns: slower, not wrong.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource() -> DbtCliResource:
    # This interpreter, so an unactivated virtualenv still finds dbt; the module's flags
    # come first on the command line, where dagster-dbt puts global flags.
    return ProjectDbtCliResource(
        project_dir=DBT_PROJECT, dbt_executable=sys.executable,
        global_config_flags=DBT_IN_BUILD_FOLDER,
    )


def _manifest_path() -> Path:
    manifest = DBT_PROJECT.manifest_path
    if not manifest.exists():
        raise FileNotFoundError(
            f"{manifest} is missing: run `make setup` (it runs `dukan prepare`, i.e. dbt parse)"
        )
    return manifest


@dbt_assets(
    manifest=_manifest_path(),
    project=DBT_PROJECT,
    dagster_dbt_translator=TierTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """Build and test the selected models in the build copy of the warehouse."""
    build_db = warehouse.paths.build_db(context.run_id)
    if not build_db.exists():
        raise FileNotFoundError(f"no build in progress: {build_db} (run the nightly job)")
    # dbt runs as a subprocess, in this run's build folder (orchestration.tiers.dbt_cli):
    # a dbt left over from a killed run writes its own folder, never this one.
    os.environ["DUKAN_BUILD_DB"] = str(build_db)
    months = _build_months(context, build_db)
    os.environ["DUKAN_BUILD_MONTHS"] = ",".join(months)
    context.log.info(f"dbt build against {build_db}")
    # The project's own target folder, not a fresh one per run, so dbt can reuse the parse
    # made at set-up (partial parsing) instead of parsing every file again.
    target = DBT_PROJECT_DIR / "target"
    # The checks after dbt need Great Expectations; build its context while dbt runs, and
    # import what the checks and the report use.
    start_warm_up()
    import_later_modules()
    yield from dbt.cli(["build"], context=context, target_path=target).stream()


def _build_months(context: AssetExecutionContext, build_db: Path) -> list[str]:
    """The reporting months the run's files touch; none means every month.

    Incremental tier marts replace only those months (the macro months_filter reads them
    from DUKAN_BUILD_MONTHS); the rest of the warehouse keeps the rows earlier runs built.
    A file's period comes from its content, not its folder (a March report sent in the
    February folder is March's), and a month's balance reads the month before, so the
    months are the drop folders', the periods of the files in them, and the month after
    each. quality.tier_reconciliation checks every month afterwards.
    """
    months = run_months(context.run.tags)
    if not months:
        context.log.info("tier marts rebuild every month")
        return []
    months = touched_months(build_db, months)
    malformed = [month for month in months if not REPORTING_MONTH.fullmatch(month)]
    if malformed:  # they are written into SQL as literals
        raise ValueError(f"not reporting months (YYYY-MM): {malformed}")
    context.log.info(f"tier marts rebuild months {', '.join(months)}")
    return months



def touched_months(build_db: Path, drop_months: list[str]) -> list[str]:
    with duckdb.connect(str(build_db), read_only=True) as connection:
        exists = table_exists(connection, "submissions", "files")
        periods = connection.execute(
            "select distinct period from submissions.files "
            "where drop_month in (select unnest(?)) and period is not null",
            [drop_months],
        ).fetchall() if exists else []
    touched = set(drop_months) | {period for (period,) in periods}
    return sorted(touched | {shift_month(month, 1) for month in touched})


def run_months(tags: Mapping[str, str]) -> list[str]:
    start, end = tags.get(RANGE_START), tags.get(RANGE_END)
    if not start or not end:
        return []
    return [month for month in MONTHS.get_partition_keys() if start <= month <= end]
