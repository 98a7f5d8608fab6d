{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='period') }}

-- 报送及时性 Every county for every reporting month: on time, late, corrected (更正), held
-- (暂扣: every file it sent broke a file-level rule, so none reached the tiers) or missing,
-- against the deadline of the 25th (Beijing time).

with counties as (

    select * from {{ ref('stg_reference__counties') }}

),

periods as (

    select distinct period from {{ ref('int_submissions__versions') }}

),

versions as (

    select
        county_code,
        period,
        count(*) as versions,
        bool_or(version = 1 and not is_late) as first_on_time,
        min(received_at) as first_received_at,
        max(received_at) as last_received_at,
        bool_or(is_simulated) as is_simulated,
        bool_and(is_held) as all_held,

    from {{ ref('int_submissions__versions') }}
    group by county_code, period

),

final as (

    select
        periods.period,
        counties.county_code,
        counties.county_name,
        counties.prefecture_code,
        coalesce(versions.versions, 0) as versions,
        versions.first_received_at,
        versions.last_received_at,
        case
            when versions.county_code is null then 'missing'
            when versions.all_held then 'held'
            when not versions.first_on_time then 'late'
            when versions.versions > 1 then 'corrected'
            else 'on_time'
        end as timeliness,
        coalesce(versions.is_simulated, false) as is_simulated,

    from periods
    cross join counties
    left join versions
        on versions.county_code = counties.county_code
        and versions.period = periods.period
    where {{ months_filter('periods.period') }}

)

select * from final
