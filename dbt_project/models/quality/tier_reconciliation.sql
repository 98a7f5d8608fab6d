-- 层级核对 The published tier marts against the counties' current versions, figure by
-- figure. The monthly marts are rebuilt only for the months a run covers, so this is what
-- proves that every month of every tier still agrees with the versions in force, and that
-- no join counted a county twice. Whole counts: tolerance 0. A failure blocks publishing.

with current_counties as (

    select * from {{ ref('int_submissions__county_monthly') }}

),

recomputed as (

    select
        period,
        sum(unlifted_persons) as unlifted_persons,
        sum(return_risk_persons) as return_risk_persons,
        sum(marginal_risk_persons) as marginal_risk_persons,
        count(*) as counties_reported,
    from current_counties
    group by period

),

overview as (

    unpivot (
        select period, unlifted_persons, return_risk_persons, marginal_risk_persons,
            counties_reported,
        from {{ ref('dispatch_monthly_overview') }}
    )
    on unlifted_persons, return_risk_persons, marginal_risk_persons, counties_reported
    into name figure value published

),

expected_overview as (

    unpivot recomputed
    on unlifted_persons, return_risk_persons, marginal_risk_persons, counties_reported
    into name figure value expected

),

overview_rows as (

    select
        {{ rule_row(
            "'tier_matches_counties'", 'null',
            'coalesce(overview.period, expected_overview.period)',
            "'dispatch_monthly_overview.' || coalesce(overview.figure, expected_overview.figure)",
            'expected_overview.expected', 'overview.published',
            'overview.published - expected_overview.expected',
            'coalesce(abs(overview.published - expected_overview.expected), 1)', '0', 'null',
            'null', 'null',
        ) }}

    from overview
    full join expected_overview
        on expected_overview.period = overview.period
        and expected_overview.figure = overview.figure

),

balance_rows as (

    select
        {{ rule_row(
            "'tier_matches_counties'", 'coalesce(balance.county_code, counties.county_code)',
            'coalesce(balance.period, counties.period)',
            "'county_monthly_balance.unlifted_persons'", 'counties.unlifted_persons',
            'balance.unlifted_persons', 'balance.unlifted_persons - counties.unlifted_persons',
            'case when balance.file_sha256 is distinct from counties.file_sha256 then 1'
            ~ ' else coalesce(abs(balance.unlifted_persons - counties.unlifted_persons), 0) end',
            '0', 'counties.file_sha256', 'null', 'null',
        ) }}

    from {{ ref('county_monthly_balance') }} as balance
    full join current_counties as counties
        on counties.county_code = balance.county_code
        and counties.period = balance.period

),

province_rows as (

    select
        {{ rule_row(
            "'tier_matches_counties'", 'province.county_code', 'province.period',
            "'province_monthly_progress.persons_remaining'", 'counties.unlifted_persons',
            'province.persons_remaining',
            'province.persons_remaining - counties.unlifted_persons',
            'case when province.file_sha256 is distinct from counties.file_sha256 then 1'
            ~ ' else coalesce(abs(province.persons_remaining - counties.unlifted_persons), 0)'
            ~ ' end',
            '0', 'counties.file_sha256', 'null', 'null',
        ) }}

    from {{ ref('province_monthly_progress') }} as province
    left join current_counties as counties
        on counties.county_code = province.county_code
        and counties.period = province.period

),

one_current as (

    select
        {{ rule_row(
            "'one_current_version'", 'county_code', 'period', "'current versions'", '1',
            'count(*)', 'count(*) - 1', 'abs(count(*) - 1)', '0', 'null', 'null', 'null',
        ) }}

    from {{ ref('int_submissions__versions') }}
    where is_current
    group by county_code, period

)

select * from overview_rows
union all by name
select * from balance_rows
union all by name
select * from province_rows
union all by name
select * from one_current
