with source as (

    select * from {{ source('reference', 'villages') }}

),

typed as (

    select
        -- ids
        village_code,
        county_code,
        township,
        village_name,

        -- kind of village, as at the end of 2019
        is_poor_village = 'true' as is_poor_village,
        is_deep_poverty = 'true' as is_deep_poverty,
        is_high_incidence = 'true' as is_high_incidence,
        cast(nullif(plan_list_position, '') as integer) as plan_list_position,
        cast(incidence_pct_2019 as decimal(5, 2)) as incidence_pct_2019,

        -- what is invented: no real codes, and only the names the plan gives are real
        is_synthetic_code = 'true' as is_synthetic_code,
        is_synthetic_name = 'true' as is_synthetic_name,

    from source

)

select * from typed
