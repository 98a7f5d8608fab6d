with source as (

    select * from {{ source('submissions', 'values') }}

),

renamed as (

    select
        -- ids
        file_sha256,
        drop_month,
        county_code,
        period,
        "table" as form_table,
        row_key,
        indicator,

        -- the value, typed by its kind
        kind,
        value_decimal,
        value_bool,
        value_text,
        is_reported,

        -- where it came from
        sheet,
        cell,
        line as csv_line,
        raw as raw_text,

    from source

)

select * from renamed
