-- 文件数据 Every accepted county file's 表1 and 表3 figures, one row per file: the figures
-- the file-level rules check before a version may reach the tiers.

with files as (

    select * from {{ ref('stg_submissions__files') }}
    where accepted and file_kind = 'county'

),

values_ as (

    select * from {{ ref('stg_submissions__values') }}
    where form_table in ('t1', 't3')

),

receipts as (

    select * from {{ ref('int_submissions__file_receipts') }}

),

pivoted as (

    select
        file_sha256,
        drop_month,

        -- 表1 贫困人口
        {{ pivot_indicators(counts=[
            'registered_poor_total', 'lifted_cumulative', 'unlifted_households',
            'unlifted_persons', 'return_risk_persons', 'marginal_risk_persons',
            'lifted_this_month', 'newly_identified_this_month', 'returned_this_month',
            'risk_eliminated_this_month', 'low_income_persons', 'poor_villages_total',
            'villages_exited_cumulative',
        ]) }}

        -- 表3 三保障和饮水安全
        {{ pivot_indicators(counts=[
            'dropouts', 'unsafe_houses_outstanding', 'unsafe_houses_new',
            'unsafe_houses_renovated', 'villages_without_doctor', 'frozen_pipe_hazards',
            'frozen_pipe_fixed', 'uninsured_registered_poor',
        ]) }}

    from values_
    group by file_sha256, drop_month

),

final as (

    select
        files.file_sha256,
        files.drop_month,
        files.county_code,
        files.period,
        receipts.received_at,
        pivoted.* exclude (file_sha256, drop_month),

    from files
    inner join receipts
        on receipts.file_sha256 = files.file_sha256
        and receipts.drop_month = files.drop_month
    left join pivoted
        on pivoted.file_sha256 = files.file_sha256
        and pivoted.drop_month = files.drop_month

)

select * from final
