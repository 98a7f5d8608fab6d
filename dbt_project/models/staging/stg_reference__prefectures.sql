with source as (

    select * from {{ source('reference', 'prefectures') }}

),

renamed as (

    select
        prefecture_code,
        prefecture_name,
        name_in_plan as prefecture_name_in_plan,

    from source

)

select * from renamed
