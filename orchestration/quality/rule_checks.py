"""The submission rules as Dagster asset checks backed by Great Expectations suites.

Each dbt rule model (`int_rules__*`, `quality.tier_reconciliation`) has one row per subject a
rule looks at, with the figure expected, the figure observed, the gap, how far the subject
is from passing (`violation`) and the largest violation accepted (`tolerance`). The GE suite
of the same name decides, rule by rule, which rows fail; every failing row becomes a row
of `quality.rule_findings`, which the county feedback workbooks and auditors read.

Severity decides what a failure stops:
- a failed *critical* rule on a figure that reaches the tiers fails the check, and since the
  check is blocking, the build is not published: auditors keep the last good warehouse;
- a county file that fails a critical file-level rule is held back by dbt before the
  tiers (`int_submissions__versions.is_held`), so its failure is a finding, not a block;
- a failed *warning* rule is a finding and nothing more.
"""


import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    MetadataValue,
)

from orchestration.quality.checks import blocking_check, rules_markdown
from orchestration.quality.gx_runner import RuleOutcome, SuiteOutcome, run_checkpoint

if TYPE_CHECKING:  # pandas is imported by the checks that run, not at start-up
    import pandas as pd

FINDINGS_TABLE = "quality.rule_findings"

# Columns of every rule model (see the dbt macro rule_row), in the findings table's order.
RULE_COLUMNS = (
    "observation_id", "rule_id", "county_code", "period", "subject", "expected", "observed",
    "gap", "violation", "tolerance", "file_sha256", "sheet", "cell",
)


@dataclass(frozen=True)
class RuleCheck:
    """One GE checkpoint over one dbt rule model (`schema.table`, also its asset key)."""

    name: str
    model: str
    checkpoint: str
    description: str

    @property
    def query(self) -> str:
        # A row reaches the tiers unless its file is a held version: only those can make a
        # published figure wrong, so only those can block publishing.
        return f"""
            select rules.*, counties.county_name,
                coalesce(not versions.is_held, true) as reaches_tiers,
            from {self.model} as rules
            left join staging.stg_reference__counties as counties
                on counties.county_code = rules.county_code
            left join (
                select file_sha256, bool_and(is_held) as is_held
                from intermediate.int_submissions__versions group by file_sha256
            ) as versions on versions.file_sha256 = rules.file_sha256
            order by rules.observation_id
        """


RULE_CHECKS: tuple[RuleCheck, ...] = (
    RuleCheck(
        name="county_files_pass_rules",
        model="intermediate.int_rules__county_files",
        checkpoint="submission_file_rules",
        description="县报表内部平衡：月度人口平衡、部分不大于总数、无负数（违者暂扣，不进入各层级）",
    ),
    RuleCheck(
        name="summaries_match_counties",
        model="intermediate.int_rules__summary_vs_counties",
        checkpoint="submission_summaries",
        description="市州汇总表与各县报表一致",
    ),
    RuleCheck(
        name="village_flags_consistent",
        model="intermediate.int_rules__village_flags",
        checkpoint="village_flags",
        description="督战村退出、贫困村标识前后一致",
    ),
    RuleCheck(
        name="monthly_changes_plausible",
        model="intermediate.int_rules__outliers",
        checkpoint="submission_outliers",
        description="月度变动无异常（修正z分数）",
    ),
    RuleCheck(
        name="submissions_complete",
        model="intermediate.int_rules__completeness",
        checkpoint="submission_completeness",
        description="75个县均已报送，表2列全督战村",
    ),
    RuleCheck(
        name="tiers_match_current_versions",
        model="quality.tier_reconciliation",
        checkpoint="tier_reconciliation",
        description="各层级月度表与各县当前版本一致（不一致则不发布）",
    ),
)


def build_rule_checks() -> list[AssetChecksDefinition]:
    return [_build_check(check) for check in RULE_CHECKS]


def _build_check(check: RuleCheck) -> AssetChecksDefinition:
    def evaluate(context: AssetCheckExecutionContext, connection) -> AssetCheckResult:
        frame = connection.sql(check.query).to_arrow_table().to_pandas()
        outcome = run_checkpoint(check.checkpoint, frame)
        findings = findings_frame(check, frame, outcome)
        record_findings(connection, check, findings)
        context.log.info(
            f"{check.name}: {len(frame)} subjects in {check.model}, {len(findings)} findings, "
            f"{len(outcome.failed())} of {len(outcome.rules)} rules failed"
        )
        return _result(check, frame, outcome, findings)

    return blocking_check(check.name, check.model, check.description, evaluate)


def findings_frame(
    check: RuleCheck, frame: "pd.DataFrame", outcome: SuiteOutcome
) -> "pd.DataFrame":
    """One row per subject GE found failing, with the rule's words and what it stops."""
    import pandas as pd

    parts = []
    for rule in outcome.failed():
        failing = _failing_rows(frame, rule)
        if failing.empty:
            continue
        failing = failing.assign(
            check_name=check.name,
            suite=outcome.suite,
            severity=rule.severity,
            action=failing["reaches_tiers"].map(
                lambda reaches: _action(rule.severity, bool(reaches))
            ),
            description_zh=rule.description_zh,
            description_en=rule.description_en,
        )
        parts.append(failing)
    if not parts:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(FINDING_COLUMNS)]


FINDING_COLUMNS = (
    "check_name", "suite", *RULE_COLUMNS, "county_name", "severity", "action",
    "reaches_tiers", "description_zh", "description_en",
)


def _failing_rows(frame: "pd.DataFrame", rule: RuleOutcome) -> "pd.DataFrame":
    """The frame's rows GE lists as unexpected for `rule`, by their observation id.

    A table-level rule (no unexpected rows listed) is reported by the check's metadata,
    not as findings on subjects.
    """
    ids = {str(row.get("observation_id")) for row in rule.unexpected_rows}
    failing = frame[frame["observation_id"].astype(str).isin(ids)]
    return failing[failing["rule_id"] == rule.rule_id] if "rule_id" in failing else failing


def _action(severity: str, reaches_tiers: bool) -> str:
    if severity != "critical":
        return "reported"
    return "blocks_publish" if reaches_tiers else "file_held"


def record_findings(connection, check: RuleCheck, findings: "pd.DataFrame") -> None:
    """Replace this check's findings: the table always says what the latest build found."""
    connection.execute(
        f"""
        create table if not exists {FINDINGS_TABLE} (
            check_name varchar, suite varchar, observation_id varchar, rule_id varchar,
            county_code varchar, period varchar, subject varchar, expected varchar,
            observed varchar, gap double, violation double, tolerance double,
            file_sha256 varchar, sheet varchar, cell varchar, county_name varchar,
            severity varchar, action varchar, reaches_tiers boolean,
            description_zh varchar, description_en varchar
        )
        """
    )
    connection.execute(f"delete from {FINDINGS_TABLE} where check_name = ?", [check.name])
    if findings.empty:
        return
    connection.register("new_findings", findings)
    try:
        connection.execute(f"insert into {FINDINGS_TABLE} by name select * from new_findings")
    finally:
        connection.unregister("new_findings")


def _result(
    check: RuleCheck, frame: "pd.DataFrame", outcome: SuiteOutcome, findings: "pd.DataFrame"
) -> AssetCheckResult:
    blocking = findings[findings["action"] == "blocks_publish"] if len(findings) else findings
    table_rules_failed = [
        rule for rule in outcome.failed("critical") if not rule.unexpected_rows
    ]
    failed = bool(len(blocking)) or bool(table_rules_failed)
    return AssetCheckResult(
        passed=not failed,
        severity=AssetCheckSeverity.ERROR if failed else AssetCheckSeverity.WARN,
        description=_summary(findings, table_rules_failed),
        metadata={
            "subjects_checked": len(frame),
            "months_checked": MetadataValue.text(_months(frame)),
            "findings": len(findings),
            "blocking_findings": len(blocking),
            "files_held": int(
                findings.loc[findings["action"] == "file_held", "file_sha256"].nunique()
            ) if len(findings) else 0,
            "rules": MetadataValue.md(
                rules_markdown(outcome, Counter(findings["rule_id"]) if len(findings) else {})
            ),
            "findings_by_month": MetadataValue.md(_by_month(findings)),
            "first_findings": MetadataValue.md(_first_findings(findings)),
        },
    )


def _summary(findings: "pd.DataFrame", table_rules_failed: list[RuleOutcome]) -> str:
    if findings.empty and not table_rules_failed:
        return "all rules passed"
    counts = Counter(zip(findings["rule_id"], findings["action"]))
    parts = [f"{rule} {action}: {count}" for (rule, action), count in sorted(counts.items())]
    # What blocks the publish is named in the run's summary, not only in the build file.
    blocking = findings[findings["action"] == "blocks_publish"].head(5)
    parts += [
        f"{row.county_code or 'province'} {row.period} {row.subject}: expected {row.expected},"
        f" found {row.observed}"
        for row in blocking.itertuples()
    ]
    parts += [
        f"{rule.rule_id} failed (observed {json.dumps(rule.observed, ensure_ascii=False)})"
        for rule in table_rules_failed
    ]
    return "; ".join(parts)


def _months(frame: "pd.DataFrame") -> str:
    months = sorted({str(month) for month in frame.get("period", []) if month})
    return f"{months[0]} … {months[-1]} ({len(months)})" if months else "none"


def _by_month(findings: "pd.DataFrame") -> str:
    if findings.empty:
        return "no findings"
    table = findings.groupby(["period", "rule_id"]).size().unstack(fill_value=0)
    return table.to_markdown()


def _first_findings(findings: "pd.DataFrame", limit: int = 20) -> str:
    if findings.empty:
        return "no findings"
    columns = [
        "rule_id", "county_name", "period", "subject", "expected", "observed", "gap",
        "tolerance", "sheet", "cell", "action",
    ]
    return findings[columns].head(limit).astype(str).to_markdown(index=False)
