"""The Dagster definitions load, show every dbt model in its tier, and keep data at home."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from dagster import AssetKey

from orchestration.definitions import defs, nightly_load
from orchestration.quality.checks import PLAN_CHECKS
from orchestration.quality.rule_checks import RULE_CHECKS

ROOT = Path(__file__).resolve().parents[1]


def dbt_models() -> dict[str, dict]:
    manifest = json.loads((ROOT / "dbt_project" / "target" / "manifest.json").read_text())
    return {
        node["name"]: node for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def test_every_dbt_model_is_an_asset_grouped_by_tier() -> None:
    graph = defs.resolve_asset_graph()
    expected_group = {
        "province_supervised_counties": "province",
        "department_supervision": "departments",
        "prefecture_village_supervision": "prefectures",
        "county_people": "counties",
        "plan_reconciliation": "quality",
        "int_plan__column_totals": "intermediate",
        "stg_reference__counties": "staging",
    }

    for name, node in dbt_models().items():
        key = AssetKey([node["schema"], name])
        assert graph.has(key), key
        if name in expected_group:
            assert graph.get(key).group_name == expected_group[name]


def test_reference_sources_feed_the_dbt_models() -> None:
    graph = defs.resolve_asset_graph()

    parents = graph.get(AssetKey(["staging", "stg_reference__counties"])).parent_keys

    assert AssetKey(["reference", "counties"]) in parents


def test_plan_checks_are_blocking_and_publish_depends_on_every_model() -> None:
    graph = defs.resolve_asset_graph()
    publish = graph.get(AssetKey("published_warehouse"))

    for check in (*PLAN_CHECKS, *RULE_CHECKS):
        key = AssetKey(check.model.split("."))
        assert graph.has(key), key
        assert key in publish.parent_keys
    blocking = {
        spec.name
        for checks_def in defs.asset_checks or []
        for spec in checks_def.check_specs
        if spec.blocking
    }
    # Every check is blocking; what a failure blocks is decided inside the check by the
    # severity of the rule that failed (warnings pass with a WARN result).
    assert blocking == {check.name for check in (*PLAN_CHECKS, *RULE_CHECKS)}


def test_nightly_job_runs_in_one_process_on_a_shanghai_schedule() -> None:
    schedule = defs.resolve_schedule_def("nightly_load_schedule")

    assert nightly_load.executor_def.name == "in_process"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.cron_schedule == "0 2 * * *"


def test_no_telemetry_leaves_the_machine() -> None:
    dagster_config = yaml.safe_load((ROOT / "warehouse" / "dagster" / "dagster.yaml").read_text())
    dbt_config = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text())
    gx_config = yaml.safe_load((ROOT / "expectations" / "gx" / "great_expectations.yml").read_text())

    assert dagster_config["telemetry"]["enabled"] is False
    assert dbt_config["flags"]["send_anonymous_usage_stats"] is False
    assert gx_config["analytics_enabled"] is False


def test_every_model_has_a_description_with_its_chinese_label() -> None:
    undocumented = [
        name for name, node in dbt_models().items()
        if not any("\u4e00" <= ch <= "\u9fff" for ch in node.get("description", ""))
    ]

    assert undocumented == []


def test_the_personal_data_key_is_never_committed() -> None:
    import subprocess

    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".secrets/pii.key"], cwd=ROOT, check=False
    )

    assert ignored.returncode == 0
