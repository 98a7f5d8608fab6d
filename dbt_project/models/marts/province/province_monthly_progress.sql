{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='period') }}

-- 省级督战月度进展 Province tier by month: each of the 8 counties against its target:
-- people still to lift, villages still to exit, the "3+1" gaps still open, and whether it
-- is ready for delisting (all three at zero).

with plan as (

    select * from {{ ref('stg_reference__plan_province_counties') }}

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

monthly as (

    select * from {{ ref('int_submissions__county_monthly') }}

),

villages as (

    select
        county_code,
        period,
        count(*) filter (where is_poor_village) as poor_villages_reported,
        count(*) filter (where is_poor_village and not coalesce(exited, false))
            as villages_remaining,
        count(*) filter (where is_poor_village and not coalesce(safe_water, false))
            as villages_without_safe_water,

    from {{ ref('int_submissions__village_monthly') }}
    group by county_code, period

),

progress as (

    select
        monthly.period,
        plan.county_code,
        counties.county_name,

        -- people: target of 附件1 in persons, and what remains
        cast(plan.target_unlifted_wan * 10000 as bigint) as target_persons,
        monthly.unlifted_persons as persons_remaining,

        -- villages
        plan.target_villages_to_exit,
        villages.villages_remaining,

        -- "3+1" gaps still open
        monthly.dropouts,
        monthly.unsafe_houses_outstanding,
        monthly.villages_without_doctor,
        monthly.uninsured_registered_poor,
        monthly.frozen_pipe_hazards - monthly.frozen_pipe_fixed as frozen_pipes_outstanding,
        villages.villages_without_safe_water,

        monthly.is_simulated,
        monthly.file_sha256,

    from plan
    inner join counties on counties.county_code = plan.county_code
    inner join monthly on monthly.county_code = plan.county_code
    left join villages
        on villages.county_code = monthly.county_code
        and villages.period = monthly.period

),

final as (

    select
        *,
        dropouts + unsafe_houses_outstanding + villages_without_doctor
            + uninsured_registered_poor + frozen_pipes_outstanding
            + coalesce(villages_without_safe_water, 0) as open_gaps,
        round(100.0 * (target_persons - persons_remaining) / nullif(target_persons, 0), 1)
            as persons_progress_pct,
        persons_remaining = 0
            and villages_remaining = 0
            and dropouts + unsafe_houses_outstanding + villages_without_doctor
                + uninsured_registered_poor + frozen_pipes_outstanding
                + coalesce(villages_without_safe_water, 0) = 0
            as ready_for_delisting,

    from progress
    where {{ months_filter() }}

)

select * from final
