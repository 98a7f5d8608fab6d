-- 村月度数据 Each supervised village's 表2 row per reporting month from its county's current
-- version, joined to the village registry (poor or not, deep or not, prefecture).

with current_values as (

    select * from {{ ref('int_submissions__current_values') }}
    where form_table = 't2'

),

villages as (

    select * from {{ ref('stg_reference__villages') }}

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

pivoted as (

    select
        county_code,
        period,
        row_key as village_code,
        any_value(file_sha256) as file_sha256,
        bool_or(is_simulated) as is_simulated,
        {{ pivot_indicators(
            counts=['leading_industries', 'cooperatives', 'qualified_doctors'],
            decimals=['incidence_pct', 'collective_income_wan'],
            flags=['exited', 'safe_water', 'clean_environment'],
        ) }}

    from current_values
    group by county_code, period, row_key

),

joined as (

    select
        pivoted.*,
        counties.prefecture_code,
        villages.village_name,
        coalesce(villages.is_poor_village, false) as is_poor_village,
        coalesce(villages.is_deep_poverty, false) as is_deep_poverty,
        coalesce(villages.is_high_incidence, false) as is_high_incidence,
        villages.plan_list_position,
        villages.village_code is not null as is_in_registry,

    from pivoted
    left join villages on villages.village_code = pivoted.village_code
    left join counties on counties.county_code = pivoted.county_code

)

select * from joined
