{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='period') }}

-- 市州督战月度进展 Prefectures tier by month: villages exited against the plan's unexited
-- poor villages (附件3), and the named high-incidence villages exited.

with plan as (

    select * from {{ ref('stg_reference__plan_prefectures') }}

),

prefectures as (

    select * from {{ ref('stg_reference__prefectures') }}

),

villages as (

    select * from {{ ref('int_submissions__village_monthly') }}
    where is_poor_village

),

periods as (

    select distinct period from {{ ref('int_submissions__county_monthly') }}

),

by_prefecture as (

    select
        prefecture_code,
        period,
        count(*) as villages_reported,
        count(*) filter (where exited) as villages_exited,
        count(*) filter (where is_high_incidence) as high_incidence_reported,
        count(*) filter (where is_high_incidence and exited) as high_incidence_exited,
        count(*) filter (where plan_list_position is not null and exited) as named_exited,
        bool_or(is_simulated) as is_simulated,

    from villages
    group by prefecture_code, period

),

final as (

    select
        periods.period,
        plan.prefecture_code,
        prefectures.prefecture_name,
        plan.villages_unexited as villages_to_exit,
        coalesce(by_prefecture.villages_reported, 0) as villages_reported,
        coalesce(by_prefecture.villages_exited, 0) as villages_exited,
        plan.villages_unexited - coalesce(by_prefecture.villages_exited, 0)
            as villages_remaining,
        plan.high_incidence_villages,
        coalesce(by_prefecture.high_incidence_exited, 0) as high_incidence_exited,
        coalesce(by_prefecture.named_exited, 0) as named_villages_exited,
        coalesce(by_prefecture.is_simulated, false) as is_simulated,

    from plan
    cross join periods
    inner join prefectures on prefectures.prefecture_code = plan.prefecture_code
    left join by_prefecture
        on by_prefecture.prefecture_code = plan.prefecture_code
        and by_prefecture.period = periods.period
    where {{ months_filter('periods.period') }}

)

select * from final
