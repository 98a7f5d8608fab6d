{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='period') }}

-- 省直部门督战月度目标 Departments tier by month: each department's measurable targets in
-- the counties it supervises. Village targets count the plan's unexited poor villages that
-- meet them (e.g. a leading industry, a working cooperative, collective income of at least
-- 2万元, a qualified doctor); county targets add up a figure that must reach zero.

with targets as (

    select * from {{ ref('stg_reference__plan_department_targets') }}

),

departments as (

    select * from {{ ref('stg_reference__plan_departments') }}

),

department_counties as (

    select * from {{ ref('stg_reference__plan_department_counties') }}

),

villages as (

    select * from {{ ref('int_submissions__village_monthly') }}
    where is_poor_village

),

counties as (

    select * from {{ ref('int_submissions__county_monthly') }}

),

village_measures as (

    select
        targets.plan_row,
        targets.target_id,
        villages.period,
        count(distinct villages.county_code) as counties_reporting,
        count(*) as subjects,
        count(*) filter (where case targets.indicator
            when 'leading_industries' then villages.leading_industries >= cast(targets.threshold as integer)
            when 'cooperatives' then villages.cooperatives >= cast(targets.threshold as integer)
            when 'qualified_doctors' then villages.qualified_doctors >= cast(targets.threshold as integer)
            when 'collective_income_wan'
                then villages.collective_income_wan >= cast(targets.threshold as decimal(18, 4))
            when 'clean_environment' then villages.clean_environment
            when 'safe_water' then villages.safe_water
        end) as subjects_meeting,
        cast(null as bigint) as measured_total,

    from targets
    inner join department_counties on department_counties.plan_row = targets.plan_row
    inner join villages on villages.county_code = department_counties.county_code
    where targets.scope = 'unexited_village'
    group by targets.plan_row, targets.target_id, villages.period

),

county_values as (

    -- each supervised county's figure for each county-scope target, computed once
    select
        targets.plan_row,
        targets.target_id,
        targets.threshold,
        counties.period,
        case targets.indicator
            when 'dropouts' then counties.dropouts
            when 'unsafe_houses_outstanding' then counties.unsafe_houses_outstanding
            when 'uninsured_registered_poor' then counties.uninsured_registered_poor
            when 'frozen_pipe_outstanding'
                then counties.frozen_pipe_hazards - counties.frozen_pipe_fixed
        end as measured,

    from targets
    inner join department_counties on department_counties.plan_row = targets.plan_row
    inner join counties on counties.county_code = department_counties.county_code
    where targets.scope = 'county'

),

county_measures as (

    select
        plan_row,
        target_id,
        period,
        count(*) as counties_reporting,
        count(*) as subjects,
        count(*) filter (where measured = cast(threshold as bigint)) as subjects_meeting,
        sum(measured) as measured_total,

    from county_values
    group by plan_row, target_id, period

),

measures as (

    select * from village_measures
    union all
    select * from county_measures

),

final as (

    select
        measures.period,
        departments.department,
        targets.target_id,
        targets.label_zh,
        targets.label_en,
        targets.scope,
        targets.comparator,
        targets.threshold,
        measures.counties_reporting,
        measures.subjects,
        measures.subjects_meeting,
        round(100.0 * measures.subjects_meeting / nullif(measures.subjects, 0), 1)
            as share_meeting_pct,
        measures.measured_total,
        measures.subjects_meeting = measures.subjects as target_met,

    from measures
    inner join targets
        on targets.plan_row = measures.plan_row
        and targets.target_id = measures.target_id
    inner join departments on departments.plan_row = measures.plan_row
    where {{ months_filter('measures.period') }}

)

select * from final
