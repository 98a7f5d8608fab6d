-- 报送版本 Every accepted county file as a version of its county's report for its period.
-- A second accepted file for the same county and period is a resubmission (更正): it
-- replaces the earlier one from its receipt on, and both stay here. Versions are numbered
-- by receipt time (then hash, so equal times still order the same way on every rebuild).
-- A version that breaks a file-level rule (int_rules__county_files) is held: it keeps its
-- number but never becomes current, so the tiers go on using the version before it.

with files as (

    select * from {{ ref('stg_submissions__files') }}

),

receipts as (

    select * from {{ ref('int_submissions__file_receipts') }}

),

held as (

    select distinct file_sha256, drop_month
    from {{ ref('int_rules__county_files') }}
    where is_held

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
        held.file_sha256 is not null as is_held,

    from files
    inner join receipts
        on receipts.file_sha256 = files.file_sha256
        and receipts.drop_month = files.drop_month
    left join simulated on simulated.file_sha256 = files.file_sha256
    left join held
        on held.file_sha256 = files.file_sha256
        and held.drop_month = files.drop_month
    where files.accepted and files.file_kind = 'county'

),

versioned as (

    select
        *,
        row_number() over (
            partition by county_code, period order by received_at, file_sha256
        ) as version,
        count(*) over (partition by county_code, period) as version_count,
        row_number() over (
            partition by county_code, period, is_held order by received_at desc, file_sha256 desc
        ) as recency_among_kind,
        -- due by the 25th of the reporting month, Asia/Shanghai
        cast(period || '-25 23:59:59+08:00' as timestamptz) as due_at,

    from accepted

),

final as (

    select
        * exclude (recency_among_kind),
        not is_held and recency_among_kind = 1 as is_current,
        received_at > due_at as is_late,
        -- when the next usable version arrived; a held version supersedes nothing
        case when not is_held then lead(received_at) over (
            partition by county_code, period, is_held order by version
        ) end as superseded_at,

    from versioned

)

select * from final
