with source as (

    select * from {{ source('reference', 'plan_high_incidence_villages') }}

),

typed as (

    select
        prefecture_code,
        county_code,
        cast(list_position as integer) as list_position,
        village_name,
        is_deep_poverty = 'true' as is_deep_poverty,

    from source

)

select * from typed
