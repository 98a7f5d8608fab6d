with source as (

    select * from {{ source('submissions', 'files') }}

),

renamed as (

    select
        -- ids
        file_sha256,
        drop_month,
        file_name,
        format as file_format,
        file_kind,
        prefecture_code,

        -- what the content says
        county_code,
        county_name,
        period,
        declared_period,
        filled_date,

        -- keyed hashes of the footer's names and telephone number
        filer_hash,
        phone_hash,
        reviewer_hash,

        -- verdict
        accepted,
        "values" as value_count,
        errors as error_count,
        warnings as warning_count,

    from source

)

select * from renamed
