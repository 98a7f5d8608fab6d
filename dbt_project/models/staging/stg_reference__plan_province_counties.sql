with source as (

    select * from {{ source('reference', 'plan_province_counties') }}

),

typed as (

    select
        cast(plan_row as integer) as plan_row,
        county_code,
        name_in_plan as county_name_in_plan,
        nullif(provincial_leader, '') as provincial_leader,
        prefecture_leaders,
        lead_unit,
        nullif(assisting_units, '') as assisting_units,
        cast(target_unlifted_wan as decimal(12, 4)) as target_unlifted_wan,
        target_unlifted_wan as target_unlifted_wan_text,
        cast(target_villages_to_exit as integer) as target_villages_to_exit,
        target_text,

    from source

)

select * from typed
