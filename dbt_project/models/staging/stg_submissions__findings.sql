with source as (

    select * from {{ source('submissions', 'findings') }}

),

renamed as (

    select
        file_sha256,
        drop_month,
        file_name,
        county_code,
        period,
        severity,
        code as finding_code,
        "table" as form_table,
        row_key,
        indicator,
        sheet,
        cell,
        line as csv_line,
        expected,
        found,
        message_zh,
        message_en,

    from source

)

select * from renamed
