with source as (

    select * from {{ source('reference', 'plan_prefectures') }}

),

typed as (

    select
        cast(plan_row as integer) as plan_row,
        prefecture_code,
        name_in_plan as prefecture_name_in_plan,

        -- village counts
        cast(villages_unexited as integer) as villages_unexited,
        cast(deep_poverty_villages as integer) as deep_poverty_villages,
        cast(non_deep_villages as integer) as non_deep_villages,
        cast(high_incidence_villages as integer) as high_incidence_villages,
        cast(high_incidence_deep as integer) as high_incidence_deep,
        cast(high_incidence_non_deep as integer) as high_incidence_non_deep,

        named_list_status,
        nullif(responsible_leaders, '') as responsible_leaders,
        target_text,

    from source

)

select * from typed
