-- 县月度数据 Each county's current-version 表1 and 表3 figures per reporting month, one row
-- per county and period, with the file it came from.

with versions as (

    select * from {{ ref('int_submissions__versions') }}
    where is_current

),

figures as (

    select * from {{ ref('int_submissions__file_figures') }}

),

current_figures as (

    select
        versions.county_code,
        versions.period,
        versions.file_sha256,
        versions.version,
        versions.is_simulated,
        figures.* exclude (file_sha256, drop_month, county_code, period, received_at),

    from versions
    inner join figures
        on figures.file_sha256 = versions.file_sha256
        and figures.drop_month = versions.drop_month

)

select * from current_figures
