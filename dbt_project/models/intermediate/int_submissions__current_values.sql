-- 当前数据 The values of each county's current version for each period: what the tiers use.

with versions as (

    select * from {{ ref('int_submissions__versions') }}
    where is_current

),

values_ as (

    select * from {{ ref('stg_submissions__values') }}

),

current_values as (

    select
        versions.county_code,
        versions.period,
        values_.form_table,
        values_.row_key,
        values_.indicator,
        values_.kind,
        values_.value_decimal,
        values_.value_bool,
        values_.value_text,
        values_.is_reported,
        versions.file_sha256,
        versions.version,
        versions.is_simulated,
        values_.sheet,
        values_.cell,

    from versions
    inner join values_
        on values_.file_sha256 = versions.file_sha256
        and values_.drop_month = versions.drop_month

)

select * from current_values
