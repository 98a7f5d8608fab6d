with source as (

    select * from {{ source('reference', 'plan_totals') }}

),

typed as (

    select
        figure_id,
        attachment,
        label_zh,
        label_en,
        cast(value_text as decimal(12, 4)) as published_value,
        value_text as published_text,
        unit,
        quote,

    from source

)

select * from typed
