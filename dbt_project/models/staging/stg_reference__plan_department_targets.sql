with source as (

    select * from {{ source('reference', 'plan_department_targets') }}

),

typed as (

    select
        cast(plan_row as integer) as plan_row,
        target_id,
        indicator,
        scope,
        comparator,
        threshold,
        label_zh,
        label_en,

    from source

)

select * from typed
