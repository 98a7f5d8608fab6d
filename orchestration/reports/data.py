"""What one month's report reads from the published warehouse, in one read-only connection.

Every query names its columns; rows come back as dicts keyed by those names so the page and
the workbook share one vocabulary: the warehouse's own column ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from orchestration.lib.paths import ProjectPaths
from orchestration.lib.warehouse import connect_readonly

Row = dict[str, Any]
MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class NoDataForMonth(LookupError):
    """Raised when the warehouse has no dispatch figures for the month asked for."""


@dataclass(frozen=True)
class DispatchData:
    """The figures of one dispatch month and of the months before it, for trends."""

    month: str
    months: list[str]
    overview: list[Row]
    timeliness: list[Row]
    province_trend: list[Row]
    province: list[Row]
    departments: list[Row]
    prefectures: list[Row]
    counties: list[Row]
    checks: Row | None

    @property
    def current(self) -> Row:
        return self.overview[-1]

    @property
    def previous(self) -> Row | None:
        return self.overview[-2] if len(self.overview) > 1 else None

    @property
    def is_simulated(self) -> bool:
        """True when any figure shown comes from simulated submissions."""
        tables = (self.overview, self.timeliness, self.province, self.prefectures,
                  self.counties)
        return any(bool(row.get("is_simulated")) for rows in tables for row in rows)

    def timeliness_for(self, month: str) -> list[Row]:
        return [row for row in self.timeliness if row["period"] == month]


def read_dispatch_data(paths: ProjectPaths, month: str) -> DispatchData:
    """Read the month and every earlier month from the published warehouse."""
    if not MONTH_PATTERN.match(month):
        raise NoDataForMonth(f"月份格式应为 YYYY-MM: {month!r} is not a month (YYYY-MM)")
    connection = connect_readonly(paths)
    try:
        return _read(connection, month)
    finally:
        connection.close()


def _read(connection: duckdb.DuckDBPyConnection, month: str) -> DispatchData:
    overview = _rows(connection, OVERVIEW_SQL, [month])
    if not overview or overview[-1]["period"] != month:
        known = [row[0] for row in connection.execute(PERIODS_SQL).fetchall()]
        raise NoDataForMonth(
            f"数据仓库中没有 {month} 的调度数据 no dispatch data for {month} in the warehouse"
            f" (months available: {', '.join(known) or 'none'})"
        )
    return DispatchData(
        month=month,
        months=[row["period"] for row in overview],
        overview=overview,
        timeliness=_rows(connection, TIMELINESS_SQL, [month]),
        province_trend=_rows(connection, PROVINCE_TREND_SQL, [month]),
        province=_rows(connection, PROVINCE_SQL, [month]),
        departments=_rows(connection, DEPARTMENTS_SQL, [month]),
        prefectures=_rows(connection, PREFECTURES_SQL, [month]),
        counties=_rows(connection, COUNTIES_SQL, [month]),
        checks=next(iter(_rows(connection, CHECKS_SQL, [])), None),
    )


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> list[Row]:
    result = connection.execute(sql, params)
    names = [column[0] for column in result.description]
    return [dict(zip(names, values, strict=True)) for values in result.fetchall()]


PERIODS_SQL = "select period from dispatch.dispatch_monthly_overview order by period"

OVERVIEW_SQL = """
select * from dispatch.dispatch_monthly_overview
where period <= ? order by period
"""

# Receipt times are shown in Beijing time, whatever the session's time zone.
TIMELINESS_SQL = """
select
    t.period, t.county_code, t.county_name, t.prefecture_code, p.prefecture_name,
    t.versions, t.timeliness, t.is_simulated,
    strftime(timezone('Asia/Shanghai', t.first_received_at), '%Y-%m-%d %H:%M')
        as first_received,
    strftime(timezone('Asia/Shanghai', t.last_received_at), '%Y-%m-%d %H:%M')
        as last_received,
from dispatch.dispatch_county_timeliness as t
left join reference.prefectures as p using (prefecture_code)
where t.period <= ?
order by t.prefecture_code, t.county_code, t.period
"""

PROVINCE_TREND_SQL = """
select
    period,
    count(*) as counties_reporting,
    sum(persons_remaining) as persons_remaining,
    sum(villages_remaining) as villages_remaining,
    sum(open_gaps) as open_gaps,
from province.province_monthly_progress
where period <= ?
group by period
order by period
"""

# All 8 counties of 附件1, in the plan's order, whether or not they reported this month.
PROVINCE_SQL = """
select
    s.plan_row, s.county_code, s.county_name, s.prefecture_name, s.lead_unit,
    cast(round(s.target_unlifted_wan * 10000) as bigint) as target_persons,
    s.target_villages_to_exit,
    m.period is not null as reported,
    m.persons_remaining, m.villages_remaining,
    m.dropouts, m.unsafe_houses_outstanding, m.villages_without_doctor,
    m.uninsured_registered_poor, m.frozen_pipes_outstanding, m.villages_without_safe_water,
    m.open_gaps, m.persons_progress_pct, m.ready_for_delisting, m.is_simulated,
from province.province_supervised_counties as s
left join province.province_monthly_progress as m
    on m.county_code = s.county_code and m.period = ?
order by s.plan_row
"""

DEPARTMENTS_SQL = """
select
    department, target_id, label_zh, label_en, scope, subjects, subjects_meeting,
    share_meeting_pct, measured_total, target_met,
from departments.department_monthly_targets
where period = ?
order by department, scope desc, target_id
"""

PREFECTURES_SQL = """
select
    prefecture_code, prefecture_name, villages_to_exit, villages_exited, villages_remaining,
    high_incidence_villages, high_incidence_exited, named_villages_exited, is_simulated,
from prefectures.prefecture_monthly_villages
where period = ?
order by villages_remaining desc, prefecture_code
"""

COUNTIES_SQL = """
select
    b.county_code, b.county_name, p.prefecture_name,
    b.unlifted_persons, b.return_risk_persons, b.marginal_risk_persons,
    b.lifted_this_month, b.newly_identified_this_month, b.returned_this_month,
    b.previous_unlifted_persons, b.expected_unlifted_persons, b.balance_gap,
    b.balance_status, b.is_simulated,
from counties.county_monthly_balance as b
left join reference.prefectures as p using (prefecture_code)
where b.period = ?
order by b.unlifted_persons desc nulls last, b.county_code
"""

# The latest run's checks, as the nightly load printed them.
CHECKS_SQL = """
select
    strftime(timezone('Asia/Shanghai', max(checked_at)), '%Y-%m-%d %H:%M') as checked_at,
    count(*) filter (where success) as passed,
    count(*) filter (where not success) as failed,
from quality.expectation_results
where run_id = (
    select run_id from quality.expectation_results order by checked_at desc limit 1
)
having count(*) > 0
"""
