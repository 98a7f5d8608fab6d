-- 报送情况 Every file the province received, accepted or quarantined, with its version,
-- receipt time, lateness and, for quarantined files, how many errors and the first of them.

with receipts as (

    select * from {{ ref('int_submissions__file_receipts') }}

),

files as (

    select * from {{ ref('stg_submissions__files') }}

),

versions as (

    select * from {{ ref('int_submissions__versions') }}

),

first_errors as (

    select
        file_sha256,
        drop_month,
        string_agg(
            coalesce(nullif(sheet || '!' || cell, '!'), '') || ' ' || message_zh, '；'
            order by sheet, cell
        ) as errors_zh,

    from {{ ref('stg_submissions__findings') }}
    where severity = 'error'
    group by file_sha256, drop_month

),

final as (

    select
        receipts.drop_month,
        receipts.original_name,
        receipts.received_at,
        files.county_code,
        files.county_name,
        files.period,
        case
            when not files.accepted then 'quarantined'
            when versions.is_held then 'held'
            else 'accepted'
        end as status,
        versions.version,
        versions.is_current,
        versions.is_held,
        versions.is_late,
        versions.is_simulated,
        files.error_count,
        files.warning_count,
        first_errors.errors_zh,
        receipts.file_sha256,

    from receipts
    inner join files
        on files.file_sha256 = receipts.file_sha256
        and files.drop_month = receipts.drop_month
    left join versions
        on versions.file_sha256 = receipts.file_sha256
        and versions.drop_month = receipts.drop_month
    left join first_errors
        on first_errors.file_sha256 = receipts.file_sha256
        and first_errors.drop_month = receipts.drop_month

)

select * from final
