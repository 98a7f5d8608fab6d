with source as (

    select * from {{ source('reference', 'counties') }}

),

renamed as (

    select
        county_code,
        county_name,
        name_in_plan as county_name_in_plan,
        prefecture_code,

    from source

)

select * from renamed
