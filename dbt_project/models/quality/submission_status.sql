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

counties as (

    select county_code, county_name from {{ ref('stg_reference__counties') }}

),

first_errors as (

    select
        file_sha256,
        drop_month,
        -- each message already says where: file, sheet and cell, or line
        string_agg(message_zh, '；' order by sheet, cell) as errors_zh,

    from {{ ref('stg_submissions__findings') }}
    where severity = 'error'
    group by file_sha256, drop_month

),

-- why a held file was held: the file-level rules it broke, cell by cell
held_reasons as (

    select
        file_sha256,
        drop_month,
        string_agg(
            coalesce(sheet || '!' || cell || ' ', '') || rule_id || '：应为 ' || expected
            || '，实报 ' || observed, '；' order by sheet, cell
        ) as reasons_zh,

    from {{ ref('int_rules__county_files') }}
    where violation > tolerance
    group by file_sha256, drop_month

),

final as (

    select
        receipts.drop_month,
        receipts.original_name,
        receipts.received_at,
        files.county_code,
        -- a long CSV states no name: the registry's, for the code it gives
        coalesce(nullif(files.county_name, ''), counties.county_name) as county_name,
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
        coalesce(first_errors.errors_zh, held_reasons.reasons_zh) as errors_zh,
        receipts.file_sha256,

    from receipts
    inner join files
        on files.file_sha256 = receipts.file_sha256
        and files.drop_month = receipts.drop_month
    left join versions
        on versions.file_sha256 = receipts.file_sha256
        and versions.drop_month = receipts.drop_month
    left join counties on counties.county_code = files.county_code
    left join first_errors
        on first_errors.file_sha256 = receipts.file_sha256
        and first_errors.drop_month = receipts.drop_month
    left join held_reasons
        on held_reasons.file_sha256 = receipts.file_sha256
        and held_reasons.drop_month = receipts.drop_month

)

select * from final
