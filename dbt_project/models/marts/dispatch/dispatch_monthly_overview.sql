{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='period') }}

-- 月调度总览 The province at a glance, month by month: the full dispatch scope (75 counties,
-- 7,262 villages, 552万 people) as reported, the focus (8 counties, 394 villages, 17.5万
-- people) still open, and who reported, late or not at all.

with totals as (

    select
        max(published_value) filter (where figure_id = 'scope_counties') as scope_counties,
        max(published_value) filter (where figure_id = 'scope_villages') as scope_villages,
        max(published_value) filter (where figure_id = 'scope_people_wan') as scope_people_wan,
        max(published_value) filter (where figure_id = 'focus_counties') as focus_counties,
        max(published_value) filter (where figure_id = 'focus_villages') as focus_villages,
        max(published_value) filter (where figure_id = 'focus_people_wan') as focus_people_wan,

    from {{ ref('stg_reference__plan_totals') }}

),

counties as (

    select
        period,
        sum(registered_poor_total) as registered_poor_reported,
        sum(poor_villages_total) as poor_villages_reported,
        sum(unlifted_persons) as unlifted_persons,
        sum(return_risk_persons) as return_risk_persons,
        sum(marginal_risk_persons) as marginal_risk_persons,
        bool_or(is_simulated) as is_simulated,

    from {{ ref('int_submissions__county_monthly') }}
    group by period

),

province as (

    select
        period,
        sum(persons_remaining) as focus_persons_remaining,
        count(*) filter (where ready_for_delisting) as focus_counties_ready,

    from {{ ref('province_monthly_progress') }}
    group by period

),

villages as (

    select period, sum(villages_remaining) as focus_villages_remaining,
    from {{ ref('prefecture_monthly_villages') }}
    group by period

),

timeliness as (

    select
        period,
        count(*) filter (where timeliness not in ('missing', 'held')) as counties_reported,
        count(*) filter (where timeliness = 'missing') as counties_missing,
        count(*) filter (where timeliness = 'held') as counties_held,
        count(*) filter (where timeliness = 'late') as counties_late,
        count(*) filter (where versions > 1) as counties_resubmitted,

    from {{ ref('dispatch_county_timeliness') }}
    group by period

),

final as (

    select
        counties.period,

        -- full scope: 75 counties, 7,262 villages, 552万 people
        cast(totals.scope_counties as integer) as scope_counties,
        timeliness.counties_reported,
        timeliness.counties_missing,
        timeliness.counties_held,
        timeliness.counties_late,
        timeliness.counties_resubmitted,
        cast(totals.scope_villages as integer) as scope_villages,
        counties.poor_villages_reported,
        totals.scope_people_wan,
        counties.registered_poor_reported,

        -- focus: 8 counties, 394 villages, 17.5万 people
        cast(totals.focus_counties as integer) as focus_counties,
        province.focus_counties_ready,
        cast(totals.focus_villages as integer) as focus_villages,
        villages.focus_villages_remaining,
        totals.focus_people_wan,
        counties.unlifted_persons,
        province.focus_persons_remaining,
        counties.return_risk_persons,
        counties.marginal_risk_persons,

        counties.is_simulated,

    from counties
    cross join totals
    left join province on province.period = counties.period
    left join villages on villages.period = counties.period
    left join timeliness on timeliness.period = counties.period
    where {{ months_filter('counties.period') }}

)

select * from final
