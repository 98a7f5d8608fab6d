-- 报送历史 Every accepted county file as the version it was, with the time span in which it
-- was the version in force: from its receipt until the next usable version arrived. What
-- the province saw on any past date is the versions whose span covers that date; the
-- audit macros (values_as_of, county_figures_as_of) read it that way.

with versions as (

    select * from {{ ref('int_submissions__versions') }}

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

final as (

    select
        versions.county_code,
        -- the registry's name: a file may say 东乡县 or nothing at all (the long CSV)
        counties.county_name,
        versions.county_name as county_name_in_file,
        period,
        version,
        file_sha256,
        drop_month,
        original_name,
        received_at,
        is_held,
        is_current,
        is_simulated,
        -- a held version was never in force
        case when not is_held then received_at end as in_force_from,
        case when not is_held then superseded_at end as in_force_until,

    from versions
    left join counties on counties.county_code = versions.county_code

)

select * from final
