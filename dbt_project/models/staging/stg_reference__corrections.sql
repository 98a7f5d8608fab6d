with source as (

    select * from {{ source('reference', 'corrections') }}

),

renamed as (

    select
        file as reference_file,
        row_key,
        "column" as column_name,
        nullif(ocr_text, '') as ocr_text,
        nullif(value, '') as corrected_value,
        action,
        evidence_kind,
        evidence,

    from source

)

select * from renamed
