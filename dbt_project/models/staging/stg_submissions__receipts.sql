with source as (

    select * from {{ source('submissions', 'receipts') }}

),

typed as (

    select
        file_sha256,
        original_name,
        drop_month,
        relative_path,
        size_bytes,
        cast(received_at as timestamptz) as received_at,
        cast(archived_at as timestamptz) as archived_at,
        archive_name,

    from source

)

select * from typed
