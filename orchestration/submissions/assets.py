"""The path from a file in the drop zone to rows in the build warehouse, month by month.

Three assets, partitioned by reporting month (Asia/Shanghai):

- `submission_archive`: copy new files of the month's drop folder into the archive and
  append their receipts (nothing reaches the warehouse from a file before this; `dukan
  nightly` may have read and parsed its bytes already, into the parse cache only, see
  `parse_ahead`);
- `submission_parses`: parse the month's files into the Parquet cache, in parallel;
- `submission_rows`: replace the month's rows in the build warehouse and write a clerk's
  report for every quarantined file.

A run may cover a range of months (one step each, not one per month). A sensor asks for
the months whose folders hold files not archived yet; the nightly schedule asks for every
month that has a folder.
"""

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    MonthlyPartitionsDefinition,
    asset,
    multi_asset,
)

from orchestration.lib.personal import load_key
from orchestration.lib.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.lib.warehouse import build_connection, scalar, table_exists
from orchestration.submissions import parse_ahead
from orchestration.submissions.archive import Receipt, archive_dir, archive_months, read_receipts
from orchestration.submissions.model import shown_name
from orchestration.submissions.parse_cache import (
    PART_SCHEMAS,
    ParseJob,
    cache_dir,
    cached_paths,
    parse_all,
)
from orchestration.submissions.quarantine import write_reports

# The plan was issued in January 2020; its monthly dispatch runs from then on.
MONTHS = MonthlyPartitionsDefinition(
    start_date="2020-01", timezone="Asia/Shanghai", end_offset=1, fmt="%Y-%m"
)
SCHEMA = "submissions"
BUILD_KEY = AssetKey("warehouse_build")


def _months(context: AssetExecutionContext) -> list[str]:
    if not (context.has_partition_key or context.has_partition_key_range):
        # Dagster's own words for this ("Cannot access partition_key for a non-partitioned
        # run") do not tell the operator what to do.
        raise Failure(
            description="the nightly load covers a range of reporting months, and this run "
            "was launched without one: in the UI, choose the months (partitions) to "
            "materialize, or run `dukan nightly`, which chooses them"
        )
    return list(context.partition_keys)


@asset(
    group_name="submissions",
    partitions_def=MONTHS,
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"xlsx", "csv"},
)
def submission_archive(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """归档 Every delivered file copied unchanged to raw/archive/<sha256>, with its receipt."""
    months = _months(context)
    outcome = archive_months(warehouse.paths.raw_dir, months)

    context.log.info(
        f"months {months[0]}..{months[-1]}: {len(outcome.new)} new files archived, "
        f"{len(outcome.already_archived)} seen before, {len(outcome.ignored)} ignored"
    )
    drop = warehouse.paths.raw_dir / "submissions"
    for path in outcome.system_files:
        context.log.info(f"skipped {path.relative_to(drop)}: a system or hidden file, not a report")
    for path in outcome.ignored:
        context.log.warning(f"ignored {path.relative_to(drop)}: a link or not a regular file")
    return MaterializeResult(
        metadata={
            "files_new": len(outcome.new),
            "files_seen_before": len(outcome.already_archived),
            "files_ignored": len(outcome.ignored),
            # Named for the run's summary: nothing else tells the operator they were passed
            # over (no receipt, no finding: a link may point anywhere on the machine).
            "ignored_files": MetadataValue.text("\n".join(
                shown_name(str(path.relative_to(drop))) for path in outcome.ignored[:50]
            )),
            "system_files_skipped": len(outcome.system_files),
            "new_files": MetadataValue.md(_receipts_markdown(outcome.new)),
        }
    )


@asset(
    group_name="submissions",
    partitions_def=MONTHS,
    backfill_policy=BackfillPolicy.single_run(),
    deps=[submission_archive],
    kinds={"parquet"},
)
def submission_parses(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """解析 Each archived file read into typed values and findings, cached as Parquet."""
    paths = warehouse.paths
    jobs = _parse_jobs(paths.raw_dir, _months(context))
    key = load_key()
    cache = cache_dir(paths.warehouse_dir, key)

    def progress(done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            context.log.info(f"parsed {done}/{total} files")

    # `dukan nightly` starts parsing while the run starts (parse_ahead): share the rest.
    shared = parse_ahead.parse_alongside(jobs, cache, key, progress)
    outcomes, ahead = shared if shared is not None else (parse_all(jobs, cache, key, progress), 0)
    parsed = [o for o in outcomes if not o.cached]
    rejected = [o for o in outcomes if not o.accepted]

    by_ahead = f" ({ahead} of them by the process started ahead)" if ahead else ""
    context.log.info(
        f"{len(jobs)} files: {len(parsed)} parsed{by_ahead}, {len(jobs) - len(parsed)} from "
        f"cache, {len(rejected)} to quarantine"
    )
    return MaterializeResult(
        metadata={
            "files_read": len(jobs),
            "files_parsed": len(parsed),
            "files_from_cache": len(jobs) - len(parsed),
            "files_parsed_ahead": ahead,
            "files_accepted": len(jobs) - len(rejected),
            "files_rejected": len(rejected),
            "values_read": sum(o.values for o in outcomes),
            "findings": sum(o.findings for o in outcomes),
        }
    )


ROW_TABLES = {
    "receipts": "收件登记 the receipt ledger, all months",
    "files": "报送文件 one row per parsed file and drop month",
    "values": "报送数据 every value with its sheet and cell",
    "findings": "文件问题 every finding on a file",
    "simulation_manifest": "模拟清单 files the simulator wrote",
}


@multi_asset(
    specs=[
        AssetSpec(
            key=AssetKey([SCHEMA, table]),
            description=description,
            group_name="submissions",
            # After the reference tables: load-time rules check counties against the registry.
            deps=[submission_parses, BUILD_KEY, AssetKey(["reference", "counties"])],
            kinds={"duckdb"},
        )
        for table, description in ROW_TABLES.items()
    ],
    partitions_def=MONTHS,
    backfill_policy=BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def submission_rows(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[MaterializeResult]:
    """入库 The months' files, values and findings in the build warehouse, replaced whole."""
    paths = warehouse.paths
    months = _months(context)
    jobs = _parse_jobs(paths.raw_dir, months)
    cache = cache_dir(paths.warehouse_dir, load_key())

    with build_connection(paths, context.run_id) as connection:
        counts = _replace_months(connection, paths.raw_dir, months, jobs, cache)
        rejected = connection.execute(
            f"select * from {SCHEMA}.files where not accepted and drop_month in ?", [months]
        ).to_arrow_table()
        findings = connection.execute(
            f"select * from {SCHEMA}.findings where drop_month in ? order by file_sha256, sheet, "
            "cell", [months]
        ).to_arrow_table()
        totals = {
            table: scalar(connection, f"select count(*) from {SCHEMA}.{table}")
            for table in ROW_TABLES
        }

    reports = write_reports(paths.warehouse_dir / "quarantine", rejected, findings)
    context.log.info(
        f"months {months[0]}..{months[-1]}: {counts['files']} files, {counts['values']} values, "
        f"{counts['findings']} findings; {len(reports)} files quarantined"
    )
    report_list = MetadataValue.md("\n".join(f"- {path}" for path in reports) or "none")
    for table in ROW_TABLES:
        metadata: dict[str, object] = {"rows_total": totals[table]}
        if table in counts:
            metadata["rows_written"] = counts[table]
        if table == "files":
            metadata["files_quarantined"] = len(reports)
            metadata["quarantine_reports"] = report_list
        yield MaterializeResult(asset_key=AssetKey([SCHEMA, table]), metadata=metadata)


def _parse_jobs(raw_dir: Path, months: list[str]) -> list[ParseJob]:
    """One job per distinct file and month, under the name it was first delivered with.

    The same bytes delivered twice (a copy named `…(1).xlsx`, say) have two receipts but are
    one submission: loading them twice would count the county twice.
    """
    archive = archive_dir(raw_dir)
    wanted = set(months)
    jobs: dict[tuple[str, str], ParseJob] = {}
    receipts = sorted(read_receipts(raw_dir), key=lambda r: (r.received_at, r.original_name))
    for r in receipts:
        if r.drop_month in wanted:
            jobs.setdefault(
                (r.file_sha256, r.drop_month),
                ParseJob(r.file_sha256, archive / r.archive_name, r.drop_month, r.original_name),
            )
    return list(jobs.values())


def _replace_months(connection, raw_dir: Path, months: list[str], jobs: list[ParseJob],
                    cache: Path) -> dict[str, int]:
    """Delete the months' rows and insert them again from the cache, in one transaction."""
    connection.execute("begin transaction")
    connection.execute(f"create schema if not exists {SCHEMA}")
    _replace_receipts(connection, raw_dir)
    _replace_simulation_manifest(connection, raw_dir)

    counts = {}
    for part, table in (("file", "files"), ("values", "values"), ("findings", "findings")):
        counts[table] = _replace_part(connection, months, jobs, cache, part, table)
    _add_intake_findings(connection, months)
    connection.execute("commit")
    return counts


# Rules that need more than the file's bytes (its receipt, the registry), so they are
# applied at load time rather than cached with the parse.
_INTAKE_RULES = {
    "period_not_started": (
        "files.period > substr(receipts.received_at, 1, 7)",
        "报告期尚未开始：收到文件时该月还未到",
        "the reporting period had not started when the file was received",
        "a period up to the month of receipt",
        "files.period",
    ),
    "unknown_county": (
        "files.county_code is not null and files.county_code not in "
        "(select county_code from reference.counties)",
        "行政区划代码不是75个贫困县之一",
        "the county code is not one of the 75 poor counties",
        "a code of raw/reference/counties.csv",
        "files.county_code",
    ),
}


def _message_sql(zh: str, en: str) -> str:
    """message_zh and message_en worded as FindingLog.add words a reader's finding: the file
    first, then what is wrong and what was found, so a clerk reading a list of findings (the
    feedback workbook, the quarantine report) can tell which file each one is about.

    These files have no sheet or cell to add: the files table keeps the county code and the
    period, not the cell they were read from."""
    found_zh = "case when coalesce(found, '') = '' then '' else '，实际为“' || found || '”' end"
    found_en = "case when coalesce(found, '') = '' then '' else ' (found “' || found || '”)' end"
    name = _shown_name_sql("file_name")
    return (
        f"'文件“' || {name} || '”：{zh}' || {found_zh} || '。' as message_zh, "
        f"'File “' || {name} || '”: {en}' || {found_en} || '.' as message_en"
    )


def _shown_name_sql(column: str) -> str:
    """``model.shown_name`` in SQL: control characters as \\xNN."""
    for code in (*range(0x20), 0x7F):
        column = f"replace({column}, chr({code}), '{shown_name(chr(code))}')"
    return column


def _add_intake_findings(connection, months: list[str]) -> None:
    """Add the load-time findings as errors, and quarantine the files they name."""
    for code, (condition, zh, en, expected, found) in _INTAKE_RULES.items():
        offenders = f"""
            select files.file_sha256, files.drop_month, files.file_name, files.county_code,
                   files.period, {found} as found
            from {SCHEMA}.files as files
            inner join (
                select file_sha256, drop_month, min(received_at) as received_at
                from {SCHEMA}.receipts group by all
            ) as receipts using (file_sha256, drop_month)
            where files.drop_month in $months and ({condition})
        """
        connection.execute(
            f"""
            insert into {SCHEMA}.findings by name
            select drop_month, file_sha256, file_name, county_code, period,
                   'error' as severity, '{code}' as code, '' as "table", '' as row_key,
                   '' as indicator, '' as sheet, '' as cell, null as line,
                   '{expected}' as expected, coalesce(found, '') as found,
                   {_message_sql(zh, en)}
            from ({offenders})
            """,
            {"months": months},
        )
        connection.execute(
            f"""
            update {SCHEMA}.files set accepted = false, errors = errors + 1
            where (file_sha256, drop_month) in (select (file_sha256, drop_month) from ({offenders}))
            """,
            {"months": months},
        )


def _replace_receipts(connection, raw_dir: Path) -> None:
    receipts = read_receipts(raw_dir)
    columns = list(Receipt.__dataclass_fields__)
    types = {c: pa.int64() if c == "size_bytes" else pa.string() for c in columns}
    # One Arrow table, not executemany: a national year has some 10,000 receipts a month,
    # and DuckDB runs an executemany row by row.
    ledger = pa.table(
        {c: pa.array([getattr(r, c) for r in receipts], types[c]) for c in columns}
    )
    connection.register("receipt_rows", ledger)
    connection.execute(
        f"create or replace table {SCHEMA}.receipts as select * from receipt_rows"
    )
    connection.unregister("receipt_rows")


MANIFEST_COLUMNS = (
    "file_name", "relative_path", "sha256", "kind", "county_code", "prefecture_code", "period",
    "version", "scenario", "seed", "received_at",
)


def _replace_simulation_manifest(connection, raw_dir: Path) -> None:
    """The simulator's list of the files it wrote: every row from them is marked simulated."""
    manifest = raw_dir / "submissions" / "simulation_manifest.csv"
    columns = ", ".join(f"{name} varchar" for name in MANIFEST_COLUMNS)
    connection.execute(f"create or replace table {SCHEMA}.simulation_manifest ({columns})")
    if manifest.exists():
        connection.execute(
            f"insert into {SCHEMA}.simulation_manifest by name "
            "select * from read_csv(?, all_varchar = true, header = true)",
            [str(manifest)],
        )


def _replace_part(connection, months, jobs, cache, part: str, table: str) -> int:
    # A part a file had nothing for (findings, mostly) was not written: see parse_cache.
    parts = ((cached_paths(cache, job)[part], job.drop_month) for job in jobs)
    files = [(str(path), month) for path, month in parts if part == "file" or path.exists()]
    target = f"{SCHEMA}.{table}"
    if not table_exists(connection, SCHEMA, table):
        connection.register("empty_part", PART_SCHEMAS[part].empty_table())
        connection.execute(
            f"create table {target} as select ''::varchar as drop_month, * from empty_part "
            "limit 0"
        )
        connection.unregister("empty_part")
    connection.execute(f"delete from {target} where drop_month in ?", [months])
    if not files:
        return 0

    paths, drop_months = zip(*files)
    connection.register("part_files", pa.table({"path": paths, "drop_month": drop_months}))
    # Every file of a cache folder has the part's schema (the folder is named by the parser
    # that wrote it), so the files are read by position, without comparing their schemas.
    connection.execute(
        f"""
        insert into {target}
        select part_files.drop_month, parsed.* exclude (filename)
        from read_parquet(?, filename = true) as parsed
        inner join part_files on part_files.path = parsed.filename
        """,
        [list(paths)],
    )
    connection.unregister("part_files")
    return scalar(connection, f"select count(*) from {target} where drop_month in ?", [months])


def _receipts_markdown(receipts: list[Receipt]) -> str:
    if not receipts:
        return "none"
    lines = ["| file | month | received | sha256 |", "|---|---|---|---|"]
    lines.extend(
        f"| {r.original_name} | {r.drop_month} | {r.received_at} | {r.file_sha256[:12]} |"
        for r in receipts[:200]
    )
    return "\n".join(lines)


