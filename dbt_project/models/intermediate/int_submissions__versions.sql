-- 报送版本 Every accepted county file as a version of its county's report for its period.
-- A second accepted file for the same county and period is a resubmission (更正): it
-- replaces the earlier one from its receipt on, and both stay here. Versions are numbered
-- by receipt time (then hash, so equal times still order the same way on every rebuild).

with files as (

    select * from {{ ref('stg_submissions__files') }}

),

receipts as (

    select * from {{ ref('int_submissions__file_receipts') }}

),

simulated as (

    select distinct file_sha256 from {{ ref('stg_submissions__simulation_manifest') }}

),

accepted as (

    select
        files.file_sha256,
        files.drop_month,
        files.county_code,
        files.county_name,
        files.period,
        files.file_format,
        receipts.original_name,
        receipts.received_at,
        files.filled_date,
        files.filer_hash,
        files.value_count,
        files.warning_count,
        simulated.file_sha256 is not null as is_simulated,

    from files
    inner join receipts
        on receipts.file_sha256 = files.file_sha256
        and receipts.drop_month = files.drop_month
    left join simulated on simulated.file_sha256 = files.file_sha256
    where files.accepted and files.file_kind = 'county'

),

versioned as (

    select
        *,
        row_number() over (
            partition by county_code, period order by received_at, file_sha256
        ) as version,
        count(*) over (partition by county_code, period) as version_count,
        -- due by the 25th of the reporting month, Asia/Shanghai
        cast(period || '-25 23:59:59+08:00' as timestamptz) as due_at,

    from accepted

),

final as (

    select
        *,
        version = version_count as is_current,
        received_at > due_at as is_late,
        lead(received_at) over (
            partition by county_code, period order by version
        ) as superseded_at,

    from versioned

)

select * from final
