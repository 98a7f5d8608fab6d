"""The plan's reconciliation rules as blocking Dagster asset checks backed by GE suites.

Each check reads one dbt model from the build warehouse, hands it to its Great Expectations
checkpoint, records every rule's verdict in `quality.expectation_results`, and fails with
the subjects that broke a rule. A failed critical rule blocks the publish step, so a plan
that does not reconcile never replaces the warehouse auditors read.
"""


import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration.lib.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.lib.warehouse import build_connection
from orchestration.quality.gx_runner import RuleOutcome, SuiteOutcome, run_checkpoint

if TYPE_CHECKING:  # pandas is imported by the checks that run, not at start-up
    import pandas as pd


@dataclass(frozen=True)
class PlanCheck:
    """A GE checkpoint run on one model; `query` may add the columns the suite compares.

    `model` is `schema.table`, which is also the dbt model's asset key.
    """

    name: str
    model: str
    checkpoint: str
    query: str
    report_columns: tuple[str, ...]
    description: str


PLAN_CHECKS: tuple[PlanCheck, ...] = (
    PlanCheck(
        name="plan_column_totals_reconcile",
        model="intermediate.int_plan__column_totals",
        checkpoint="plan_column_totals",
        query="select *, abs(gap_wan) as abs_gap_wan from intermediate.int_plan__column_totals",
        report_columns=(
            "figure_id", "label_zh", "published_total_wan", "observed_sum_wan", "gap_wan",
            "tolerance_wan", "tolerance_derivation",
        ),
        description="附件4 75个县之和与合计行 56.122/17.46/14.33/24.33 万人相符",
    ),
    PlanCheck(
        name="plan_county_rows_reconcile",
        model="intermediate.int_plan__county_figures_reconciled",
        checkpoint="plan_county_rows",
        query=(
            "select *, abs(gap_wan) as abs_gap_wan "
            "from intermediate.int_plan__county_figures_reconciled"
        ),
        report_columns=(
            "plan_row", "county_name", "total_wan", "sum_of_parts_wan", "gap_wan",
            "tolerance_wan", "tolerance_derivation",
        ),
        description="附件4 各县合计等于三项之和",
    ),
    PlanCheck(
        name="county_registry_complete",
        model="counties.county_people",
        checkpoint="county_registry",
        query=(
            "select *, substr(county_code, 1, 4) || '00' as prefecture_of_code "
            "from counties.county_people"
        ),
        report_columns=("county_code", "county_name", "prefecture_code", "plan_attribution"),
        description="75个县、代码互不重复，各在其市州",
    ),
    PlanCheck(
        name="plan_prefecture_totals_reconcile",
        model="intermediate.int_plan__prefecture_totals",
        checkpoint="plan_prefecture_totals",
        query="select * from intermediate.int_plan__prefecture_totals",
        report_columns=("figure_id", "label_zh", "published_total", "observed_sum", "gap"),
        description="附件3 各市州之和等于 394/373/21/103/102/1",
    ),
    PlanCheck(
        name="plan_village_lists_match",
        model="intermediate.int_plan__prefecture_village_lists",
        checkpoint="plan_village_lists",
        query="select * from intermediate.int_plan__prefecture_village_lists",
        report_columns=(
            "prefecture_name_in_plan", "villages_unexited", "sum_of_kinds",
            "high_incidence_villages", "named_villages", "named_list_status",
        ),
        description="附件3 各市州村数自洽，具体名单村数与高发生率村数相符",
    ),
    PlanCheck(
        name="province_targets_match_counties",
        model="intermediate.int_plan__province_targets",
        checkpoint="province_targets",
        query="select * from intermediate.int_plan__province_targets",
        report_columns=(
            "county_name", "target_unlifted_wan_text", "county_unlifted_wan_text",
            "target_villages_to_exit", "target_villages_in_prefecture",
            "prefecture_villages_unexited",
        ),
        description="附件1 8个县的目标等于附件4的未脱贫人口，退出村数属于所在市州",
    ),
    PlanCheck(
        name="village_registry_matches_plan",
        model="intermediate.int_plan__village_registry_reconciled",
        checkpoint="village_registry",
        query="select * from intermediate.int_plan__village_registry_reconciled",
        report_columns=("scope", "subject", "plan_count", "registry_count"),
        description="督战村名录与附件1、附件3一致：394个村、各市州分类村数、具体名单",
    ),
)

RESULTS_TABLE = "quality.expectation_results"


def build_plan_checks() -> list[AssetChecksDefinition]:
    return [_build_check(check) for check in PLAN_CHECKS]


def blocking_check(
    name: str, model: str, description: str,
    evaluate: Callable[[AssetCheckExecutionContext, duckdb.DuckDBPyConnection], AssetCheckResult],
) -> AssetChecksDefinition:
    """A blocking check on the dbt model `model` (`schema.table`, also its asset key), run
    with a connection to this run's build: `evaluate` reads, validates and records."""

    @asset_check(
        name=name,
        asset=AssetKey(model.split(".")),
        description=description,
        blocking=True,
        pool=WAREHOUSE_POOL,
    )
    def _check(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> AssetCheckResult:
        with build_connection(warehouse.paths, context.run.run_id) as connection:
            return evaluate(context, connection)

    return _check


def _build_check(check: PlanCheck) -> AssetChecksDefinition:
    def evaluate(context: AssetCheckExecutionContext, connection) -> AssetCheckResult:
        # Through Arrow, DECIMAL columns arrive as exact Decimals; `.df()` would make them
        # binary floats, and tolerances are compared to the last published place.
        frame = connection.sql(check.query).to_arrow_table().to_pandas()
        outcome = run_checkpoint(check.checkpoint, frame)
        _record(connection, context.run.run_id, check, outcome)
        context.log.info(
            f"{check.name}: {len(frame)} rows of {check.model}, "
            f"{len(outcome.failed())} of {len(outcome.rules)} rules failed"
        )
        return _result(check, frame, outcome)

    return blocking_check(check.name, check.model, check.description, evaluate)


def _result(check: PlanCheck, frame: "pd.DataFrame", outcome: SuiteOutcome) -> AssetCheckResult:
    blocking = outcome.failed("critical")
    failed = outcome.failed()
    summary = "; ".join(_rule_summary(rule) for rule in failed) or "all rules passed"
    metadata: dict[str, object] = {
        "rows_checked": len(frame),
        "rules": MetadataValue.md(rules_markdown(outcome)),
        "checked_rows": MetadataValue.md(_frame_markdown(frame, check.report_columns)),
    }
    for rule in failed:
        metadata[f"failed: {rule.rule_id}"] = MetadataValue.md(
            _frame_markdown(_unexpected(frame, rule), check.report_columns)
        )
    return AssetCheckResult(
        passed=not blocking,
        severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
        description=summary,
        metadata=metadata,
    )


def _rule_summary(rule: RuleOutcome) -> str:
    subjects = "; ".join(_subject(row) for row in rule.unexpected_rows)
    detail = f" ({subjects})" if subjects else f" (observed {rule.observed})"
    return f"{rule.rule_id} failed{detail}: {rule.description_en}"


def _subject(row: dict[str, object]) -> str:
    """'宕昌县 tolerance_wan=0.0155 abs_gap_wan=0.2': who failed, then the values compared."""
    names = [str(value) for key, value in row.items() if "name" in key or key == "figure_id"]
    values = [
        f"{key}={value}"
        for key, value in row.items()
        if "name" not in key and key not in ("figure_id", "plan_row")
    ]
    return " ".join(names + values)


def _unexpected(frame: "pd.DataFrame", rule: RuleOutcome) -> "pd.DataFrame":
    """The frame's rows that GE names as unexpected, matched on the index columns it returns."""
    if not rule.unexpected_rows:
        return frame.iloc[0:0]
    keys = [key for key in rule.unexpected_rows[0] if key in frame.columns]
    wanted = {tuple(str(row[key]) for key in keys) for row in rule.unexpected_rows}
    mask = frame[keys].astype(str).apply(tuple, axis=1).isin(wanted)
    return frame[mask]


def rules_markdown(outcome: SuiteOutcome, findings: Mapping[str, int] | None = None) -> str:
    """Each rule's verdict as a table, with its number of findings when they are counted."""
    counted = findings is not None
    lines = [
        "| rule | severity | outcome |" + (" findings |" if counted else "")
        + " 说明 | description |",
        "|---|---|---|" + ("---|" if counted else "") + "---|---|",
    ]
    for rule in outcome.rules:
        verdict = "pass" if rule.success else "FAIL"
        count = f" {findings.get(rule.rule_id, 0)} |" if counted else ""
        lines.append(
            f"| {rule.rule_id} | {rule.severity} | {verdict} |{count} {rule.description_zh} "
            f"| {rule.description_en} |"
        )
    return "\n".join(lines)


def _frame_markdown(frame: "pd.DataFrame", columns: Sequence[str]) -> str:
    present = [column for column in columns if column in frame.columns]
    return frame[present].astype(str).to_markdown(index=False)


def _record(connection, run_id: str, check: PlanCheck, outcome: SuiteOutcome) -> None:
    """Keep every rule's verdict in the warehouse, so auditors can ask what a night found."""
    connection.execute(
        f"""
        create table if not exists {RESULTS_TABLE} (
            run_id varchar, checked_at timestamptz, check_name varchar, model varchar,
            suite varchar, rule_id varchar, severity varchar, success boolean,
            description_zh varchar, description_en varchar, observed varchar,
            unexpected_rows varchar
        )
        """
    )
    checked_at = datetime.now(timezone.utc)
    rows = [
        (
            run_id, checked_at, check.name, check.model, outcome.suite, rule.rule_id,
            rule.severity, rule.success, rule.description_zh, rule.description_en,
            json.dumps(rule.observed, ensure_ascii=False, default=str),
            json.dumps(rule.unexpected_rows, ensure_ascii=False, default=str),
        )
        for rule in outcome.rules
    ]
    connection.executemany(
        f"insert into {RESULTS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
