-- 汇总表与县报一致 Each prefecture summary's row for a county against the county's own
-- current figures for the same period. The tiers use the county's figures; a difference is
-- a finding for the prefecture (its cell is the summary's). Whole counts: tolerance 0.

with summary_files as (

    select * from {{ ref('stg_submissions__files') }}
    where accepted and file_kind = 'prefecture_summary'

),

receipts as (

    select * from {{ ref('int_submissions__file_receipts') }}

),

-- the prefecture's latest summary for each period is the one it stands by
latest_summaries as (

    select
        summary_files.file_sha256,
        summary_files.drop_month,
        summary_files.prefecture_code,
        summary_files.period,

    from summary_files
    inner join receipts
        on receipts.file_sha256 = summary_files.file_sha256
        and receipts.drop_month = summary_files.drop_month
    qualify row_number() over (
        partition by summary_files.prefecture_code, summary_files.period
        order by receipts.received_at desc, summary_files.file_sha256 desc
    ) = 1

),

summary_values as (

    select
        latest_summaries.period,
        latest_summaries.prefecture_code,
        latest_summaries.file_sha256,
        values_.row_key as county_code,
        values_.indicator,
        values_.value_decimal,
        values_.sheet,
        values_.cell,

    from latest_summaries
    inner join {{ ref('stg_submissions__values') }} as values_
        on values_.file_sha256 = latest_summaries.file_sha256
        and values_.drop_month = latest_summaries.drop_month
    where values_.value_decimal is not null

),

county_values as (

    select county_code, period, indicator, value_decimal
    from {{ ref('int_submissions__current_values') }}
    where form_table = 't1' and value_decimal is not null

),

final as (

    select
        summary_values.prefecture_code,
        {{ rule_row(
            "'summary_matches_county'", 'summary_values.county_code', 'summary_values.period',
            'summary_values.indicator', 'cast(county_values.value_decimal as bigint)',
            'cast(summary_values.value_decimal as bigint)',
            'summary_values.value_decimal - county_values.value_decimal',
            'abs(summary_values.value_decimal - county_values.value_decimal)', '0',
            'summary_values.file_sha256', 'summary_values.sheet', 'summary_values.cell',
        ) }}

    from summary_values
    inner join county_values
        on county_values.county_code = summary_values.county_code
        and county_values.period = summary_values.period
        and county_values.indicator = summary_values.indicator

)

select * from final
