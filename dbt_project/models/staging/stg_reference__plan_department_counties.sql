with source as (

    select * from {{ source('reference', 'plan_department_counties') }}

),

typed as (

    select
        cast(plan_row as integer) as plan_row,
        county_code,

    from source

)

select * from typed
